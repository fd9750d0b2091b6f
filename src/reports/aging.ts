// AR aging from the summaries the database keeps (migrations 0026 and 0028), never a read of every
// open invoice: the totals add up the agency's open balance per due date (ar_due_totals and the
// deltas not yet folded into it, a few hundred rows), the customer count and "owing most" read
// customer_ar_balances through its partial index, and only the customers on the page have their
// invoices read. "As of" a past date takes back the AR lines of the entries dated after it, a read
// of those days' lines only. The CSV lists every customer, so it reads every open invoice.
import { type RawBuilder, sql } from 'kysely';
import { getAgency } from '../agency/agencies.ts';
import type { Actor } from '../kernel/actor.ts';
import { type CalendarDate, dateInZone } from '../kernel/calendar.ts';
import type { Db } from '../platform/db/transaction.ts';
import { type AgingAmounts, type AgingBucket, agingBuckets, agingCutoffs, agingTotal } from './rules/aging.ts';

export interface AgingCustomer {
  customerNumber: number;
  customerName: string;
  amounts: AgingAmounts;
}

export interface AgingReport {
  asOf: CalendarDate;
  totals: AgingAmounts;
  /** Customers whose invoices' open balance on the date is not zero. */
  customerCount: number;
  /** The customers owing most first (at most the limit asked). */
  customers: AgingCustomer[];
}

/** The AR lines of entries dated after `asOf`, per invoice (`invoice_id`, `customer_id`, `due_date`, `cents`). */
function laterLines(agencyId: string, asOf: CalendarDate) {
  return sql`
    SELECT l.invoice_id, i.customer_id, i.due_date, sum(l.amount_cents)::int8 AS cents
      FROM journal_entries e
      JOIN journal_lines l ON l.entry_id = e.id
      JOIN invoices i ON i.id = l.invoice_id
     WHERE e.agency_id = ${agencyId}::uuid AND e.occurred_on > ${asOf}::date
       AND l.account = 'accounts_receivable' AND l.invoice_id IS NOT NULL
     GROUP BY l.invoice_id, i.customer_id, i.due_date`;
}

/**
 * One `sum(balance) FILTER (due date in the bucket)` per bucket, in `agingBuckets` order, over rows
 * with a `due_date` and a `balance`.
 */
function bucketSums(asOf: CalendarDate): RawBuilder<unknown>[] {
  const cutoffs = agingCutoffs(asOf);
  return cutoffs.map(({ bucket, dueOnOrAfter }, index) => {
    const newer = cutoffs[index - 1]?.dueOnOrAfter;
    const conditions = [
      ...(dueOnOrAfter ? [sql`o.due_date >= ${dueOnOrAfter}::date`] : []),
      ...(newer ? [sql`o.due_date < ${newer}::date`] : []),
    ];
    return sql`coalesce(sum(o.balance) FILTER (WHERE ${sql.join(conditions, sql` AND `)}), 0)::int8 AS ${sql.ref(column(bucket))}`;
  });
}

const column = (bucket: AgingBucket) => `b_${agingBuckets.indexOf(bucket)}`;
type BucketRow = Record<string, bigint>;
const amountsOf = (row: BucketRow): AgingAmounts =>
  Object.fromEntries(agingBuckets.map((bucket) => [bucket, BigInt(row[column(bucket)] ?? 0)])) as AgingAmounts;

/** The agency's date `asOf` defaults to: today in its time zone. */
export async function agingDate(
  db: Db,
  actor: Actor,
  asked: CalendarDate | undefined,
  now: Date,
): Promise<CalendarDate> {
  return asked ?? dateInZone(now, (await getAgency(db, actor.agencyId)).timeZone);
}

/** The totals per bucket and how many customers owe, from the per-due-date and per-customer summaries. */
async function agingTotals(db: Db, agencyId: string, asOf: CalendarDate) {
  const result = await sql<BucketRow & { customers: string; changed: string }>`
    WITH later AS (${laterLines(agencyId, asOf)}),
    o AS (
      SELECT due_date, sum(cents) AS balance FROM (
        SELECT due_date, balance_cents AS cents FROM ar_due_totals WHERE agency_id = ${agencyId}::uuid
        UNION ALL SELECT due_date, cents FROM ar_due_deltas WHERE agency_id = ${agencyId}::uuid
        UNION ALL SELECT due_date, -cents FROM later) d
      GROUP BY due_date
    ),
    changed AS (
      SELECT coalesce(b.balance_cents, 0) AS now_cents, coalesce(b.balance_cents, 0) - l.cents AS then_cents
        FROM (SELECT customer_id, sum(cents) AS cents FROM later GROUP BY customer_id) l
        LEFT JOIN customer_ar_balances b ON b.customer_id = l.customer_id
    )
    SELECT ${sql.join(bucketSums(asOf))},
      (SELECT count(*) FROM customer_ar_balances WHERE agency_id = ${agencyId}::uuid AND balance_cents <> 0)
        - (SELECT count(*) FROM changed WHERE now_cents <> 0 AND then_cents = 0)
        + (SELECT count(*) FROM changed WHERE now_cents = 0 AND then_cents <> 0) AS customers,
      (SELECT count(*) FROM changed) AS changed
      FROM o`.execute(db);
  const row = result.rows[0]!;
  return { totals: amountsOf(row), customerCount: Number(row.customers), changed: Number(row.changed) };
}

/**
 * The `limit` customers owing most on `asOf`. Customers whose balance changed after the date are
 * read wherever they stand now; of the others, whose balance then is their balance now, the `limit +
 * changed` owing most now are enough: at most `changed` of those are displaced.
 */
async function topCustomers(
  db: Db,
  agencyId: string,
  asOf: CalendarDate,
  limit: number,
  changed: number,
): Promise<AgingCustomer[]> {
  const rows = await sql<BucketRow & { customer_number: number; name: string }>`
    WITH later AS (${laterLines(agencyId, asOf)}),
    candidates AS (
      (SELECT customer_id FROM customer_ar_balances
        WHERE agency_id = ${agencyId}::uuid AND balance_cents <> 0
        ORDER BY balance_cents DESC, customer_id
        LIMIT ${limit + changed})
      UNION SELECT customer_id FROM later
    ),
    o AS (
      SELECT i.customer_id, i.due_date, b.balance_cents - coalesce(later.cents, 0) AS balance
        FROM candidates c
        JOIN invoices i ON i.agency_id = ${agencyId}::uuid AND i.customer_id = c.customer_id
        JOIN invoice_balances b ON b.invoice_id = i.id
        LEFT JOIN later ON later.invoice_id = i.id
    )
    SELECT c.customer_number, c.name, ${sql.join(bucketSums(asOf))}
      FROM o JOIN customers c ON c.id = o.customer_id
     GROUP BY c.id, c.customer_number, c.name
    HAVING sum(o.balance) <> 0
     ORDER BY sum(o.balance) DESC, c.id
     LIMIT ${limit}`.execute(db);
  return rows.rows.map((r) => ({ customerNumber: r.customer_number, customerName: r.name, amounts: amountsOf(r) }));
}

export async function arAging(db: Db, actor: Actor, asOf: CalendarDate, limit: number): Promise<AgingReport> {
  const { totals, customerCount, changed } = await agingTotals(db, actor.agencyId, asOf);
  const customers = await topCustomers(db, actor.agencyId, asOf, limit, changed);
  return {
    asOf,
    totals,
    customerCount,
    customers: customers.sort(
      (a, b) => compareCents(agingTotal(b.amounts), agingTotal(a.amounts)) || a.customerNumber - b.customerNumber,
    ),
  };
}

const compareCents = (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0);

/** Every customer with an open balance on `asOf`, by customer number: the CSV. */
export async function customerRows(db: Db, agencyId: string, asOf: CalendarDate): Promise<AgingCustomer[]> {
  const rows = await sql<BucketRow & { customer_number: number; name: string }>`
    WITH later AS (${laterLines(agencyId, asOf)}),
    o AS (
      SELECT i.customer_id, i.due_date, b.balance_cents - coalesce(later.cents, 0) AS balance
        FROM invoice_balances b
        JOIN invoices i ON i.id = b.invoice_id
        LEFT JOIN later ON later.invoice_id = b.invoice_id
       WHERE b.agency_id = ${agencyId}::uuid AND (b.balance_cents <> 0 OR later.cents IS NOT NULL)
    )
    SELECT c.customer_number, c.name, ${sql.join(bucketSums(asOf))}
      FROM o JOIN customers c ON c.id = o.customer_id
     GROUP BY c.id, c.customer_number, c.name
    HAVING sum(o.balance) <> 0
     ORDER BY c.customer_number`.execute(db);
  return rows.rows.map((r) => ({ customerNumber: r.customer_number, customerName: r.name, amounts: amountsOf(r) }));
}

/**
 * Folds the per-due-date deltas into the totals (the maintenance job, every few minutes): one
 * statement, so a reader sees each delta either still in the deltas or already in the totals.
 */
export async function foldAgingDeltas(db: Db): Promise<{ folded: number }> {
  const result = await sql<{ n: string }>`
    WITH moved AS (DELETE FROM ar_due_deltas RETURNING agency_id, due_date, cents),
    folded AS (
      INSERT INTO ar_due_totals AS t (agency_id, due_date, balance_cents)
      SELECT agency_id, due_date, sum(cents) FROM moved GROUP BY agency_id, due_date ORDER BY agency_id, due_date
      ON CONFLICT (agency_id, due_date) DO UPDATE SET balance_cents = t.balance_cents + excluded.balance_cents
      RETURNING 1
    )
    SELECT (SELECT count(*) FROM moved)::text AS n`.execute(db);
  return { folded: Number(result.rows[0]?.n ?? 0) };
}
