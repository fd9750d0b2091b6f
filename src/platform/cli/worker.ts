import { startWorkers, workerSettings } from '../app/workers.ts';
import { loadConfig } from '../config.ts';
import { describeDatabase, openConfiguredDatabase } from './database.ts';
import { setupProcessors } from './processors.ts';

/** `policypay worker`: background workers without the HTTP server, for scaling out on PostgreSQL. */
export async function runWorker(): Promise<void> {
  const config = loadConfig();
  console.log(`policypay worker on Node ${process.version}, ${describeDatabase(config.DATABASE_URL)}`);
  const database = await openConfiguredDatabase();
  const payments = await setupProcessors(config, { startSandbox: false });
  const workers = await startWorkers(database, {
    processors: payments.processors,
    email: { smtpUrl: config.SMTP_URL, from: config.EMAIL_FROM },
    settings: workerSettings(config),
  });
  console.log('workers running (pg-boss): payments, janitor, autopay, e-mail, AMS360 receipts, sync, maintenance');
  const stop = async (signal: string) => {
    console.log(`${signal}: stopping`);
    await workers.stop();
    await database.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}
