import type { JobResult, PgBoss } from 'pg-boss';
import { z } from 'zod';
import type { DatabaseKind } from '../platform/db/database.ts';
import type { Db } from '../platform/db/transaction.ts';
import { bossJobQueue } from '../platform/jobs/boss-job-queue.ts';
import { paymentJobKey, paymentQueues } from '../platform/jobs/job-queue.ts';
import { duePayments, executePayments } from './execution.ts';
import { runPaymentJanitor } from './janitor.ts';
import type { Processors } from './processors/processor.ts';
import type { JanitorDelays } from './rules/payment-states.ts';

/** What the payment workers take from the operator's worker settings (`platform/app/workers.ts`). */
export interface PaymentWorkerSettings {
  paymentConcurrency: number;
  pollingIntervalSeconds: number;
  /** The payment sweep and the janitor. */
  sweepCron: string;
  janitorDelays: JanitorDelays;
}

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
  options: { databaseKind: DatabaseKind; settings: PaymentWorkerSettings },
): Promise<void> {
  const jobs = bossJobQueue(boss);
  await createPaymentQueues(boss);
  for (const queue of [paymentSchedules.sweep, paymentSchedules.janitor]) await boss.createQueue(queue);
  // PGlite is one session: more local concurrency only queues on it.
  const { settings } = options;
  const concurrency = options.databaseKind === 'postgres' ? settings.paymentConcurrency : 1;
  const janitorDelays = settings.janitorDelays;
  // Two fetch loops, each taking a batch and executing it `concurrency / 2` payments at a time
  // (their attempts started in one transaction, their charges at once), so one loop's slowest
  // charge does not idle the other; a full batch re-fetches at once (burst), so a backlog drains
  // at execution speed and the polling interval only paces an idle queue.
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
    async (batch) => {
      const results: JobResult[] = [];
      for (let start = 0; start < batch.length; start += perLoop) {
        const group = batch.slice(start, start + perLoop);
        const parsed = group.map((job) => executeJob.safeParse(job.data));
        const ids = parsed.flatMap((p) => (p.success ? [p.data.paymentId] : []));
        const outcomes = await executePayments(db, processors, ids, { jobs, janitorDelays });
        let next = 0;
        group.forEach((job, index) => {
          const p = parsed[index]!;
          // A job alone fails and retries; the group's other payments stand.
          if (!p.success) {
            results.push({ id: job.id, status: 'failed', output: { message: p.error.message } });
            return;
          }
          const outcome = outcomes[next++]!;
          results.push(
            outcome.status === 'fulfilled'
              ? { id: job.id, status: 'completed', output: outcome.value }
              : { id: job.id, status: 'failed', output: { message: (outcome.reason as Error).message } },
          );
        });
      }
      return results;
    },
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
async function sweepPayments(boss: PgBoss, db: Db, now: Date): Promise<number> {
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
