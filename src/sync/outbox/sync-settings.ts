import type { Db, Tx } from '../../platform/db/transaction.ts';
import { defaultSyncRules, type SyncRules, syncRulesSchema } from '../rules/rules.ts';

/**
 * Takes the agency's sync lock (its sync_settings row) until commit and returns its rules. Every
 * transaction that may link or create from an external record holds it, so a webhook and a daily
 * page can never both decide that the same account is new.
 */
export async function lockAgencySync(tx: Tx, agencyId: string): Promise<SyncRules> {
  await tx
    .insertInto('sync_settings')
    .values({ agency_id: agencyId, rules: null })
    .onConflict((oc) => oc.column('agency_id').doNothing())
    .execute();
  const row = await tx
    .selectFrom('sync_settings')
    .select('rules')
    .where('agency_id', '=', agencyId)
    .forUpdate()
    .executeTakeFirstOrThrow();
  return parseRules(row.rules);
}

export async function readSyncRules(db: Db | Tx, agencyId: string): Promise<SyncRules> {
  const row = await db.selectFrom('sync_settings').select('rules').where('agency_id', '=', agencyId).executeTakeFirst();
  return parseRules(row?.rules ?? null);
}

function parseRules(stored: unknown): SyncRules {
  if (stored === null || stored === undefined) return defaultSyncRules;
  const parsed = syncRulesSchema.safeParse(stored);
  return parsed.success ? parsed.data : defaultSyncRules;
}
