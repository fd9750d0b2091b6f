// An AMS360 receipt sender as a separate process, for the crash test: it sends due exports until
// it is killed. Configuration comes from the environment the test sets.
import { openDatabase } from '../../../src/platform/db/database.ts';
import { sendDueAmsReceipts } from '../../../src/sync/ams360-receipts/sender.ts';

const env = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

const database = await openDatabase({ url: env('CRASH_DATABASE_URL'), searchPath: env('CRASH_SCHEMA'), poolSize: 6 });
process.send?.('ready');
const deadline = Date.now() + 60_000;
while (Date.now() < deadline) {
  const report = await sendDueAmsReceipts(database.db, { limit: 10, concurrency: 4 });
  if (report.claimed === 0) await new Promise((resolve) => setTimeout(resolve, 50));
}
await database.close();
