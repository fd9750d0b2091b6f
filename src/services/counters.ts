import { sql } from 'kysely';
import { isUuid } from '../domain/ids.ts';
import { isUniqueViolation, type Tx } from './transaction.ts';

/**
 * Next number for a per-agency sequence that clients may also fill themselves (customer and
 * invoice numbers). The counter row is locked until commit, so concurrent callers queue; numbers a
 * client chose itself are skipped because the counter never falls below the table's current
 * maximum, read after the lock so that it sees every committed row.
 */
export async function nextNumber(
  tx: Tx,
  agencyId: string,
  name: string,
  currentMax: () => Promise<number>,
): Promise<number> {
  // One statement creates the row or locks it (the no-op update takes the row lock).
  const locked = await tx
    .insertInto('agency_counters')
    .values({ agency_id: agencyId, name, last_value: 0n })
    .onConflict((oc) => oc.columns(['agency_id', 'name']).doUpdateSet({ last_value: sql`agency_counters.last_value` }))
    .returning('last_value')
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

/**
 * Per-agency PostgreSQL sequences, for numbers only policypay hands out (receipt numbers). Unlike
 * `nextNumber` nothing stays locked until commit: `nextval` is non-transactional, so concurrent
 * receipts of one agency do not queue behind each other. Numbers are unique and increase in the
 * order they are taken; a transaction that rolls back after taking one leaves a gap, as sequences
 * (and Stripe's or an AMS's generated numbers) do.
 *
 * A use case takes the number inside its own write statement (`nextval(<sequence>::regclass)`)
 * and checks that the sequence exists in a read it makes anyway (`to_regclass(<sequence>)`), so
 * numbering costs no round trip of its own; `ensureNumberSequence` creates a missing one.
 */
export function numberSequence(agencyId: string, name: string): string {
  // Checked, because the name is written into DDL.
  if (!isUuid(agencyId) || !/^[a-z]{1,20}$/.test(name)) throw new Error(`no number sequence for ${name}/${agencyId}`);
  return `${name}_numbers_${agencyId.toLowerCase().replaceAll('-', '')}`;
}

/**
 * Creates the sequence, inside the caller's transaction, starting after the table's current
 * maximum (`currentMax`), so that an agency that already has numbers carries on.
 */
export async function ensureNumberSequence(tx: Tx, sequence: string, currentMax: () => Promise<number>): Promise<void> {
  const start = (await currentMax()) + 1;
  // A savepoint: another transaction creating the same sequence at the same moment makes this
  // CREATE fail once that one commits, and the failure must not abort the caller's transaction.
  await sql`SAVEPOINT create_number_sequence`.execute(tx);
  try {
    await sql.raw(`CREATE SEQUENCE IF NOT EXISTS ${sequence} AS integer START WITH ${start}`).execute(tx);
    await sql`RELEASE SAVEPOINT create_number_sequence`.execute(tx);
  } catch (error) {
    await sql`ROLLBACK TO SAVEPOINT create_number_sequence`.execute(tx);
    if (!isUniqueViolation(error) && (error as { code?: string }).code !== '42P07') throw error;
  }
}
