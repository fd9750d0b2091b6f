import { type Insertable, sql } from 'kysely';
import type { SyncOutboxTable } from '../../platform/db/schema.ts';
import type { Tx } from '../../platform/db/transaction.ts';
import type { AccountField, SyncSystem } from '../rules/records.ts';
import { readSyncRules } from './sync-settings.ts';

// The sync outbox as the rest of policypay writes it: a customer created or edited queues its
// pushes in its own transaction, so a push exists exactly when the change does. Pushing happens
// after commit, in `sync/push.ts`.

/** What an outbox row carries: account field names, and `contact` for the account's contact. */
export type PushField = AccountField | 'contact';

/**
 * Writes outbox rows; a pending row for the same record and system takes the later request (its
 * `requests` counter moves, so a push in flight does not swallow it) and the union of the fields
 * (null, the whole record, wins).
 */
export async function queuePushes(tx: Tx, rows: Insertable<SyncOutboxTable>[]): Promise<void> {
  if (rows.length === 0) return;
  await tx
    .insertInto('sync_outbox')
    .values(rows)
    .onConflict((oc) =>
      oc
        .columns(['agency_id', 'system', 'entity', 'local_id'])
        .where('done_at', 'is', null)
        .doUpdateSet({
          requests: sql`sync_outbox.requests + 1`,
          fields: sql`CASE WHEN sync_outbox.fields IS NULL OR excluded.fields IS NULL THEN NULL
            ELSE (SELECT jsonb_agg(DISTINCT f) FROM jsonb_array_elements(sync_outbox.fields || excluded.fields) AS f) END`,
        }),
    )
    .execute();
}

/** The outbox `fields` value for a list of fields (null = the whole record). */
export function pushFieldsJson(fields: readonly PushField[] | null): string | null {
  return fields === null ? null : JSON.stringify([...new Set(fields)].sort());
}

/**
 * A customer created in policypay goes to the rules' `pushOnCreate` systems that have an enabled
 * connector (the others are skipped: nothing to push to), queued in its creating transaction.
 */
export async function queueCreatePushes(tx: Tx, agencyId: string, customerId: string): Promise<SyncSystem[]> {
  const rules = await readSyncRules(tx, agencyId);
  if (rules.pushOnCreate.length === 0) return [];
  const configured = await tx
    .selectFrom('sync_connectors')
    .select('system')
    .where('agency_id', '=', agencyId)
    .where('enabled', '=', true)
    .where('system', 'in', rules.pushOnCreate)
    .execute();
  const targets = [...new Set(configured.map((c) => c.system))];
  await queuePushes(
    tx,
    targets.map((system) => ({
      agency_id: agencyId,
      system,
      entity: 'customer',
      local_id: customerId,
      operation: 'create',
    })),
  );
  return targets;
}

/**
 * Queues pushes of a locally edited customer to the systems it is linked to (rules permitting),
 * carrying only `fields` (what the edit changed), so an edit made in that system to another field
 * survives.
 */
export async function queueLocalEditPushes(
  tx: Tx,
  agencyId: string,
  customerId: string,
  fields: readonly PushField[] | null = null,
): Promise<SyncSystem[]> {
  const rules = await readSyncRules(tx, agencyId);
  const links = await tx
    .selectFrom('sync_links')
    .select('system')
    .where('agency_id', '=', agencyId)
    .where('entity', '=', 'customer')
    .where('local_id', '=', customerId)
    .execute();
  const targets = rules.customer.flows
    .filter((flow) => flow.from === 'local' && links.some((l) => l.system === flow.to))
    .map((flow) => flow.to);
  const unique = [...new Set(targets)];
  if (unique.length === 0) return [];
  await queuePushes(
    tx,
    unique.map((system) => ({
      agency_id: agencyId,
      system,
      entity: 'customer' as const,
      local_id: customerId,
      operation: 'update' as const,
      fields: pushFieldsJson(fields),
    })),
  );
  return unique;
}
