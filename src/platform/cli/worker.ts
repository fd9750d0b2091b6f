import { startWorkers, workerSettings } from '../app/workers.ts';
import { loadConfig } from '../config.ts';
import { commandLogger } from '../log/logger.ts';
import { say } from '../log/output.ts';
import { describeDatabase, openConfiguredDatabase } from './database.ts';
import { setupProcessors } from './processors.ts';

/** `policypay worker`: background workers without the HTTP server, for scaling out on PostgreSQL. */
export async function runWorker(): Promise<void> {
  const config = loadConfig();
  const logger = commandLogger(config.LOG_LEVEL);
  say(`policypay worker on Node ${process.version}, ${describeDatabase(config.DATABASE_URL)}`);
  const database = await openConfiguredDatabase({ logger });
  const payments = await setupProcessors(config, { startSandbox: false });
  const workers = await startWorkers(database, {
    processors: payments.processors,
    email: { smtpUrl: config.SMTP_URL, from: config.EMAIL_FROM, printLine: say },
    settings: workerSettings(config),
    logger,
  });
  say('workers running (pg-boss): payments, janitor, autopay, e-mail, AMS360 receipts, sync, maintenance');
  const stop = async (signal: string) => {
    say(`${signal}: stopping`);
    await workers.stop();
    await database.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}
