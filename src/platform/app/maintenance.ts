import type { PgBoss } from 'pg-boss';
import { purgeExpiredSessions } from '../../agency/users.ts';
import { purgeExpiredPortalSessions } from '../../portal/auth.ts';
import { foldAgingDeltas } from '../../reports/aging.ts';
import type { DatabaseKind } from '../db/database.ts';
import { analyzeDatabase } from '../db/statistics.ts';
import type { Db } from '../db/transaction.ts';
import { purgeIdempotencyKeys } from '../http/idempotency-keys.ts';

/** Housekeeping that keeps tables from growing without bound. Schedules fire once across workers. */
export const maintenanceQueues = {
  purgeIdempotencyKeys: 'maintenance.purge-idempotency-keys',
  purgeSessions: 'maintenance.purge-sessions',
  analyze: 'maintenance.analyze',
  foldAgingDeltas: 'maintenance.fold-aging-deltas',
} as const;

export async function registerMaintenance(
  boss: PgBoss,
  db: Db,
  options: { databaseKind: DatabaseKind },
): Promise<void> {
  for (const queue of Object.values(maintenanceQueues)) await boss.createQueue(queue);
  await boss.schedule(maintenanceQueues.purgeIdempotencyKeys, '17 * * * *');
  await boss.schedule(maintenanceQueues.purgeSessions, '23 3 * * *');
  await boss.work(maintenanceQueues.purgeIdempotencyKeys, async () => ({
    purged: await purgeIdempotencyKeys(db),
  }));
  // AR aging reads the folded totals plus the deltas since: folding keeps that read a few rows.
  await boss.schedule(maintenanceQueues.foldAgingDeltas, '*/5 * * * *');
  await boss.work(maintenanceQueues.foldAgingDeltas, async () => foldAgingDeltas(db));
  await boss.work(maintenanceQueues.purgeSessions, async () => ({
    purged: await purgeExpiredSessions(db),
    portalSessionsPurged: await purgeExpiredPortalSessions(db),
  }));
  // PostgreSQL's autovacuum keeps statistics fresh; embedded PGlite has none, so a schedule does.
  // The job itself works on both (an operator may send it after a bulk load).
  await boss.work(maintenanceQueues.analyze, async () => analyzeDatabase(db));
  if (options.databaseKind === 'pglite') await boss.schedule(maintenanceQueues.analyze, '*/15 * * * *');
  else await boss.unschedule(maintenanceQueues.analyze);
}
