import { type ExpressionBuilder, sql } from 'kysely';
import type { CancellationReason, PolicyStatus } from '../customers/rules/policy-lifecycle.ts';
import type { EligibilityReason } from '../eligibility/rules/eligibility.ts';
import type { Cents } from '../kernel/money.ts';
import { inFlightPaymentStates } from '../payments/rules/payment-states.ts';
import type { Database } from '../platform/db/schema.ts';
import { type Db, inTransaction } from '../platform/db/transaction.ts';
import type { AutopaySkipReason } from './rules/autopay.ts';

// The one in-flight rule (see refuseWhileInFlight), as literals so the statement's text is fixed.
const inFlight = sql.join(inFlightPaymentStates.map((state) => sql.lit(state)));

/**
 * The autopay pass's reads and skip records. Due invoices are streamed in keyset pages over the
 * partial index of undecided autopay times, so a pass holds one page in memory, never the book.
 */

export interface DueInvoice {
  id: string;
  invoiceNumber: number;
  customerId: string;
  customerNumber: number;
  customerName: string;
  policy: {
    id: string;
    policyNumber: string;
    status: PolicyStatus;
    cancellationReason: CancellationReason | null;
    cancellationEffectiveDate: string | null;
    tags: string[];
  } | null;
  amountCents: Cents;
  balanceCents: Cents;
  currency: string;
  dueDate: string;
  autopayTime: Date;
  suppressed: boolean;
  enrollment: { paymentMethodId: string; kind: 'card' | 'ach'; enrolledAt: Date; usable: boolean } | null;
  paymentInProgress: boolean;
}

export interface PageCursor {
  autopayTime: Date;
  id: string;
}

type Invoices = ExpressionBuilder<Database & { i: Database['invoices'] }, 'i'>;

/** Undecided autopay times up to `now`: the partial index `invoices_autopay_pending_idx`, exactly. */
function isDue(eb: Invoices, agencyId: string, now: Date) {
  return eb.and([
    eb('i.agency_id', '=', agencyId),
    eb('i.autopay_time', 'is not', null),
    sql<boolean>`i.autopay_decided_time IS DISTINCT FROM i.autopay_time`,
    eb('i.autopay_time', '<=', now),
  ]);
}

export async function countDueInvoices(db: Db, agencyId: string, now: Date): Promise<number> {
  const row = await db
    .selectFrom('invoices as i')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where((eb) => isDue(eb, agencyId, now))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** The next page of due invoices after `after`, ordered by (autopay time, id), with what the pass decides on. */
export async function dueInvoicePage(
  db: Db,
  agencyId: string,
  now: Date,
  after: PageCursor | null,
  limit: number,
): Promise<DueInvoice[]> {
  let query = db
    .selectFrom('invoices as i')
    .innerJoin('customers as c', 'c.id', 'i.customer_id')
    .leftJoin('policies as p', 'p.id', 'i.policy_id')
    .leftJoin('autopay_enrollments as e', (join) =>
      join
        .onRef('e.agency_id', '=', 'i.agency_id')
        .onRef('e.customer_id', '=', 'i.customer_id')
        .on('e.ended_at', 'is', null),
    )
    .leftJoin('payment_methods as m', 'm.id', 'e.payment_method_id')
    .select([
      'i.id',
      'i.invoice_number',
      'i.customer_id',
      'i.amount_cents',
      'i.currency',
      'i.due_date',
      'i.autopay_time',
      'i.suppress_autopay',
      'c.customer_number',
      'c.name as customer_name',
      'p.id as policy_id',
      'p.policy_number',
      'p.status as policy_status',
      'p.cancellation_reason',
      'p.cancellation_effective_date',
      'p.tags',
      'e.payment_method_id',
      'e.enrolled_at',
      'm.kind as method_kind',
      'm.disabled_at as method_disabled_at',
      'm.deleted_at as method_deleted_at',
    ])
    .select([
      sql<bigint>`coalesce((SELECT sum(l.amount_cents) FROM journal_lines l
        WHERE l.agency_id = i.agency_id AND l.invoice_id = i.id AND l.account = 'accounts_receivable'), 0)::int8`.as(
        'balance',
      ),
      sql<boolean>`EXISTS (SELECT 1 FROM payment_targets t JOIN payments pay ON pay.id = t.payment_id
        WHERE t.agency_id = i.agency_id AND t.invoice_id = i.id AND pay.state IN (${inFlight}))`.as('in_progress'),
    ])
    .where((eb) => isDue(eb, agencyId, now));
  if (after) query = query.where(sql<boolean>`(i.autopay_time, i.id) > (${after.autopayTime}, ${after.id}::uuid)`);
  const rows = await query.orderBy('i.autopay_time').orderBy('i.id').limit(limit).execute();
  return rows.map((row) => ({
    id: row.id,
    invoiceNumber: row.invoice_number,
    customerId: row.customer_id,
    customerNumber: row.customer_number,
    customerName: row.customer_name,
    policy:
      row.policy_id && row.policy_number && row.policy_status
        ? {
            id: row.policy_id,
            policyNumber: row.policy_number,
            status: row.policy_status,
            cancellationReason: row.cancellation_reason,
            cancellationEffectiveDate: row.cancellation_effective_date,
            tags: row.tags ?? [],
          }
        : null,
    amountCents: row.amount_cents,
    balanceCents: row.balance,
    currency: row.currency,
    dueDate: row.due_date,
    autopayTime: row.autopay_time!,
    suppressed: row.suppress_autopay,
    enrollment:
      row.payment_method_id && row.method_kind && row.enrolled_at
        ? {
            paymentMethodId: row.payment_method_id,
            kind: row.method_kind,
            enrolledAt: row.enrolled_at,
            usable: row.method_disabled_at === null && row.method_deleted_at === null,
          }
        : null,
    paymentInProgress: row.in_progress,
  }));
}

/**
 * What the eligibility rules weigh besides the policy, for a page's policies at once: the open
 * balances due by `today` (currently due) and in all (payoff), as `checkPaymentEligibility` derives them.
 */
export async function policyOpenBalances(
  db: Db,
  agencyId: string,
  invoices: readonly DueInvoice[],
  today: string,
): Promise<Map<string, { currentlyDueCents: Cents; payoffCents: Cents }>> {
  const policyIds = [...new Set(invoices.flatMap((i) => (i.policy ? [i.policy.id] : [])))];
  const result = new Map<string, { currentlyDueCents: Cents; payoffCents: Cents }>();
  if (policyIds.length === 0) return result;
  const customerIds = [...new Set(invoices.map((i) => i.customerId))];
  const rows = await db
    .selectFrom('invoices as i')
    .select([
      'i.policy_id',
      sql<bigint>`coalesce(sum(b.balance) FILTER (WHERE b.balance > 0 AND i.due_date <= ${today}::date), 0)::int8`.as(
        'currently_due',
      ),
      sql<bigint>`coalesce(sum(b.balance) FILTER (WHERE b.balance > 0), 0)::int8`.as('payoff'),
    ])
    .innerJoin(
      (eb) =>
        eb
          .selectFrom('journal_lines as l')
          .select(['l.invoice_id', sql<bigint>`sum(l.amount_cents)`.as('balance')])
          .where('l.agency_id', '=', agencyId)
          .where('l.account', '=', 'accounts_receivable')
          .where('l.customer_id', 'in', customerIds)
          .groupBy('l.invoice_id')
          .as('b'),
      (join) => join.onRef('b.invoice_id', '=', 'i.id'),
    )
    .where('i.agency_id', '=', agencyId)
    .where('i.customer_id', 'in', customerIds)
    .where('i.policy_id', 'in', policyIds)
    .groupBy('i.policy_id')
    .execute();
  for (const row of rows) {
    if (row.policy_id) result.set(row.policy_id, { currentlyDueCents: row.currently_due, payoffCents: row.payoff });
  }
  return result;
}

/**
 * Agencies a pass has work in (a few index probes each): a due, undecided autopay time; a failed
 * firing whose retry has come; a run still marked running (its owner may have died); a claim left
 * by a run that is over.
 */
export async function agenciesWithDueAutopay(db: Db, now: Date): Promise<{ id: string; slug: string }[]> {
  return db
    .selectFrom('agencies as a')
    .select(['a.id', 'a.slug'])
    .where(({ exists, or, selectFrom }) =>
      or([
        exists(
          selectFrom('invoices as i')
            .select(sql`1`.as('one'))
            .whereRef('i.agency_id', '=', 'a.id')
            .where('i.autopay_time', 'is not', null)
            .where(sql<boolean>`i.autopay_decided_time IS DISTINCT FROM i.autopay_time`)
            .where('i.autopay_time', '<=', now),
        ),
        exists(
          selectFrom('autopay_firings as f')
            .select(sql`1`.as('one'))
            .whereRef('f.agency_id', '=', 'a.id')
            .where('f.next_retry_at', '<=', now),
        ),
        exists(
          selectFrom('autopay_runs as r')
            .select(sql`1`.as('one'))
            .whereRef('r.agency_id', '=', 'a.id')
            .where('r.status', '=', 'running'),
        ),
        exists(
          selectFrom('autopay_firings as f')
            .innerJoin('autopay_runs as r', 'r.id', 'f.run_id')
            .select(sql`1`.as('one'))
            .whereRef('f.agency_id', '=', 'a.id')
            .where('f.status', '=', 'claimed')
            .where('r.status', '<>', 'running'),
        ),
      ]),
    )
    .orderBy('a.slug')
    .execute();
}

/**
 * Makes firings claimable again, in one statement: claims whose run is over (abandoned, failed —
 * its owner will never record their outcome) and failed firings whose retry time has come become
 * `retry_due`, and their invoices undecided, so this pass's pages read them like any due invoice
 * (skip rules included) and the claim takes the firing row over. Returns how many of each.
 */
export async function reopenFirings(
  db: Db,
  agencyId: string,
  now: Date,
): Promise<{ released: number; retried: number }> {
  const result = await sql<{ released: bigint; retried: bigint }>`
    WITH released AS (
      UPDATE autopay_firings f SET status = 'retry_due'
        FROM autopay_runs r
       WHERE f.agency_id = ${agencyId} AND f.status = 'claimed'
         AND r.agency_id = ${agencyId} AND r.id = f.run_id AND r.status <> 'running'
      RETURNING f.invoice_id, f.autopay_time
    ), retried AS (
      UPDATE autopay_firings SET status = 'retry_due', next_retry_at = NULL
       WHERE agency_id = ${agencyId} AND next_retry_at <= ${now} AND status = 'failed'
      RETURNING invoice_id, autopay_time
    ), undecided AS (  -- data-modifying CTEs run whether or not the final SELECT reads them
      UPDATE invoices i SET autopay_decided_time = NULL
        FROM (SELECT * FROM released UNION ALL SELECT * FROM retried) o
       WHERE i.agency_id = ${agencyId} AND i.id = o.invoice_id AND i.autopay_time = o.autopay_time
      RETURNING i.id
    )
    SELECT (SELECT count(*) FROM released)::int8 AS released, (SELECT count(*) FROM retried)::int8 AS retried
  `.execute(db);
  const row = result.rows[0]!;
  return { released: Number(row.released), retried: Number(row.retried) };
}

export interface AutopaySkip {
  invoiceId: string;
  autopayTime: Date;
  reason: AutopaySkipReason;
  eligibilityReason: EligibilityReason | null;
  message: string;
  /** After the invoice's due date: no pass reads it again for this autopay time. */
  final: boolean;
}

/**
 * Records a page's skips: one row per invoice and autopay time, rewritten only when the reason
 * (or finality) changes, so a skip re-checked every minute writes nothing. Final skips also mark
 * the invoice's autopay time decided. Returns how many records changed.
 */
export async function recordAutopaySkips(
  db: Db,
  agencyId: string,
  runId: string,
  skips: readonly AutopaySkip[],
): Promise<number> {
  if (skips.length === 0) return 0;
  // One order for every pass, so two passes writing the same rows never deadlock.
  const ordered = [...skips].sort((a, b) => (a.invoiceId < b.invoiceId ? -1 : a.invoiceId > b.invoiceId ? 1 : 0));
  return inTransaction(db, async (tx) => {
    const changed = await tx
      .insertInto('autopay_skips')
      .values(
        ordered.map((skip) => ({
          agency_id: agencyId,
          invoice_id: skip.invoiceId,
          autopay_time: skip.autopayTime,
          reason: skip.reason,
          eligibility_reason: skip.eligibilityReason,
          message: skip.message,
          final: skip.final,
          run_id: runId,
        })),
      )
      .onConflict((oc) =>
        oc
          .columns(['invoice_id', 'autopay_time'])
          .doUpdateSet((eb) => ({
            reason: eb.ref('excluded.reason'),
            eligibility_reason: eb.ref('excluded.eligibility_reason'),
            message: eb.ref('excluded.message'),
            final: eb.ref('excluded.final'),
            run_id: eb.ref('excluded.run_id'),
            skipped_at: sql`now()`,
          }))
          .where(
            sql<boolean>`(autopay_skips.reason, autopay_skips.eligibility_reason, autopay_skips.final)
              IS DISTINCT FROM (excluded.reason, excluded.eligibility_reason, excluded.final)`,
          ),
      )
      .returning('invoice_id')
      .execute();
    const finals = ordered.filter((s) => s.final).map((s) => s.invoiceId);
    if (finals.length > 0) {
      await tx
        .updateTable('invoices')
        .set((eb) => ({ autopay_decided_time: eb.ref('autopay_time') }))
        .where('agency_id', '=', agencyId)
        .where('id', 'in', finals)
        .execute();
    }
    return changed.length;
  });
}
