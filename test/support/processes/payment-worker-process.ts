// A payment worker as a separate process, for the crash test: it executes due payments until it
// is killed. Configuration comes from the environment the test sets.

import { duePaymentIds, executePayment } from '../../../src/payments/execution.ts';
import { createProcessors } from '../../../src/payments/processor-registry.ts';
import { openDatabase } from '../../../src/platform/db/database.ts';

const env = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

const database = await openDatabase({ url: env('CRASH_DATABASE_URL'), searchPath: env('CRASH_SCHEMA'), poolSize: 10 });
const processors = createProcessors({
  sandboxUrl: env('CRASH_SANDBOX_URL'),
  sandboxWebhookSecret: env('CRASH_SANDBOX_SECRET'),
  sandboxTimeoutMs: 1_000,
});
process.send?.('ready');
const deadline = Date.now() + 60_000;
while (Date.now() < deadline) {
  const due = await duePaymentIds(database.db, new Date(), 40);
  if (due.length === 0) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    continue;
  }
  // Eight at a time, like the pg-boss worker's local concurrency on PostgreSQL.
  for (let i = 0; i < due.length; i += 8) {
    await Promise.all(due.slice(i, i + 8).map((id) => executePayment(database.db, processors, id)));
  }
}
await database.close();
