import type { PgBoss } from 'pg-boss';
import { z } from 'zod';
import { systemActor } from '../kernel/actor.ts';
import type { DatabaseKind } from '../platform/db/database.ts';
import type { Db } from '../platform/db/transaction.ts';
import { bossJobQueue } from '../platform/jobs/boss-job-queue.ts';
import { autopayQueues } from '../platform/jobs/job-queue.ts';
import { AUTOPAY_ACTOR_LABEL, runAutopayPass } from './autopay.ts';
import { agenciesWithDueAutopay } from './candidates.ts';
import { loadAutopayPlugin } from './plugins/plugin.ts';

export const autopaySchedules = {
  pass: autopayQueues.pass,
  /** One agency's pass; exclusive by agency, so the agencies of a day run in parallel on all workers. */
  agency: 'autopay.agency',
} as const;

const agencyJob = z.object({ agencyId: z.uuid() });

/**
 * The autopay pass every minute fans out: it enqueues one job per agency with due work, keyed by
 * the agency on an exclusive queue, so an agency whose pass is still queued or running is not
 * queued again and several workers run different agencies at once. Nothing depends on that for
 * correctness: overlapping passes (`policypay autopay run`, a pass found dead) cannot fire an
 * invoice twice, because each firing is claimed by a live run.
 */
export async function registerAutopayWorkers(
  boss: PgBoss,
  db: Db,
  options: { databaseKind: DatabaseKind; settings: { autopayConcurrency: number } },
): Promise<void> {
  const { plugin } = await loadAutopayPlugin();
  const jobs = bossJobQueue(boss);
  await boss.createQueue(autopaySchedules.pass);
  await boss.createQueue(autopaySchedules.agency, { policy: 'exclusive', expireInSeconds: 3600 });
  await boss.schedule(autopaySchedules.pass, '* * * * *');
  await boss.work(autopaySchedules.pass, async () => {
    const agencies = await agenciesWithDueAutopay(db, new Date());
    const ids = await boss.insert(
      autopaySchedules.agency,
      agencies.map((agency) => ({ data: { agencyId: agency.id }, singletonKey: agency.id })),
      { returnId: true },
    );
    return { due: agencies.map((a) => a.slug), enqueued: ids?.length ?? 0 };
  });
  // One pass at a time per process: a pass holds a pooled connection for its run lock plus its
  // firing concurrency, so more agencies at once belong on more worker processes.
  await boss.work(
    autopaySchedules.agency,
    { batchSize: 1, localConcurrency: 1, pollingIntervalSeconds: 1 },
    async ([job]) => {
      const { agencyId } = agencyJob.parse(job?.data);
      const run = await runAutopayPass(db, systemActor(agencyId, AUTOPAY_ACTOR_LABEL), {
        trigger: 'schedule',
        plugin,
        jobs,
        concurrency: options.databaseKind === 'postgres' ? options.settings.autopayConcurrency : 1,
      });
      return {
        fired: run.fired,
        alreadyFired: run.alreadyFired,
        paymentsCreated: run.paymentsCreated,
        skipped: run.skipped,
      };
    },
  );
}
