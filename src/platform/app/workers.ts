import type { PgBoss } from 'pg-boss';
import { registerAutopayWorkers } from '../../autopay/jobs.ts';
import { createEmailQueues, type EmailWorkerOptions, registerEmailWorkers } from '../../email/jobs.ts';
import { createPaymentQueues, registerPaymentWorkers } from '../../payments/jobs.ts';
import type { Processors } from '../../payments/processors/processor.ts';
import { DEFAULT_JANITOR_DELAYS, type JanitorDelays } from '../../payments/rules/payment-states.ts';
import { createPortalQueues, registerPortalWorkers } from '../../portal/jobs.ts';
import { registerAmsReceiptWorkers } from '../../sync/ams360-receipts/jobs.ts';
import { amsReceiptQueues } from '../../sync/ams360-receipts/outbox.ts';
import { registerSyncWorkers } from '../../sync/jobs.ts';
import type { Config } from '../config.ts';
import type { DatabaseHandle } from '../db/database.ts';
import { createBoss, DEFAULT_JOBS_POOL_SIZE } from '../jobs/boss.ts';
import { bossJobQueue } from '../jobs/boss-job-queue.ts';
import type { JobQueue } from '../jobs/job-queue.ts';
import { autopayQueues } from '../jobs/job-queue.ts';
import { defaultLogger, type Logger } from '../log/logger.ts';
import { registerMaintenance } from './maintenance.ts';
import type { WorkersState } from './readiness.ts';

export interface Workers {
  boss: PgBoss;
  /** For GET /api/v1/ready: `running` from a completed start until a stop begins. */
  state(): WorkersState;
  /** Stops taking jobs and waits up to `timeoutMs` (at least 1 s, pg-boss's floor) for those running. */
  stop(timeoutMs?: number): Promise<void>;
}

/** How long a stop waits for running jobs when the caller gives no time (tests; see platform/app/shutdown.ts). */
const STOP_TIMEOUT_MS = 5000;

/** What operators tune about the workers (README's configuration table); PGlite runs one at a time. */
export interface WorkerSettings {
  jobsPoolSize: number;
  paymentConcurrency: number;
  autopayConcurrency: number;
  amsReceiptConcurrency: number;
  emailConcurrency: number;
  pollingIntervalSeconds: number;
  emailPollingIntervalSeconds: number;
  /** The payment sweep, the janitor and the outbox sweeps. */
  sweepCron: string;
  janitorDelays: JanitorDelays;
}

export const DEFAULT_WORKER_SETTINGS: WorkerSettings = {
  jobsPoolSize: DEFAULT_JOBS_POOL_SIZE,
  paymentConcurrency: 8,
  autopayConcurrency: 8,
  amsReceiptConcurrency: 4,
  emailConcurrency: 1,
  pollingIntervalSeconds: 2,
  emailPollingIntervalSeconds: 0.5,
  sweepCron: '* * * * *',
  janitorDelays: DEFAULT_JANITOR_DELAYS,
};

export function workerSettings(config: Config): WorkerSettings {
  return {
    jobsPoolSize: config.JOBS_POOL_SIZE,
    paymentConcurrency: config.WORKER_PAYMENT_CONCURRENCY,
    autopayConcurrency: config.WORKER_AUTOPAY_CONCURRENCY,
    amsReceiptConcurrency: config.WORKER_AMS_RECEIPT_CONCURRENCY,
    emailConcurrency: config.WORKER_EMAIL_CONCURRENCY,
    pollingIntervalSeconds: config.WORKER_POLLING_INTERVAL_SECONDS,
    emailPollingIntervalSeconds: config.EMAIL_POLLING_INTERVAL_SECONDS,
    sweepCron: config.SWEEP_CRON,
    janitorDelays: {
      startedMs: config.PAYMENT_JANITOR_STARTED_CHECK_SECONDS * 1000,
      firstMs: config.PAYMENT_JANITOR_FIRST_CHECK_SECONDS * 1000,
      secondMs: config.PAYMENT_JANITOR_SECOND_CHECK_SECONDS * 1000,
      laterMs: config.PAYMENT_JANITOR_LATER_CHECK_SECONDS * 1000,
    },
  };
}

/** Logs pg-boss's errors (a lost connection among them): unheard, an 'error' event ends the process. */
function logErrors(boss: PgBoss, logger: Logger, label: string): void {
  boss.on('error', (error) => logger.error({ err: error, component: label }, 'pg-boss error'));
}

/** Starts pg-boss and every worker and schedule this process runs. */
export async function startWorkers(
  database: DatabaseHandle,
  options: {
    schema?: string;
    processors?: Processors;
    email?: EmailWorkerOptions;
    settings?: WorkerSettings;
    /** Default: warnings and errors on stderr. */
    logger?: Logger;
  } = {},
): Promise<Workers> {
  const settings = options.settings ?? DEFAULT_WORKER_SETTINGS;
  const logger = options.logger ?? defaultLogger();
  const boss = createBoss(database, { ...options, poolSize: settings.jobsPoolSize });
  logErrors(boss, logger, 'workers');
  await boss.start();
  const kind = { databaseKind: database.kind, settings };
  await registerMaintenance(boss, database.db, { databaseKind: database.kind });
  await registerEmailWorkers(boss, database.db, {
    concurrency: database.kind === 'postgres' ? settings.emailConcurrency : 1,
    pollingIntervalSeconds: settings.emailPollingIntervalSeconds,
    sweepCron: settings.sweepCron,
    logger,
    ...options.email,
  });
  await registerPortalWorkers(boss, database.db);
  await registerSyncWorkers(boss, database.db, kind);
  await registerAmsReceiptWorkers(boss, database.db, kind);
  if (options.processors) {
    await registerPaymentWorkers(boss, database.db, options.processors, kind);
    await registerAutopayWorkers(boss, database.db, kind);
  }
  let state: WorkersState = 'running';
  boss.once('stopped', () => {
    state = 'stopped';
  });
  return {
    boss,
    state: () => state,
    async stop(timeoutMs = STOP_TIMEOUT_MS) {
      if (state === 'running') state = 'stopping';
      await boss.stop({ graceful: true, timeout: timeoutMs });
      state = 'stopped';
    },
  };
}

export interface JobSender {
  jobs: JobQueue;
  /** Its pg-boss instance, for the metrics' queue counts. */
  boss: PgBoss;
  stop(timeoutMs?: number): Promise<void>;
}

/**
 * pg-boss for a process that runs no workers (`serve --no-workers`): its use cases still enqueue
 * their jobs in their transactions, for the worker processes to run at once. It creates the
 * queues it sends to, so it works before any worker has started.
 */
export async function startJobSender(
  database: DatabaseHandle,
  options: { schema?: string; settings?: WorkerSettings; logger?: Logger } = {},
): Promise<JobSender> {
  const settings = options.settings ?? DEFAULT_WORKER_SETTINGS;
  const boss = createBoss(database, {
    ...options,
    poolSize: Math.min(2, settings.jobsPoolSize),
    sendOnly: true,
  });
  logErrors(boss, options.logger ?? defaultLogger(), 'jobs');
  await boss.start();
  await createEmailQueues(boss);
  await createPortalQueues(boss);
  await createPaymentQueues(boss);
  // The queues API requests send to (a receipt to export, a staff re-fire of autopay).
  for (const queue of [amsReceiptQueues.send, autopayQueues.pass]) await boss.createQueue(queue);
  return {
    jobs: bossJobQueue(boss),
    boss,
    async stop(timeoutMs = STOP_TIMEOUT_MS) {
      await boss.stop({ graceful: true, timeout: timeoutMs });
    },
  };
}
