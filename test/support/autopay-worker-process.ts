// An autopay worker as a separate process, for the two-process test: on "go" it runs one autopay
// pass over the agency, then executes due payments until none is left, and reports its figures.
// Configuration comes from the environment the test sets.
import { openDatabase } from '../../src/db/database.ts';
import { createProcessors } from '../../src/processors/registry.ts';
import { systemActor } from '../../src/services/actor.ts';
import { runAutopayPass } from '../../src/services/autopay.ts';
import { duePaymentIds, executePayment } from '../../src/services/payment-execution.ts';

const env = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

const database = await openDatabase({
  url: env('AUTOPAY_DATABASE_URL'),
  searchPath: env('AUTOPAY_SCHEMA'),
  poolSize: 10,
});
const processors = createProcessors({
  sandboxUrl: env('AUTOPAY_SANDBOX_URL'),
  sandboxWebhookSecret: env('AUTOPAY_SANDBOX_SECRET'),
  sandboxTimeoutMs: 5_000,
});
const now = new Date(env('AUTOPAY_NOW'));
await new Promise<void>((resolve) => {
  process.once('message', () => resolve());
  process.send?.('ready');
});
const run = await runAutopayPass(database.db, systemActor(env('AUTOPAY_AGENCY_ID'), 'autopay'), {
  now,
  trigger: 'manual',
  concurrency: 8,
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
