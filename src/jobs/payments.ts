import type { PgBoss } from 'pg-boss';
import { z } from 'zod';
import type { DatabaseKind } from '../db/database.ts';
import { paymentQueues } from '../services/job-queue.ts';
import { duePaymentIds, executePayment } from '../services/payment-execution.ts';
import { runPaymentJanitor } from '../services/payment-janitor.ts';
import type { Processors } from '../services/payment-methods.ts';
import type { Db } from '../services/transaction.ts';
import { bossJobQueue } from './job-queue.ts';
import type { WorkerSettings } from './workers.ts';

export const paymentSchedules = {
  sweep: 'payments.sweep',
  janitor: 'payments.janitor',
} as const;

const executeJob = z.object({ paymentId: z.uuid() });

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
  for (const queue of [paymentQueues.execute, paymentSchedules.sweep, paymentSchedules.janitor])
    await boss.createQueue(queue);
  // PGlite is one session: more local concurrency only queues on it.
  const { settings } = options;
  const localConcurrency = options.databaseKind === 'postgres' ? settings.paymentConcurrency : 1;
  const pollingIntervalSeconds = settings.pollingIntervalSeconds;
  const janitorDelays = settings.janitorDelays;
  await boss.work(paymentQueues.execute, { localConcurrency, batchSize: 1, pollingIntervalSeconds }, async ([job]) => {
    const { paymentId } = executeJob.parse(job?.data);
    return executePayment(db, processors, paymentId, { jobs, janitorDelays });
  });
  await boss.schedule(paymentSchedules.sweep, settings.sweepCron);
  await boss.work(paymentSchedules.sweep, async () => {
    const due = await duePaymentIds(db, new Date());
    for (const paymentId of due) await boss.send(paymentQueues.execute, { paymentId });
    return { enqueued: due.length };
  });
  await boss.schedule(paymentSchedules.janitor, settings.sweepCron);
  await boss.work(paymentSchedules.janitor, async () => runPaymentJanitor(db, processors, { jobs, janitorDelays }));
}
