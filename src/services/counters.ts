import { sql } from 'kysely';
import type { Tx } from './transaction.ts';

/**
 * Next number for a per-agency sequence (customer, invoice, receipt numbers). The counter row is
 * locked until commit, so concurrent callers queue; numbers a client chose itself are skipped
 * because the counter never falls below the table's current maximum.
 */
export async function nextNumber(
  tx: Tx,
  agencyId: string,
  name: string,
  currentMax: () => Promise<number>,
): Promise<number> {
  await tx
    .insertInto('agency_counters')
    .values({ agency_id: agencyId, name, last_value: 0n })
    .onConflict((oc) => oc.doNothing())
    .execute();
  const locked = await tx
    .selectFrom('agency_counters')
    .select('last_value')
    .where('agency_id', '=', agencyId)
    .where('name', '=', name)
    .forUpdate()
    .executeTakeFirstOrThrow();
  const next = Math.max(Number(locked.last_value), await currentMax()) + 1;
  await tx
    .updateTable('agency_counters')
    .set({ last_value: sql`${BigInt(next)}` })
    .where('agency_id', '=', agencyId)
    .where('name', '=', name)
    .execute();
  return next;
}
