import type { PgBoss } from 'pg-boss';
import { loadAutopayPlugin } from '../autopay/plugin.ts';
import type { DatabaseKind } from '../db/database.ts';
import { runAutopayForAllAgencies } from '../services/autopay.ts';
import { autopayQueues } from '../services/job-queue.ts';
import type { Db } from '../services/transaction.ts';
import { bossJobQueue } from './job-queue.ts';
import type { WorkerSettings } from './workers.ts';

export const autopaySchedules = {
  pass: autopayQueues.pass,
} as const;

/**
 * The autopay pass every minute. The schedule fires once across workers, but nothing depends on
 * it: a pass that overlaps another (a slow minute, `policypay autopay run`) cannot fire an invoice
 * twice, because each firing is claimed through a unique constraint.
 */
export async function registerAutopayWorkers(
  boss: PgBoss,
  db: Db,
  options: { databaseKind: DatabaseKind; settings: Pick<WorkerSettings, 'autopayConcurrency'> },
): Promise<void> {
  const { plugin } = await loadAutopayPlugin();
  const jobs = bossJobQueue(boss);
  await boss.createQueue(autopaySchedules.pass);
  await boss.schedule(autopaySchedules.pass, '* * * * *');
  await boss.work(autopaySchedules.pass, async () => {
    const runs = await runAutopayForAllAgencies(db, {
      trigger: 'schedule',
      plugin,
      jobs,
      concurrency: options.databaseKind === 'postgres' ? options.settings.autopayConcurrency : 1,
    });
    return {
      passes: runs.map(({ agency, run }) => ({
        agency,
        fired: run.fired,
        alreadyFired: run.alreadyFired,
        paymentsCreated: run.paymentsCreated,
        skipped: run.skipped,
      })),
    };
  });
}
