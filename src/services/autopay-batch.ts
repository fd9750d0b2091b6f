import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { AutopayPayment } from '../domain/autopay.ts';
import { decidePaymentEligibility } from '../domain/eligibility.ts';
import { isUuid } from '../domain/ids.ts';
import type { Cents } from '../domain/money.ts';
import type { PaymentSettings } from '../domain/payment-settings.ts';
import { bigintReplacer } from './audit.ts';
import { type DueInvoice, policyOpenBalances } from './autopay-candidates.ts';
import {
  completeFiring,
  type DecidedFiring,
  decideFiring,
  type FiringContext,
  type FiringResult,
  LostClaim,
} from './autopay-firing.ts';
import { channelDepositBank } from './bank-access.ts';
import { forEachLimited } from './for-each-limited.ts';
import { paymentQueues } from './job-queue.ts';
import { defaultRetryPlanFor, findRetryPlan } from './retry-plans.ts';
import { type Db, inTransaction } from './transaction.ts';

/**
 * The autopay pass, a page at a time. The claims of a page are one statement; each claimed invoice
 * is decided by the plugin; the payments that need nothing the page did not already load (the
 * default plugin's kind: the customer's own usable method, targets among the page's invoices of
 * that customer, the default or a known retry plan, the agency's autopay deposit bank, eligible
 * for their amounts) are created set-based in one transaction with their firings' outcomes. Every
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

/** Creates the page's plain payments in one transaction; returns those it would not take. */
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
  const pageByNumber = new Map(page.map((i) => [i.invoiceNumber, i]));
  return inTransaction(ctx.db, async (tx) => {
    const methods = methodIds.length
      ? await tx
          .selectFrom('payment_methods')
          .select(['id', 'customer_id', 'kind', 'disabled_at', 'deleted_at'])
          .where('agency_id', '=', agencyId)
          .where('id', 'in', methodIds)
          .execute()
      : [];
    const methodById = new Map(methods.map((m) => [m.id, m]));
    const balances = await policyOpenBalances(
      tx,
      agencyId,
      items.map((i) => i.due),
      facts.today,
    );
    const accepted: (PlainPayment & { id: string; retryPlanId: string; targetIds: string[] })[] = [];
    const declined: Claimed[] = [];
    for (const item of items) {
      const { payment, due } = item;
      const method = methodById.get(payment.paymentMethodId);
      const targets = payment.targets.map((t) => pageByNumber.get(t.invoiceNumber));
      const targetTotal = payment.targets.reduce((total, t) => total + t.amountCents, 0n);
      const retryPlanId = facts.cache.retryPlans.get(payment.retryPlan ?? '') ?? null;
      const plain =
        bankId &&
        retryPlanId &&
        payment.bankShortName === undefined &&
        payment.currency === 'USD' &&
        payment.targets.length > 0 &&
        targetTotal <= payment.amountCents &&
        method &&
        method.customer_id === due.customerId &&
        !method.disabled_at &&
        !method.deleted_at &&
        method.kind === payment.type &&
        targets.every((t) => t && t.customerId === due.customerId) &&
        eligibleForAmounts(payment, targets as DueInvoice[], balances, facts);
      if (!plain) {
        declined.push(item);
        continue;
      }
      accepted.push({ ...item, id: randomUUID(), retryPlanId, targetIds: (targets as DueInvoice[]).map((t) => t.id) });
    }
    if (accepted.length === 0) return { created: new Map(), declined };

    await tx
      .insertInto('payments')
      .values(
        accepted.map((a) => ({
          id: a.id,
          agency_id: agencyId,
          customer_id: a.due.customerId,
          payment_method_id: a.payment.paymentMethodId,
          type: a.payment.type,
          amount_cents: a.payment.amountCents,
          currency: a.payment.currency,
          channel: 'autopay' as const,
          payer: 'external' as const,
          state: a.payment.state as 'draft' | 'validated' | 'requested',
          retry_plan_id: a.retryPlanId,
          bank_id: bankId!,
          next_attempt_at: a.payment.state === 'requested' ? (a.payment.nextRequestTime ?? ctx.now) : null,
          extension: JSON.stringify(a.payment.extension ?? {}),
          created_by: ctx.actor.label,
        })),
      )
      .execute();
    await tx
      .insertInto('payment_targets')
      .values(
        accepted.flatMap((a) =>
          a.payment.targets.map((t, index) => ({
            agency_id: agencyId,
            payment_id: a.id,
            sequence: index + 1,
            invoice_id: a.targetIds[index]!,
            amount_cents: t.amountCents,
          })),
        ),
      )
      .execute();
    await tx
      .insertInto('payment_transitions')
      .values(
        accepted.map((a) => ({
          agency_id: agencyId,
          payment_id: a.id,
          from_state: null,
          to_state: a.payment.state,
          actor: ctx.actor.label,
          reason: 'created',
        })),
      )
      .execute();
    const requested = accepted.filter((a) => a.payment.state === 'requested');
    if (requested.length > 0) {
      await ctx.jobs.enqueueMany(
        tx,
        paymentQueues.execute,
        requested.map((a) => ({ data: { paymentId: a.id }, startAfter: a.payment.nextRequestTime ?? undefined })),
      );
    }
    await tx
      .insertInto('activities')
      .values(
        accepted.map((a) => ({
          agency_id: agencyId,
          customer_id: a.due.customerId,
          kind: 'payment_created',
          summary: `Payment of ${a.payment.type} requested`,
          data: JSON.stringify({ paymentId: a.id }),
          actor: ctx.actor.label,
        })),
      )
      .execute();
    await tx
      .insertInto('audit_log')
      .values(
        accepted.map((a) => ({
          agency_id: agencyId,
          actor: ctx.actor.label,
          action: 'payment.created',
          entity_type: 'payment',
          entity_id: a.id,
          data: JSON.stringify({ state: a.payment.state, amountCents: a.payment.amountCents }, bigintReplacer),
        })),
      )
      .execute();
    const owned = await sql`
      UPDATE autopay_firings f
         SET status = 'payment_created', decision = u.decision::jsonb, payment_id = u.payment_id,
             payment_state = u.payment_state, next_request_time = u.next_request_time, error = NULL,
             decided_at = now()
        FROM unnest(${accepted.map((a) => a.firingId)}::uuid[], ${accepted.map((a) => JSON.stringify(a.decision, bigintReplacer))}::text[],
                    ${accepted.map((a) => a.id)}::uuid[], ${accepted.map((a) => a.payment.state)}::text[],
                    ${accepted.map((a) => a.payment.nextRequestTime)}::timestamptz[])
             AS u (firing_id, decision, payment_id, payment_state, next_request_time)
       -- The ANY gives the planner the rows by primary key whatever its statistics say; a join
       -- on the unnest alone was planned as a scan of every firing once the table outgrew them.
       WHERE f.agency_id = ${agencyId} AND f.id = ANY(${accepted.map((a) => a.firingId)}::uuid[]) AND f.id = u.firing_id
         AND f.status = 'claimed' AND f.run_id = ${ctx.runId}
    `.execute(tx);
    // Some claim was taken over by a pass that found this one dead: none of the page's payments
    // commit, and the one-invoice path records what is still this run's.
    if (owned.numAffectedRows !== BigInt(accepted.length)) throw new LostClaim(accepted.map((a) => a.firingId));
    return { created: new Map(accepted.map((a) => [a.due.id, a.id])), declined };
  });
}

/** The eligibility rules with each target policy's share of the amount, as `createPayment` asks them. */
function eligibleForAmounts(
  payment: AutopayPayment,
  targets: readonly DueInvoice[],
  balances: Map<string, { currentlyDueCents: Cents; payoffCents: Cents }>,
  facts: PageFacts,
): boolean {
  const perPolicy = new Map<string, { invoice: DueInvoice; amountCents: Cents }>();
  targets.forEach((invoice, index) => {
    if (!invoice.policy) return;
    const entry = perPolicy.get(invoice.policy.id) ?? { invoice, amountCents: 0n };
    entry.amountCents += payment.targets[index]!.amountCents;
    perPolicy.set(invoice.policy.id, entry);
  });
  for (const [policyId, { invoice, amountCents }] of perPolicy) {
    const open = balances.get(policyId);
    const decision = decidePaymentEligibility({
      policy: invoice.policy!,
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
