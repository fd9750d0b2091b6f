// An autopay worker as a separate process, for the crash tests: on "go" it runs one autopay pass
// over the agency, then executes due payments until none is left, and reports its figures.
// Configuration comes from the environment the test sets. AUTOPAY_KILL_AT makes the process
// SIGKILL itself at one deterministic point: `claimed:N` right after the N-th page's claims
// commit, `payments_created:N` right after the N-th page's payments commit, `charged:N` right
// after the processor answers the N-th charge (charged there, nothing recorded here).

import { runAutopayPass } from '../../../src/autopay/autopay.ts';
import { systemActor } from '../../../src/kernel/actor.ts';
import { duePaymentIds, executePayment } from '../../../src/payments/execution.ts';
import { createProcessors } from '../../../src/payments/processor-registry.ts';
import type { PaymentProcessor } from '../../../src/payments/processors/processor.ts';
import { openDatabase } from '../../../src/platform/db/database.ts';

const env = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

const [killStep, killAtText] = (process.env.AUTOPAY_KILL_AT ?? '').split(':');
const killAt = Number(killAtText ?? 0);
const counts = new Map<string, number>();
function maybeDie(step: string): void {
  const n = (counts.get(step) ?? 0) + 1;
  counts.set(step, n);
  if (step === killStep && n === killAt) process.kill(process.pid, 'SIGKILL');
}

const database = await openDatabase({
  url: env('AUTOPAY_DATABASE_URL'),
  searchPath: env('AUTOPAY_SCHEMA'),
  poolSize: 10,
});
const created = createProcessors({
  sandboxUrl: env('AUTOPAY_SANDBOX_URL'),
  sandboxWebhookSecret: env('AUTOPAY_SANDBOX_SECRET'),
  sandboxTimeoutMs: 5_000,
});
// The sandbox, except that a charge may be the last thing this process does.
const processors = new Map(
  [...created].map(([name, processor]) => [
    name,
    new Proxy(processor, {
      get(target, property) {
        if (property === 'charge') {
          return async (request: Parameters<PaymentProcessor['charge']>[0]) => {
            const outcome = await target.charge(request);
            maybeDie('charged');
            return outcome;
          };
        }
        const value = Reflect.get(target, property, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    }),
  ]),
);
const now = new Date(env('AUTOPAY_NOW'));
await new Promise<void>((resolve) => {
  process.once('message', () => resolve());
  process.send?.('ready');
});
const run = await runAutopayPass(database.db, systemActor(env('AUTOPAY_AGENCY_ID'), 'autopay'), {
  now,
  trigger: 'manual',
  concurrency: 8,
  pageSize: Number(process.env.AUTOPAY_PAGE_SIZE ?? 500),
  onStep: maybeDie,
});
let executed = 0;
const deadline = Date.now() + 120_000;
while (Date.now() < deadline) {
  const due = await duePaymentIds(database.db, new Date(), 200);
  if (due.length === 0) break;
  for (let i = 0; i < due.length; i += 8) {
    const results = await Promise.all(due.slice(i, i + 8).map((id) => executePayment(database.db, processors, id)));
    executed += results.filter((r) => r.status === 'succeeded').length;
  }
}
process.send?.({ run, executed }, () => {
  void database.close().then(() => process.exit(0));
});
