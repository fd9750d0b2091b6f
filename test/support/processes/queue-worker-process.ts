// A `policypay worker` process for tests and the bench: the real startWorkers (every queue and
// schedule, settings from the WORKER_* environment as the CLI reads them) on one PostgreSQL
// schema, with its own pg-boss schema and the sandbox at a URL. Says "ready" over IPC once its
// workers run; stops gracefully on "stop".

import { createProcessors } from '../../../src/payments/processor-registry.ts';
import { startWorkers, workerSettings } from '../../../src/platform/app/workers.ts';
import { loadConfig } from '../../../src/platform/config.ts';
import { openDatabase } from '../../../src/platform/db/database.ts';

const env = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

const config = loadConfig();
const database = await openDatabase({
  url: env('QUEUE_WORKER_DATABASE_URL'),
  searchPath: env('QUEUE_WORKER_SCHEMA'),
  poolSize: config.DATABASE_POOL_SIZE,
});
const processors = createProcessors({
  sandboxUrl: env('QUEUE_WORKER_SANDBOX_URL'),
  sandboxWebhookSecret: env('QUEUE_WORKER_SANDBOX_SECRET'),
  sandboxTimeoutMs: config.SANDBOX_TIMEOUT_MS,
});
const workers = await startWorkers(database, {
  schema: env('QUEUE_WORKER_BOSS_SCHEMA'),
  processors,
  settings: workerSettings(config),
});
process.send?.('ready');
process.on('message', async (message) => {
  if (message !== 'stop') return;
  await workers.stop();
  await database.close();
  process.exit(0);
});
