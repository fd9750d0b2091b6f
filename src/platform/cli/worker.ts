import { exitGracefullyOnSignals } from '../app/shutdown.ts';
import { startWorkers, workerSettings } from '../app/workers.ts';
import { loadConfig } from '../config.ts';
import { commandLogger } from '../log/logger.ts';
import { say } from '../log/output.ts';
import { describeDatabase, openConfiguredDatabase } from './database.ts';
import { processMetrics, serveMetricsPort, workerStopTime } from './metrics.ts';
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
  // No HTTP server here (so no operator-token route): METRICS_PORT, when set, shows this process's
  // own figures too (its pool, its event loop, its jobs).
  const metricsServer =
    config.METRICS_PORT === undefined
      ? undefined
      : await serveMetricsPort(config, processMetrics(config, database, workers.boss));
  say('workers running (pg-boss): payments, janitor, autopay, e-mail, AMS360 receipts, sync, maintenance');
  if (metricsServer) say(`metrics at ${metricsServer.url}/metrics`);
  exitGracefullyOnSignals(
    [
      { name: 'metrics server', run: async () => metricsServer?.close() },
      { name: 'workers', run: (remainingMs) => workers.stop(workerStopTime(remainingMs)) },
      { name: 'processors', run: () => payments.close() },
      { name: 'database', run: () => database.close() },
    ],
    { timeoutSeconds: config.SHUTDOWN_TIMEOUT_SECONDS, log: { info: say, error: (line) => logger.error(line) } },
  );
}
