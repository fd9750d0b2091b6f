import { sql } from 'kysely';
import { DomainError } from '../kernel/errors.ts';
import { isUuid } from '../kernel/ids.ts';
import { isUniqueViolation, type Tx } from '../platform/db/transaction.ts';

/** The largest customer or invoice number: their columns are `integer` (int4). */
const MAX_NUMBER = 2_147_483_647;

/** A per-agency number column that clients may also fill themselves. */
export type NumberedTable =
  | { table: 'customers'; column: 'customer_number' }
  | { table: 'invoices'; column: 'invoice_number' };

export const customerNumbers: NumberedTable = { table: 'customers', column: 'customer_number' };
export const invoiceNumbers: NumberedTable = { table: 'invoices', column: 'invoice_number' };

/**
 * Next number for a per-agency sequence that clients may also fill themselves (customer and
 * invoice numbers). The counter row is locked until commit, so concurrent callers queue; numbers a
 * client chose itself are skipped because the counter never falls below the table's current
 * maximum, read after the lock so that it sees every committed row.
 */
export async function nextNumber(tx: Tx, agencyId: string, name: string, numbered: NumberedTable): Promise<number> {
  return (await reserveNumbers(tx, agencyId, name, numbered, 1))[0]!;
}

/**
 * Reserves `count` numbers at once (one counter update for a page of new customers): the next
 * ones after the counter and the table's maximum, consecutive. When a client has taken a number
 * so high that they would pass `MAX_NUMBER`, the lowest free numbers after the counter's own are
 * handed out instead (wrapping round to 1), so numbering never overflows the column.
 */
export async function reserveNumbers(
  tx: Tx,
  agencyId: string,
  name: string,
  numbered: NumberedTable,
  count: number,
): Promise<number[]> {
  // One statement creates the row or locks it (the no-op update takes the row lock).
  const locked = await tx
    .insertInto('agency_counters')
    .values({ agency_id: agencyId, name, last_value: 0n })
    .onConflict((oc) => oc.columns(['agency_id', 'name']).doUpdateSet({ last_value: sql`agency_counters.last_value` }))
    .returning('last_value')
    .executeTakeFirstOrThrow();
  const max = await tx
    .selectFrom(numbered.table)
    .select(sql<number | null>`max(${sql.ref(numbered.column)})`.as('max'))
    .where('agency_id', '=', agencyId)
    .executeTakeFirst();
  const counter = Math.min(Number(locked.last_value), MAX_NUMBER);
  const first = Math.max(counter, Number(max?.max ?? 0)) + 1;
  const numbers =
    first + count - 1 <= MAX_NUMBER
      ? Array.from({ length: count }, (_, i) => first + i)
      : await freeNumbers(tx, agencyId, name, numbered, counter, count);
  await tx
    .updateTable('agency_counters')
    .set({ last_value: sql`${BigInt(numbers[numbers.length - 1]!)}` })
    .where('agency_id', '=', agencyId)
    .where('name', '=', name)
    .execute();
  return numbers;
}

/** The lowest `count` numbers nobody has taken after `after`, then from 1. */
async function freeNumbers(
  tx: Tx,
  agencyId: string,
  name: string,
  numbered: NumberedTable,
  after: number,
  count: number,
): Promise<number[]> {
  const numbers: number[] = [];
  let from = after + 1;
  let wrapped = false;
  while (numbers.length < count) {
    const found = from <= MAX_NUMBER ? await firstFreeFrom(tx, agencyId, numbered, from) : undefined;
    // Past the wrap, numbers after `after` were already taken by this very call.
    const free = wrapped && found !== undefined && found > after ? undefined : found;
    if (free === undefined) {
      if (wrapped) throw new DomainError('conflict', `every ${name} number up to ${MAX_NUMBER} is taken`);
      wrapped = true;
      from = 1;
      continue;
    }
    numbers.push(free);
    from = free + 1;
  }
  return numbers;
}

/** The start of the first gap at or after `from`: `from` itself, or one past a taken number. */
async function firstFreeFrom(
  tx: Tx,
  agencyId: string,
  { table, column }: NumberedTable,
  from: number,
): Promise<number | undefined> {
  const { rows } = await sql<{ n: number }>`
    SELECT c.n FROM (
      SELECT ${from}::int8 AS n
      UNION ALL
      SELECT ${sql.ref(column)}::int8 + 1 FROM ${sql.table(table)}
      WHERE agency_id = ${agencyId} AND ${sql.ref(column)} >= ${from}
    ) c
    WHERE c.n <= ${MAX_NUMBER} AND NOT EXISTS (
      SELECT 1 FROM ${sql.table(table)} t WHERE t.agency_id = ${agencyId} AND t.${sql.ref(column)} = c.n
    )
    ORDER BY c.n LIMIT 1`.execute(tx);
  return rows[0] === undefined ? undefined : Number(rows[0].n);
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
