// AR aging from the invoice balances the database keeps (invoice_balances, migration 0026): only
// open invoices are read, through its partial index, never the ledger's lines. "As of" a past date
// takes back the AR lines of the entries dated after it, a read of those days' lines only.
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
  /** Customers with an open balance on the date. */
  customerCount: number;
  /** The customers owing most first (at most the limit asked). */
  customers: AgingCustomer[];
}

/** The invoices open on `asOf` with their balance then (`invoice_id`, `balance`). */
function openInvoices(agencyId: string, asOf: CalendarDate) {
  return sql`
    WITH later AS (
      SELECT l.invoice_id, sum(l.amount_cents)::int8 AS cents
        FROM journal_entries e
        JOIN journal_lines l ON l.entry_id = e.id
       WHERE e.agency_id = ${agencyId}::uuid AND e.occurred_on > ${asOf}::date
         AND l.account = 'accounts_receivable' AND l.invoice_id IS NOT NULL
       GROUP BY l.invoice_id
    ), open AS (
      SELECT b.invoice_id, b.balance_cents - coalesce(later.cents, 0) AS balance
        FROM invoice_balances b
        LEFT JOIN later USING (invoice_id)
       WHERE b.agency_id = ${agencyId}::uuid AND b.balance_cents <> 0
      UNION ALL
      -- Paid off since the date: open then, closed now.
      SELECT later.invoice_id, -later.cents
        FROM later
        JOIN invoice_balances b USING (invoice_id)
       WHERE b.balance_cents = 0
    )`;
}

/** One `sum(...) FILTER (due date in the bucket)` per bucket, in `agingBuckets` order. */
function bucketSums(asOf: CalendarDate): RawBuilder<unknown>[] {
  const cutoffs = agingCutoffs(asOf);
  return cutoffs.map(({ bucket, dueOnOrAfter }, index) => {
    const newer = cutoffs[index - 1]?.dueOnOrAfter;
    const conditions = [
      ...(dueOnOrAfter ? [sql`i.due_date >= ${dueOnOrAfter}::date`] : []),
      ...(newer ? [sql`i.due_date < ${newer}::date`] : []),
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

/**
 * The totals and the customers owing most, in one statement: the open invoices are read and added up
 * per customer once (`per_customer`), then summed for the totals and cut to the top for the page;
 * only those customers' names are looked up.
 */
export async function arAging(db: Db, actor: Actor, asOf: CalendarDate, limit: number): Promise<AgingReport> {
  const columns = sql.join(agingBuckets.map((bucket) => sql.ref(column(bucket))));
  const totals = sql.join(
    agingBuckets.map((bucket) => sql`sum(${sql.ref(column(bucket))})::int8 AS ${sql.ref(column(bucket))}`),
  );
  const rows = await sql<
    BucketRow & { customer_number: number | null; name: string | null; customers: string }
  >`${openInvoices(actor.agencyId, asOf)},
    per_customer AS (
      SELECT i.customer_id, ${sql.join(bucketSums(asOf))}, sum(o.balance) AS total
        FROM open o JOIN invoices i ON i.id = o.invoice_id
       WHERE o.balance <> 0
       GROUP BY i.customer_id
    )
    SELECT NULL::int AS customer_number, NULL::text AS name, ${totals}, count(*) AS customers FROM per_customer
    UNION ALL
    (SELECT c.customer_number, c.name, ${columns}, NULL
       FROM (SELECT * FROM per_customer ORDER BY total DESC, customer_id LIMIT ${limit}) top
       JOIN customers c ON c.id = top.customer_id)`.execute(db);
  // The totals row is the one without a customer (a UNION ALL's rows come in no promised order).
  const total = rows.rows.find((r) => r.customer_number === null);
  const customers = rows.rows.filter((r) => r.customer_number !== null);
  return {
    asOf,
    totals: amountsOf(total!),
    customerCount: Number(total!.customers),
    customers: customers
      .map((r) => ({ customerNumber: r.customer_number!, customerName: r.name!, amounts: amountsOf(r) }))
      .sort(
        (a, b) => compareCents(agingTotal(b.amounts), agingTotal(a.amounts)) || a.customerNumber - b.customerNumber,
      ),
  };
}

const compareCents = (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0);

/** Every customer with an open balance on `asOf`, by customer number: the CSV. */
export async function customerRows(db: Db, agencyId: string, asOf: CalendarDate): Promise<AgingCustomer[]> {
  const rows = await sql<BucketRow & { customer_number: number; name: string }>`${openInvoices(agencyId, asOf)}
    SELECT c.customer_number, c.name, ${sql.join(bucketSums(asOf))}
      FROM open o
      JOIN invoices i ON i.id = o.invoice_id
      JOIN customers c ON c.id = i.customer_id
     WHERE o.balance <> 0
     GROUP BY c.id, c.customer_number, c.name
     ORDER BY c.customer_number`.execute(db);
  return rows.rows.map((r) => ({ customerNumber: r.customer_number, customerName: r.name, amounts: amountsOf(r) }));
}
