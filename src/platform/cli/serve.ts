import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { firstRunNeeded } from '../../agency/first-run.ts';
import { loadAutopayPlugin } from '../../autopay/plugins/plugin.ts';
import { type DemoLoad, findDemoAgency, loadDemoAgency } from '../../demo/demo-agency.ts';
import { ensureWebAssets } from '../../web/build.ts';
import { buildApp } from '../app/app.ts';
import { exitGracefullyOnSignals } from '../app/shutdown.ts';
import { startJobSender, startWorkers, workerSettings } from '../app/workers.ts';
import { loadConfig } from '../config.ts';
import { isPostgresUrl, pgliteDataDir } from '../db/database.ts';
import { bossJobQueue } from '../jobs/boss-job-queue.ts';
import { commandLogger } from '../log/logger.ts';
import { say } from '../log/output.ts';
import { bannerLines } from './banner.ts';
import { describeDatabase, openConfiguredDatabase } from './database.ts';
import { processMetrics, serveMetricsPort, workerStopTime } from './metrics.ts';
import { setupProcessors } from './processors.ts';

export interface ServeOptions {
  port?: number;
  host?: string;
  workers: boolean;
  demo: boolean;
}

/** API, web UI and workers in one process: `npm start`. */
export async function serve(options: ServeOptions): Promise<void> {
  const started = Date.now();
  const config = loadConfig();
  const port = options.port ?? config.PORT;
  const host = options.host ?? config.HOST;
  const logger = commandLogger(config.LOG_LEVEL);
  say(`policypay on Node ${process.version}, ${describeDatabase(config.DATABASE_URL)}`);
  const database = await openConfiguredDatabase({ logger });

  let demo: DemoLoad | undefined;
  // Without the demo, an empty database is set up in the browser, behind a code only the person
  // who started the process sees (the banner's link carries it after '#', so no log records it).
  const setupToken =
    !options.demo && (await firstRunNeeded(database.db)) ? randomBytes(18).toString('base64url') : undefined;
  if (options.demo) {
    const agencies = await database.db.selectFrom('agencies').select('id').limit(1).execute();
    if (agencies.length === 0 || config.POLICYPAY_DEMO_API_KEY) {
      demo = await loadDemoAgency(database.db, { apiKey: config.POLICYPAY_DEMO_API_KEY });
    } else {
      demo = await findDemoAgency(database.db);
    }
  }

  // Reuses the build from `npm run build` (or an earlier start) when the UI sources are unchanged.
  const { dir: webDir } = await ensureWebAssets();
  const url =
    config.POLICYPAY_PUBLIC_URL ?? `http://${host === '0.0.0.0' || host === '127.0.0.1' ? 'localhost' : host}:${port}`;
  // The in-process sandbox sends its webhooks to this server over loopback.
  // Saved sandbox tokens outlive a restart when the database does (a directory, not memory://).
  const dataDir = isPostgresUrl(config.DATABASE_URL) ? undefined : pgliteDataDir(config.DATABASE_URL);
  const payments = await setupProcessors(config, {
    startSandbox: true,
    webhookBaseUrl: `http://127.0.0.1:${port}`,
    stateFile: dataDir ? join(dataDir, 'policypay-sandbox.json') : undefined,
    logger,
  });
  const settings = workerSettings(config);
  const workers = options.workers
    ? await startWorkers(database, {
        processors: payments.processors,
        email: { smtpUrl: config.SMTP_URL, from: config.EMAIL_FROM, printLine: say },
        settings,
        logger,
      })
    : undefined;
  // Without workers, requests still enqueue their jobs (e-mails, payments, AMS exports) for the
  // worker processes; the workers' sweeps find any row whose job was lost.
  const sender = workers ? undefined : await startJobSender(database, { settings, logger });
  // The API checks an agency's choice of autopay plugin against the ones the operator plugged in.
  await loadAutopayPlugin();
  const metrics = processMetrics(config, database, workers?.boss ?? sender?.boss);
  const app = await buildApp({
    database,
    webDir,
    logger,
    processors: payments.processors,
    jobs: workers ? bossJobQueue(workers.boss) : sender!.jobs,
    publicUrl: url,
    operatorToken: config.POLICYPAY_OPERATOR_TOKEN,
    setupToken,
    metrics,
    workers: workers?.state,
  });
  await app.listen({ port, host });
  const metricsServer = await serveMetricsPort(config, metrics);
  const banner = bannerLines({
    url,
    seconds: (Date.now() - started) / 1000,
    demo,
    demoApiKeyFromEnv: config.POLICYPAY_DEMO_API_KEY !== undefined,
    setupUrl: setupToken ? `${url}/setup#code=${setupToken}` : undefined,
    workers: workers !== undefined,
    smtpUrl: config.SMTP_URL,
    processor: payments.processors.has('stripe')
      ? { stripe: true }
      : {
          stripe: false,
          sandboxUrl: payments.sandbox?.url ?? config.POLICYPAY_SANDBOX_URL,
          inProcess: payments.sandbox !== undefined,
        },
  });
  for (const line of banner) say(line);
  if (metricsServer) say(`  metrics         ${metricsServer.url}/metrics`);

  exitGracefullyOnSignals(
    [
      { name: 'HTTP server', run: () => Promise.all([app.close(), metricsServer?.close()]) },
      { name: 'workers', run: async (remainingMs) => workers?.stop(workerStopTime(remainingMs)) },
      { name: 'job sender', run: async (remainingMs) => sender?.stop(workerStopTime(remainingMs)) },
      { name: 'processors', run: () => payments.close() },
      { name: 'database', run: () => database.close() },
    ],
    { timeoutSeconds: config.SHUTDOWN_TIMEOUT_SECONDS, log: { info: say, error: (line) => logger.error(line) } },
  );
}
