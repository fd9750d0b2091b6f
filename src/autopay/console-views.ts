import { sql } from 'kysely';
import { getAgency } from '../agency/agencies.ts';
import type { Actor } from '../kernel/actor.ts';
import type { Cents } from '../kernel/money.ts';
import type { Db } from '../platform/db/transaction.ts';
import { seesAutopayBank } from './autopay-bank-access.ts';
import { type DueDay, dueDays, dueForecastWindow, isFailedPull } from './rules/autopay-console.ts';

/**
 * The reads of the console's Autopay page: the pulls due per day, the failed and declined pulls,
 * and the enrollments. The passes' summaries are `listAutopayRuns` (runs.ts).
 */

/**
 * The pulls due in the next days, per agency day, today from `now` (the server's clock): the
 * undecided autopay times of enrolled customers with a usable method, an open balance and autopay
 * not suppressed, for their open balance (what the default plugin pulls). The database groups them
 * by quarter hour, so the reply is bounded whatever the book's size; the days are the rules'.
 */
export async function autopayDueForecast(db: Db, actor: Actor, now: Date): Promise<{ days: DueDay[] }> {
  const { timeZone } = await getAgency(db, actor.agencyId);
  if (!(await seesAutopayBank(db, actor))) return { days: dueDays([], now, timeZone) };
  const { from, to } = dueForecastWindow(now);
  const rows = await sql<{ at: Date; count: number; amount: bigint }>`
    SELECT to_timestamp(floor(extract(epoch FROM i.autopay_time) / 900) * 900) AS at,
           count(*)::int AS count, sum(b.cents)::int8 AS amount
      FROM invoices i
      JOIN autopay_enrollments e ON e.agency_id = i.agency_id AND e.customer_id = i.customer_id AND e.ended_at IS NULL
      JOIN payment_methods m ON m.id = e.payment_method_id AND m.disabled_at IS NULL AND m.deleted_at IS NULL
      CROSS JOIN LATERAL (
        SELECT coalesce(sum(l.amount_cents), 0)::int8 AS cents FROM journal_lines l
         WHERE l.agency_id = i.agency_id AND l.invoice_id = i.id AND l.account = 'accounts_receivable'
      ) b
     WHERE i.agency_id = ${actor.agencyId}
       AND i.autopay_time IS NOT NULL AND i.autopay_decided_time IS DISTINCT FROM i.autopay_time
       AND i.autopay_time >= ${from} AND i.autopay_time < ${to}
       AND NOT i.suppress_autopay AND b.cents > 0
     GROUP BY 1
  `.execute(db);
  const buckets = rows.rows.map((r) => ({ at: new Date(r.at), count: r.count, amountCents: BigInt(r.amount) }));
  return { days: dueDays(buckets, now, timeZone) };
}

export interface FailedPullView {
  invoiceNumber: number;
  customerNumber: number;
  customerName: string;
  autopayTime: Date;
  firedAt: Date;
  /** `failed`: the firing failed; `declined`: its payment ended failed; `queued`: re-fire waits for a pass. */
  status: 'failed' | 'declined' | 'queued';
  attempts: number;
  paymentId: string | null;
  amountCents: Cents | null;
  /** The processor's decline code and words, or why the firing failed. */
  reasonCode: string | null;
  reason: string | null;
}

/**
 * The pulls that took no money, latest first, and the ones a re-fire queued. A caller limited to
 * some banks sees a declined payment's pull only if it may see that payment's bank, and a pull
 * with no payment only if it may see the autopay bank.
 */
export async function listFailedPulls(db: Db, actor: Actor, options: { limit: number }): Promise<FailedPullView[]> {
  const autopayBank = await seesAutopayBank(db, actor);
  let query = db
    .selectFrom('autopay_firings as f')
    .innerJoin('invoices as i', 'i.id', 'f.invoice_id')
    .innerJoin('customers as c', 'c.id', 'i.customer_id')
    .leftJoin('payments as p', 'p.id', 'f.payment_id')
    .leftJoin('banks as b', 'b.id', 'p.bank_id')
    .leftJoin('bank_divisions as d', 'd.id', 'b.division_id')
    .select([
      'i.invoice_number',
      'c.customer_number',
      'c.name as customer_name',
      'f.autopay_time',
      'f.fired_at',
      'f.status',
      'f.attempts',
      'f.error',
      'p.id as payment_id',
      'p.state as payment_state',
      'p.amount_cents',
      'p.failure_code',
      'p.failure_message',
    ])
    .where('f.agency_id', '=', actor.agencyId)
    .whereRef('f.autopay_time', '=', 'i.autopay_time')
    .where((eb) =>
      eb.or([
        eb('f.status', 'in', ['failed', 'retry_due']),
        eb.and([eb('f.status', '=', 'payment_created'), eb('p.state', '=', 'failed')]),
      ]),
    );
  if (actor.banks || actor.divisions) {
    const banks = actor.banks ? (actor.banks.length ? actor.banks : ['']) : null;
    const divisions = actor.divisions ? (actor.divisions.length ? actor.divisions : ['']) : null;
    query = query.where((eb) =>
      eb.or([
        eb.and([
          eb('p.id', 'is not', null),
          ...(banks ? [eb('b.short_name', 'in', banks)] : []),
          ...(divisions ? [eb('d.name', 'in', divisions)] : []),
        ]),
        eb.and([eb('p.id', 'is', null), sql<boolean>`${autopayBank}`]),
      ]),
    );
  }
  const rows = await query
    .orderBy(sql`coalesce(f.decided_at, f.fired_at)`, 'desc')
    .orderBy('f.id', 'desc')
    .limit(options.limit)
    .execute();
  return rows.map((row) => {
    const declined =
      row.payment_state !== null && isFailedPull({ firingStatus: row.status, paymentState: row.payment_state });
    return {
      invoiceNumber: row.invoice_number,
      customerNumber: row.customer_number,
      customerName: row.customer_name,
      autopayTime: row.autopay_time,
      firedAt: row.fired_at,
      status: row.status === 'retry_due' ? 'queued' : declined ? 'declined' : 'failed',
      attempts: row.attempts,
      paymentId: row.payment_id,
      amountCents: row.amount_cents,
      reasonCode: declined ? row.failure_code : null,
      reason: declined ? row.failure_message : row.error,
    };
  });
}

export interface EnrollmentListItem {
  customerNumber: number;
  customerName: string;
  paymentMethod: { kind: 'card' | 'ach'; brand: string | null; last4: string; usable: boolean };
  enrolledAt: Date;
  enrolledBy: string;
}

/** The enrollments in force by customer number, a keyset page after `after`. */
export async function listAutopayEnrollments(
  db: Db,
  actor: Actor,
  page: { after?: number | undefined; limit: number },
): Promise<{ data: EnrollmentListItem[]; nextAfter: number | null }> {
  let query = db
    .selectFrom('autopay_enrollments as e')
    .innerJoin('customers as c', 'c.id', 'e.customer_id')
    .innerJoin('payment_methods as m', 'm.id', 'e.payment_method_id')
    .select([
      'c.customer_number',
      'c.name',
      'm.kind',
      'm.brand',
      'm.last4',
      'm.disabled_at',
      'm.deleted_at',
      'e.enrolled_at',
      'e.enrolled_by',
    ])
    .where('e.agency_id', '=', actor.agencyId)
    .where('e.ended_at', 'is', null);
  if (page.after !== undefined) query = query.where('c.customer_number', '>', page.after);
  const rows = await query
    .orderBy('c.customer_number')
    .limit(page.limit + 1)
    .execute();
  const shown = rows.slice(0, page.limit);
  return {
    data: shown.map((row) => ({
      customerNumber: row.customer_number,
      customerName: row.name,
      paymentMethod: {
        kind: row.kind,
        brand: row.brand,
        last4: row.last4,
        usable: row.disabled_at === null && row.deleted_at === null,
      },
      enrolledAt: row.enrolled_at,
      enrolledBy: row.enrolled_by,
    })),
    nextAfter: rows.length > page.limit ? shown.at(-1)!.customer_number : null,
  };
}
