import type { Db } from '../platform/db/transaction.ts';
import { applyExternalCustomers } from './apply.ts';
import { ConnectorError } from './connectors/connector.ts';
import { requireConnector } from './connectors.ts';
import { lockAgencySync } from './outbox/sync-settings.ts';
import { type ApplyFigures, addFigures, emptyFigures } from './rules/figures.ts';
import type { SyncSystem } from './rules/records.ts';

export interface DailySyncResult extends ApplyFigures {
  system: SyncSystem;
  status: 'completed' | 'failed';
  pages: number;
  cursor: string | null;
  error: string | null;
}

const DEFAULT_PAGE_SIZE = 1000;

/**
 * The daily sync of one system: pages of changes since the agency's cursor, each applied in one
 * transaction that also commits the cursor, so a crash or an outage costs at most the page in
 * flight and a re-run goes on from there. When the connector gives up (after its retries) the run
 * stops as `failed` with the cursor at the last committed page.
 */
export async function runDailySync(
  db: Db,
  agencyId: string,
  system: SyncSystem,
  options: { pageSize?: number; onPage?: (result: DailySyncResult) => void } = {},
): Promise<DailySyncResult> {
  const { connector } = await requireConnector(db, agencyId, system);
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  // Until a run has read the system to its end, this is the first load: it may open AR.
  const { first_load_done_at: firstLoadDone } = await db
    .selectFrom('sync_connectors')
    .select('first_load_done_at')
    .where('agency_id', '=', agencyId)
    .where('system', '=', system)
    .executeTakeFirstOrThrow();
  const openingAr = firstLoadDone === null;
  const stored = await db
    .selectFrom('sync_cursors')
    .select('cursor')
    .where('agency_id', '=', agencyId)
    .where('system', '=', system)
    .where('entity', '=', 'customer')
    .executeTakeFirst();
  const result: DailySyncResult = {
    system,
    status: 'completed',
    pages: 0,
    cursor: stored?.cursor ?? null,
    error: null,
    ...emptyFigures(),
  };
  type Page = Awaited<ReturnType<typeof connector.listChanges>>;
  const fetchPage = (cursor: string | null): Promise<Page | ConnectorError> =>
    connector.listChanges('customer', cursor, pageSize).catch((error: unknown) => {
      if (error instanceof ConnectorError) return error;
      throw error;
    });
  let next = fetchPage(result.cursor);
  for (;;) {
    const page = await next;
    if (page instanceof ConnectorError) {
      result.status = 'failed';
      result.error = page.message;
      await db
        .insertInto('sync_log')
        .values({
          agency_id: agencyId,
          system,
          direction: 'inbound',
          entity: 'customer',
          local_id: null,
          external_id: null,
          action: 'error',
          message: `daily sync stopped: ${page.message}; cursor kept at ${result.cursor ?? 'the start'}`,
        })
        .execute();
      return result;
    }
    const last = page.done || page.records.length === 0;
    // The next page is read while this one is written (the cursor still commits with each page).
    if (!last) next = fetchPage(page.cursor);
    if (page.records.length > 0) {
      let figures: ApplyFigures;
      try {
        figures = await db.transaction().execute(async (tx) => {
          const rules = await lockAgencySync(tx, agencyId);
          const applied = await applyExternalCustomers(tx, agencyId, system, page.records, rules, { openingAr });
          await tx
            .insertInto('sync_cursors')
            .values({ agency_id: agencyId, system, entity: 'customer', cursor: page.cursor })
            .onConflict((oc) =>
              oc
                .columns(['agency_id', 'system', 'entity'])
                .doUpdateSet({ cursor: page.cursor, updated_at: new Date() }),
            )
            .execute();
          return applied;
        });
      } catch (error) {
        if (!last) await next.catch(() => undefined);
        throw error;
      }
      addFigures(result, figures);
      result.pages++;
      result.cursor = page.cursor;
      options.onPage?.(result);
    }
    if (last) {
      if (openingAr) {
        await db
          .updateTable('sync_connectors')
          .set({ first_load_done_at: new Date() })
          .where('agency_id', '=', agencyId)
          .where('system', '=', system)
          .where('first_load_done_at', 'is', null)
          .execute();
      }
      // A run that read everything stamps its cursor's time even when the last page was empty: that
      // time is when the system was last fully read (the `policypay_sync_lag_seconds` metric). The
      // cursor itself is left as stored, which a concurrent run may have moved on.
      if (page.records.length === 0) {
        await db
          .insertInto('sync_cursors')
          .values({ agency_id: agencyId, system, entity: 'customer', cursor: result.cursor })
          .onConflict((oc) => oc.columns(['agency_id', 'system', 'entity']).doUpdateSet({ updated_at: new Date() }))
          .execute();
      }
      return result;
    }
  }
}

/** Agencies with an enabled connector for `system` (the daily schedule walks these). */
export async function agenciesWithConnector(db: Db, system: SyncSystem): Promise<string[]> {
  const rows = await db
    .selectFrom('sync_connectors')
    .select('agency_id')
    .where('system', '=', system)
    .where('enabled', '=', true)
    .execute();
  return rows.map((row) => row.agency_id);
}
