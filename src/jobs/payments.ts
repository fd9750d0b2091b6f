import type { JobResult, PgBoss } from 'pg-boss';
import { z } from 'zod';
import type { DatabaseKind } from '../db/database.ts';
import { paymentJobKey, paymentQueues } from '../services/job-queue.ts';
import { duePayments, executePayment } from '../services/payment-execution.ts';
import { runPaymentJanitor } from '../services/payment-janitor.ts';
import type { Processors } from '../services/payment-methods.ts';
import type { Db } from '../services/transaction.ts';
import { bossJobQueue } from './job-queue.ts';
import type { WorkerSettings } from './workers.ts';

export const paymentSchedules = {
  sweep: 'payments.sweep',
  janitor: 'payments.janitor',
} as const;

const executeJob = z.object({ paymentId: z.uuid(), attempts: z.number().int().nonnegative().optional() });

/**
 * Payment execution workers. Jobs are a nudge, not the truth: the payments table is. The sweep
 * re-finds any requested payment that is due (a job lost or never sent), and the janitor resolves
 * attempts whose outcome is unknown.
 */
export async function registerPaymentWorkers(
  boss: PgBoss,
  db: Db,
  processors: Processors,
  options: { databaseKind: DatabaseKind; settings: WorkerSettings },
): Promise<void> {
  const jobs = bossJobQueue(boss);
  await createPaymentQueues(boss);
  for (const queue of [paymentSchedules.sweep, paymentSchedules.janitor]) await boss.createQueue(queue);
  // PGlite is one session: more local concurrency only queues on it.
  const { settings } = options;
  const concurrency = options.databaseKind === 'postgres' ? settings.paymentConcurrency : 1;
  const janitorDelays = settings.janitorDelays;
  // Two fetch loops, each taking a batch and charging it `concurrency / 2` at a time, so one
  // loop's slowest charge does not idle the other; a full batch re-fetches at once (burst), so a
  // backlog drains at execution speed and the polling interval only paces an idle queue.
  const loops = concurrency > 1 ? 2 : 1;
  const perLoop = Math.max(1, Math.ceil(concurrency / loops));
  await boss.work(
    paymentQueues.execute,
    {
      localConcurrency: loops,
      batchSize: perLoop * 4,
      burstWhenBatchFull: true,
      perJobResults: true,
      pollingIntervalSeconds: settings.pollingIntervalSeconds,
    },
    async (batch) =>
      mapBounded(batch, perLoop, async (job): Promise<JobResult> => {
        try {
          const { paymentId } = executeJob.parse(job.data);
          const output = await executePayment(db, processors, paymentId, { jobs, janitorDelays });
          return { id: job.id, status: 'completed', output };
        } catch (error) {
          // This job alone fails and retries; the batch's other payments stand.
          return { id: job.id, status: 'failed', output: { message: (error as Error).message } };
        }
      }),
  );
  await boss.schedule(paymentSchedules.sweep, settings.sweepCron);
  await boss.work(paymentSchedules.sweep, async () => ({ enqueued: await sweepPayments(boss, db, new Date()) }));
  await boss.schedule(paymentSchedules.janitor, settings.sweepCron);
  await boss.work(paymentSchedules.janitor, async () => runPaymentJanitor(db, processors, { jobs, janitorDelays }));
}

/** The execution queue, created by whichever process first sends or works it. */
export async function createPaymentQueues(boss: PgBoss): Promise<void> {
  await boss.createQueue(paymentQueues.execute, { policy: 'exclusive' });
}

/**
 * Enqueues every due requested payment, a page per statement. The queue's exclusive policy drops
 * the job of a payment whose attempt already has one queued or running, so the sweep never
 * doubles a job; answers how many it added.
 */
export async function sweepPayments(boss: PgBoss, db: Db, now: Date): Promise<number> {
  let enqueued = 0;
  let after: { nextAttemptAt: Date; id: string } | null = null;
  for (;;) {
    const page = await duePayments(db, now, after, 1000);
    if (page.length === 0) return enqueued;
    const ids = await boss.insert(
      paymentQueues.execute,
      page.map((p) => ({
        data: { paymentId: p.id, attempts: p.attempts },
        singletonKey: paymentJobKey(p.id, p.attempts),
      })),
      { returnId: true },
    );
    enqueued += ids?.length ?? 0;
    if (page.length < 1000) return enqueued;
    const last = page.at(-1)!;
    after = { nextAttemptAt: last.nextAttemptAt, id: last.id };
  }
}

/** Runs `work` over `items`, at most `limit` at a time, answering results in order. */
async function mapBounded<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}
