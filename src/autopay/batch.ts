import { sql } from 'kysely';
import { channelDepositBank } from '../agency/bank-access.ts';
import { decidePaymentEligibility } from '../eligibility/rules/eligibility.ts';
import type { PaymentSettings } from '../eligibility/rules/payment-settings.ts';
import { isUuid } from '../kernel/ids.ts';
import type { Cents } from '../kernel/money.ts';
import { methodFacts, newPayment, type PaymentCreateRequest } from '../payments/creation/create.ts';
import { lockInvoicesFindInFlight } from '../payments/creation/in-flight.ts';
import { insertPayments } from '../payments/creation/inserts.ts';
import { defaultRetryPlanFor, findRetryPlan } from '../payments/retry-plans.ts';
import {
  checkPaymentMethod,
  checkPaymentShape,
  checkTargets,
  type TargetInvoice,
} from '../payments/rules/payment-creation.ts';
import { bigintReplacer } from '../platform/db/audit.ts';
import { type Db, inTransaction } from '../platform/db/transaction.ts';
import { forEachLimited } from '../platform/jobs/for-each-limited.ts';
import { type DueInvoice, policyOpenBalances } from './candidates.ts';
import {
  autopayPaymentRequest,
  completeFiring,
  type DecidedFiring,
  decideFiring,
  type FiringContext,
  type FiringResult,
  LostClaim,
} from './firing.ts';
import type { AutopayPayment } from './rules/autopay.ts';

/**
 * The autopay pass, a page at a time. The claims of a page are one statement; each claimed invoice
 * is decided by the plugin; the payments that need nothing the page did not already load (the
 * default plugin's kind: the customer's own usable method, targets among the page's invoices of
 * that customer, the default or a known retry plan, the agency's autopay deposit bank, eligible
 * for their amounts, nothing in flight for their invoices) are created set-based in one
 * transaction, through `createPayment`'s rules and inserts, with their firings' outcomes. Every
 * other decision — a posted payment, a named bank, a refusal — takes the one-invoice path
 * (`completeFiring`), which gives the exact error. If the page's transaction fails, its payments
 * take the one-invoice path too; nothing is created twice, because the transaction that failed
 * committed nothing, and every outcome commits only while this run owns the claim.
 */

export interface PageFacts {
  settings: PaymentSettings;
  today: string;
  /** Retry plan ids by name ('' = the agency's default) and the only bank, cached for the pass. */
  cache: PassCache;
}

export interface PassCache {
  retryPlans: Map<string, string | null>;
  autopayBankId?: string | null;
}

export function newPassCache(): PassCache {
  return { retryPlans: new Map() };
}

type Claimed = { due: DueInvoice; firingId: string; attempt: number; balanceCents: Cents };

/** Where a page stands, for tests that stop a pass there (`AutopayPassOptions.onStep`). */
export type PageStep = 'claimed' | 'payments_created';

export async function firePage(
  ctx: FiringContext,
  invoices: readonly DueInvoice[],
  facts: PageFacts,
  concurrency: number,
  onStep?: (step: PageStep) => void | Promise<void>,
): Promise<Map<string, FiringResult>> {
  const results = new Map<string, FiringResult>();
  const claimed: Claimed[] = [];
  for (const claim of await claimPage(ctx, invoices)) {
    if (claim.kind === 'claimed') claimed.push(claim);
    else results.set(claim.due.id, { outcome: claim.kind });
  }
  await onStep?.('claimed');

  const decided = new Map<string, DecidedFiring>();
  await forEachLimited(claimed, concurrency, async (c) => {
    decided.set(c.due.id, await decideFiring(ctx, c.due, c));
  });

  const plain: PlainPayment[] = [];
  const single: Claimed[] = [];
  for (const c of claimed) {
    const d = decided.get(c.due.id)!;
    if (!('pluginError' in d) && d.action.kind === 'payment' && d.action.payment.state !== 'posted') {
      plain.push({ ...c, decision: d.decision, payment: d.action.payment });
    } else single.push(c);
  }
  if (plain.length > 0) {
    let created: PlainOutcome;
    try {
      created = await createPlainPayments(ctx, invoices, plain, facts);
    } catch {
      created = { created: new Map(), declined: plain };
    }
    for (const [invoiceId, paymentId] of created.created) {
      results.set(invoiceId, { outcome: 'payment_created', paymentId });
    }
    single.push(...created.declined);
    if (created.created.size > 0) await onStep?.('payments_created');
  }
  await forEachLimited(single, concurrency, async (c) => {
    results.set(c.due.id, await completeFiring(ctx, c.due, c.firingId, decided.get(c.due.id)!));
  });
  return results;
}

type ClaimResult = (Claimed & { kind: 'claimed' }) | { kind: 'already_fired' | 'no_balance'; due: DueInvoice };

/**
 * The page's claims as one statement, in invoice-id order (two passes claiming overlapping pages
 * wait on each other in the same order, so they cannot deadlock): re-read each balance, insert the
 * firing unless one exists for the invoice and autopay time — or take it over when it is
 * `retry_due` (a retry, or a claim released from a dead run) — and for the rows this statement
 * claimed, mark the autopay time decided and drop the skip it replaces. The unique constraint and
 * the row lock make one statement, in one pass, the claimant.
 */
async function claimPage(ctx: FiringContext, invoices: readonly DueInvoice[]): Promise<ClaimResult[]> {
  if (invoices.length === 0) return [];
  const agencyId = ctx.actor.agencyId;
  const ordered = [...invoices].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const result = await sql<{ invoice_id: string; firing_id: string | null; attempts: number | null; balance: bigint }>`
    WITH input AS (
      SELECT * FROM unnest(${ordered.map((i) => i.id)}::uuid[], ${ordered.map((i) => i.autopayTime)}::timestamptz[])
        WITH ORDINALITY AS t (invoice_id, autopay_time, position)
    ), balance AS (
      SELECT input.invoice_id, input.autopay_time, input.position,
             (SELECT coalesce(sum(l.amount_cents), 0)::int8 FROM journal_lines l
               WHERE l.agency_id = ${agencyId} AND l.invoice_id = input.invoice_id
                 AND l.account = 'accounts_receivable') AS cents
        FROM input
    ), claimed AS (
      INSERT INTO autopay_firings (agency_id, invoice_id, autopay_time, run_id, status)
      SELECT ${agencyId}::uuid, invoice_id, autopay_time, ${ctx.runId}::uuid, 'claimed'
        FROM balance WHERE cents > 0 ORDER BY position
      ON CONFLICT (invoice_id, autopay_time) DO UPDATE
        SET status = 'claimed', run_id = EXCLUDED.run_id, attempts = autopay_firings.attempts + 1,
            decision = NULL, payment_id = NULL, receipt_id = NULL, payment_state = NULL,
            next_request_time = NULL, error = NULL, fired_at = now(), decided_at = NULL
        WHERE autopay_firings.status = 'retry_due'
      RETURNING id, invoice_id, autopay_time, attempts
    ), decided AS (  -- data-modifying CTEs run whether or not the final SELECT reads them
      UPDATE invoices SET autopay_decided_time = claimed.autopay_time
        FROM claimed
       WHERE invoices.agency_id = ${agencyId} AND invoices.id = ANY(${ordered.map((i) => i.id)}::uuid[])
         AND invoices.id = claimed.invoice_id AND invoices.autopay_time = claimed.autopay_time
      RETURNING invoices.id
    ), unskipped AS (
      DELETE FROM autopay_skips USING claimed
       WHERE autopay_skips.agency_id = ${agencyId} AND autopay_skips.invoice_id = ANY(${ordered.map((i) => i.id)}::uuid[])
         AND autopay_skips.invoice_id = claimed.invoice_id
         AND autopay_skips.autopay_time = claimed.autopay_time
      RETURNING autopay_skips.invoice_id
    )
    SELECT balance.invoice_id, claimed.id AS firing_id, claimed.attempts, balance.cents AS balance
      FROM balance LEFT JOIN claimed ON claimed.invoice_id = balance.invoice_id
  `.execute(ctx.db);
  const byId = new Map(result.rows.map((row) => [row.invoice_id, row]));
  return invoices.map((due) => {
    const row = byId.get(due.id)!;
    if (row.firing_id) {
      return { kind: 'claimed', due, firingId: row.firing_id, attempt: row.attempts ?? 1, balanceCents: row.balance };
    }
    return { kind: row.balance > 0n ? 'already_fired' : 'no_balance', due };
  });
}

type PlainPayment = Claimed & { decision: DecidedFiring['decision']; payment: AutopayPayment };
type PlainOutcome = { created: Map<string, string>; declined: Claimed[] };

/**
 * Creates the page's plain payments in one transaction, through the rules and the inserts of
 * `createPayment` (the same request, `autopayPaymentRequest`, and the same `newPayment` and
 * `insertPayments`), with what the page loaded; returns those it would not take, which the
 * one-invoice path then refuses with the exact error or creates.
 */
async function createPlainPayments(
  ctx: FiringContext,
  page: readonly DueInvoice[],
  items: PlainPayment[],
  facts: PageFacts,
): Promise<PlainOutcome> {
  const agencyId = ctx.actor.agencyId;
  const bankId = await autopayBankId(ctx.db, agencyId, facts);
  // Outside the transaction: the default plan may be created on first use, and the cache must
  // only hold plans that exist.
  for (const name of new Set(items.map((i) => i.payment.retryPlan)))
    await retryPlanId(ctx.db, agencyId, name, facts.cache);
  const methodIds = [...new Set(items.map((i) => i.payment.paymentMethodId))].filter(isUuid);
  const pageInvoices = new Map<number, TargetInvoice>(
    page.map((i) => [
      i.invoiceNumber,
      { id: i.id, customerId: i.customerId, policyNumber: i.policy?.policyNumber ?? null },
    ]),
  );
  const policies = new Map(page.flatMap((i) => (i.policy ? [[i.policy.policyNumber, i.policy]] : [])));
  return inTransaction(ctx.db, async (tx) => {
    const methods = methodIds.length
      ? await tx
          .selectFrom('payment_methods')
          .select(['id', 'customer_id', 'kind', 'disabled_at', 'disabled_reason', 'deleted_at'])
          .where('agency_id', '=', agencyId)
          .where('id', 'in', methodIds)
          .execute()
      : [];
    const methodById = new Map(methods.map((m) => [m.id, methodFacts(m)]));
    const balances = await policyOpenBalances(
      tx,
      agencyId,
      items.map((i) => i.due),
      facts.today,
    );
    const accepted: (PlainPayment & { request: PaymentCreateRequest; invoiceIds: string[]; retryPlanId: string })[] =
      [];
    const declined: Claimed[] = [];
    const targeted = new Set<string>();
    for (const item of items) {
      const request = autopayPaymentRequest(item.due, item.payment);
      const retryPlanId = facts.cache.retryPlans.get(request.retryPlan ?? '') ?? null;
      let invoiceIds: string[];
      try {
        checkPaymentShape(request);
        checkPaymentMethod(
          request.paymentMethodId,
          methodById.get(request.paymentMethodId),
          item.due.customerId,
          request.type,
        );
        const checked = checkTargets(request.targets, pageInvoices, item.due.customerId);
        invoiceIds = checked.invoiceIds;
        if (!eligibleForAmounts(checked.perPolicy, policies, balances, facts)) throw new Error('not eligible');
      } catch {
        declined.push(item);
        continue;
      }
      // A named bank, an unknown plan or a second payment for an invoice of the page: the
      // one-invoice path asks, refuses or creates it after this page's payments.
      const plain =
        bankId && retryPlanId && request.bankShortName === undefined && invoiceIds.every((id) => !targeted.has(id));
      if (!plain) {
        declined.push(item);
        continue;
      }
      for (const id of invoiceIds) targeted.add(id);
      accepted.push({ ...item, request, invoiceIds, retryPlanId });
    }
    // Nothing in flight for the targets, under the invoices' locks, as `createPayment` refuses.
    const inFlight = new Set(
      (await lockInvoicesFindInFlight(tx, agencyId, [...targeted])).map((payment) => payment.invoiceId),
    );
    const creating = accepted.filter((a) => {
      const clear = a.invoiceIds.every((id) => !inFlight.has(id));
      if (!clear) declined.push(a);
      return clear;
    });
    if (creating.length === 0) return { created: new Map(), declined };

    const payments = creating.map((a) =>
      newPayment(
        ctx.actor,
        a.request,
        { customerId: a.due.customerId, invoiceIds: a.invoiceIds, retryPlanId: a.retryPlanId, bankId: bankId! },
        ctx.now,
      ),
    );
    await insertPayments(tx, ctx.actor, payments, ctx.jobs);
    const owned = await sql`
      UPDATE autopay_firings f
         SET status = 'payment_created', decision = u.decision::jsonb, payment_id = u.payment_id,
             payment_state = u.payment_state, next_request_time = u.next_request_time, error = NULL,
             decided_at = now()
        FROM unnest(${creating.map((a) => a.firingId)}::uuid[], ${creating.map((a) => JSON.stringify(a.decision, bigintReplacer))}::text[],
                    ${payments.map((p) => p.id)}::uuid[], ${creating.map((a) => a.payment.state)}::text[],
                    ${creating.map((a) => a.payment.nextRequestTime)}::timestamptz[])
             AS u (firing_id, decision, payment_id, payment_state, next_request_time)
       -- The ANY gives the planner the rows by primary key whatever its statistics say; a join
       -- on the unnest alone was planned as a scan of every firing once the table outgrew them.
       WHERE f.agency_id = ${agencyId} AND f.id = ANY(${creating.map((a) => a.firingId)}::uuid[]) AND f.id = u.firing_id
         AND f.status = 'claimed' AND f.run_id = ${ctx.runId}
    `.execute(tx);
    // Some claim was taken over by a pass that found this one dead: none of the page's payments
    // commit, and the one-invoice path records what is still this run's.
    if (owned.numAffectedRows !== BigInt(creating.length)) throw new LostClaim(creating.map((a) => a.firingId));
    return { created: new Map(creating.map((a, index) => [a.due.id, payments[index]!.id])), declined };
  });
}

/** The eligibility rules for each target policy's share of the amount, as `createPayment` asks them. */
function eligibleForAmounts(
  perPolicy: ReadonlyMap<string, Cents>,
  policies: ReadonlyMap<string, NonNullable<DueInvoice['policy']>>,
  balances: Map<string, { currentlyDueCents: Cents; payoffCents: Cents }>,
  facts: PageFacts,
): boolean {
  for (const [policyNumber, amountCents] of perPolicy) {
    const policy = policies.get(policyNumber)!;
    const open = balances.get(policy.id);
    const decision = decidePaymentEligibility({
      policy,
      channel: 'autopay',
      actor: 'external',
      settings: facts.settings,
      today: facts.today,
      amount: amountCents,
      currentlyDue: open?.currentlyDueCents ?? 0n,
      payoff: open?.payoffCents ?? 0n,
    });
    if (!decision.allowed) return false;
  }
  return true;
}

async function retryPlanId(
  db: Db,
  agencyId: string,
  name: string | undefined,
  cache: PassCache,
): Promise<string | null> {
  const key = name ?? '';
  if (!cache.retryPlans.has(key)) {
    const plan = await inTransaction(db, (tx) =>
      name ? findRetryPlan(tx, agencyId, name).catch(() => null) : defaultRetryPlanFor(tx, agencyId),
    );
    cache.retryPlans.set(key, plan?.id ?? null);
  }
  return cache.retryPlans.get(key)!;
}

/** The agency's autopay deposit bank (what `createPayment` deposits an autopay payment to without a name). */
async function autopayBankId(db: Db, agencyId: string, facts: PageFacts): Promise<string | null> {
  if (facts.cache.autopayBankId === undefined) {
    // A missing or ambiguous bank is left to the one-invoice path, which gives the error.
    facts.cache.autopayBankId = await channelDepositBank(db, agencyId, 'autopay', facts.settings)
      .then((bank) => bank.id)
      .catch(() => null);
  }
  return facts.cache.autopayBankId;
}
