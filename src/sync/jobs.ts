import type { PgBoss } from 'pg-boss';
import type { Db } from '../platform/db/transaction.ts';
import { agenciesWithConnector, runDailySync } from './daily.ts';
import { agenciesWithPendingPushes, pushPending } from './push.ts';

export const syncSchedules = {
  /** The daily benefits sync (04:30 UTC): changes since each agency's cursor. */
  daily: 'sync.daily',
  /** Queued pushes whose after-commit send failed or was lost with its process. */
  pushSweep: 'sync.push-sweep',
} as const;

/**
 * Sync schedules. Both are safe to overlap with each other, the CLI and webhooks: pages and
 * webhooks take the agency's sync lock, and a repeated push is found by our id or is a no-op.
 */
export async function registerSyncWorkers(
  boss: PgBoss,
  db: Db,
  options: { settings: { sweepCron: string } },
): Promise<void> {
  for (const queue of Object.values(syncSchedules)) await boss.createQueue(queue);
  await boss.schedule(syncSchedules.daily, '30 4 * * *');
  await boss.schedule(syncSchedules.pushSweep, options.settings.sweepCron);
  await boss.work(syncSchedules.daily, async () => {
    const runs = [];
    for (const agencyId of await agenciesWithConnector(db, 'benefits')) {
      const run = await runDailySync(db, agencyId, 'benefits');
      await pushPending(db, agencyId);
      runs.push({ agencyId, status: run.status, received: run.received, created: run.created, error: run.error });
    }
    return { runs };
  });
  await boss.work(syncSchedules.pushSweep, async () => {
    const swept = [];
    for (const agencyId of await agenciesWithPendingPushes(db)) {
      swept.push({ agencyId, ...(await pushPending(db, agencyId)) });
    }
    return { swept };
  });
}
