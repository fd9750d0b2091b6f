import { channelDepositBank } from '../agency/bank-access.ts';
import type { PaymentSettings } from '../eligibility/rules/payment-settings.ts';
import type { Actor } from '../kernel/actor.ts';
import { DomainError } from '../kernel/errors.ts';
import type { Cents } from '../kernel/money.ts';
import { postCustomerReceipt } from '../ledger/receipt-posting.ts';
import { createPayment, type PaymentCreateRequest } from '../payments/creation/create.ts';
import { defaultRetryPlanFor, findRetryPlan } from '../payments/retry-plans.ts';
import { bigintReplacer } from '../platform/db/audit.ts';
import { type Db, inTransaction, type Tx } from '../platform/db/transaction.ts';
import type { JobQueue } from '../platform/jobs/job-queue.ts';
import type { DueInvoice } from './candidates.ts';
import { parseAutopayDecision } from './plugins/plugin.ts';
import {
  type AutopayAction,
  type AutopayContext,
  type AutopayDecision,
  type AutopayInvoice,
  type AutopayPayment,
  type AutopayPlugin,
  nextFiringRetry,
  resolveAutopayDecision,
} from './rules/autopay.ts';

/**
 * One firing, once its claim (one row per invoice and autopay time, `autopay-batch.ts`) has
 * committed: the plugin is called with no transaction open (it may call an outside system), then
 * its decision is acted on in a transaction that also records the outcome — and commits only while
 * this run still owns the claim. A pass that dies in between leaves the firing `claimed` under a
 * run nobody runs: the next pass closes that run and claims the firing again (`reopenFirings`).
 * Either way one transaction moves a firing out of `claimed`, so its payment is created once.
 */

export interface FiringContext {
  db: Db;
  actor: Actor;
  runId: string;
  now: Date;
  agency: { id: string; slug: string; timeZone: string };
  plugin: AutopayPlugin;
  jobs: JobQueue;
  pluginTimeoutMs: number;
  settings: PaymentSettings;
}

export type FiringResult =
  | { outcome: 'already_fired' }
  /** Paid between the page read and the claim. */
  | { outcome: 'no_balance' }
  | { outcome: 'payment_created'; paymentId: string }
  | { outcome: 'receipt_posted'; receiptId: string }
  | { outcome: 'no_payment' }
  | { outcome: 'failed'; error: string };

const BUSY_RETRIES = 3;

/** Another pass took this claim over (this one was found dead): this pass's outcome is not recorded. */
export class LostClaim extends Error {
  constructor(firingIds: readonly string[]) {
    super(`autopay firing(s) ${firingIds.join(', ')} no longer claimed by this run`);
    this.name = 'LostClaim';
  }
}

/** What the plugin decided for a claimed invoice, defaults applied, or why it could not decide. */
export type DecidedFiring =
  | { decision: AutopayDecision | null; action: AutopayAction }
  | { decision: null; pluginError: string };

/** Calls the plugin, with no transaction open (it may call an outside system). */
export async function decideFiring(
  ctx: FiringContext,
  due: DueInvoice,
  claim: { firingId: string; attempt: number; balanceCents: Cents },
): Promise<DecidedFiring> {
  const { balanceCents } = claim;
  const invoice: AutopayInvoice = {
    invoiceNumber: due.invoiceNumber,
    customerNumber: due.customerNumber,
    policyNumber: due.policy?.policyNumber ?? null,
    amountCents: due.amountCents,
    balanceCents,
    currency: due.currency,
    dueDate: due.dueDate,
    autopayTime: due.autopayTime,
  };
  const context: AutopayContext = {
    now: ctx.now,
    agency: ctx.agency,
    customer: { customerNumber: due.customerNumber, name: due.customerName },
    enrollment: {
      paymentMethodId: due.enrollment!.paymentMethodId,
      paymentMethodKind: due.enrollment!.kind,
      enrolledAt: due.enrollment!.enrolledAt,
    },
    policy: due.policy ? { policyNumber: due.policy.policyNumber, status: due.policy.status } : null,
    firing: { id: claim.firingId, attempt: claim.attempt },
  };
  let decision: AutopayDecision | null;
  try {
    decision = parseAutopayDecision(await callPlugin(ctx, invoice, context));
  } catch (error) {
    return { decision: null, pluginError: `autopay plugin: ${messageOf(error)}` };
  }
  return { decision, action: resolveAutopayDecision(decision, invoice, context) };
}

/** Acts on a claimed invoice's decision, one invoice at a time, and records the firing's outcome. */
export async function completeFiring(
  ctx: FiringContext,
  due: DueInvoice,
  firingId: string,
  decided: DecidedFiring,
): Promise<FiringResult> {
  if ('pluginError' in decided) return recordFailure(ctx, firingId, null, decided.pluginError);
  const { decision, action } = decided;
  if (action.kind === 'invalid') return recordFailure(ctx, firingId, decision, action.message);
  if (action.kind === 'no_payment') {
    return ownedOutcome(async () => {
      await inTransaction(ctx.db, (tx) => finishFiring(tx, ctx, firingId, { status: 'no_payment', decision }));
      return { outcome: 'no_payment' };
    });
  }
  // A serialization failure or deadlock is worth another try; anything else is the outcome.
  let lastError: unknown;
  for (let attempt = 1; attempt <= BUSY_RETRIES; attempt++) {
    try {
      return await inTransaction(ctx.db, (tx) => actOnPayment(tx, ctx, due, firingId, decision, action.payment));
    } catch (error) {
      if (error instanceof LostClaim) return { outcome: 'already_fired' };
      lastError = error;
      if (!(error instanceof DomainError && error.code === 'database_busy')) break;
    }
  }
  return recordFailure(ctx, firingId, decision, messageOf(lastError));
}

/** A claim another pass took over is that pass's to fire: this one reports it as fired elsewhere. */
async function ownedOutcome(work: () => Promise<FiringResult>): Promise<FiringResult> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof LostClaim) return { outcome: 'already_fired' };
    throw error;
  }
}

async function callPlugin(ctx: FiringContext, invoice: AutopayInvoice, context: AutopayContext): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer within ${ctx.pluginTimeoutMs} ms (it may still act on its own)`)),
      ctx.pluginTimeoutMs,
    );
  });
  try {
    return await Promise.race([Promise.resolve().then(() => ctx.plugin(invoice, context)), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function actOnPayment(
  tx: Tx,
  ctx: FiringContext,
  due: DueInvoice,
  firingId: string,
  decision: AutopayDecision | null,
  payment: AutopayPayment,
): Promise<FiringResult> {
  if (payment.state === 'posted') {
    const { paymentId, receiptId } = await postCollectedPayment(tx, ctx, due, payment);
    await finishFiring(tx, ctx, firingId, { status: 'receipt_posted', decision, paymentId, receiptId });
    return { outcome: 'receipt_posted', receiptId };
  }
  const created = await createPayment(tx, ctx.actor, autopayPaymentRequest(due, payment), ctx.jobs, ctx.now);
  await finishFiring(tx, ctx, firingId, {
    status: 'payment_created',
    decision,
    paymentId: created.id,
    paymentState: payment.state,
    nextRequestTime: payment.nextRequestTime,
  });
  return { outcome: 'payment_created', paymentId: created.id };
}

/**
 * What a plugin's payment asks `createPayment` for: the same request whether the pass creates it
 * alone or with its page (`autopay-batch.ts`), so both go through the same rules to the same rows.
 */
export function autopayPaymentRequest(due: DueInvoice, payment: AutopayPayment): PaymentCreateRequest {
  return {
    customerNumber: due.customerNumber,
    type: payment.type,
    amountCents: payment.amountCents,
    currency: payment.currency,
    paymentMethodId: payment.paymentMethodId,
    targets: payment.targets,
    channel: 'autopay',
    retryPlan: payment.retryPlan,
    state: payment.state,
    bankShortName: payment.bankShortName,
    extension: payment.extension,
    payer: 'external',
    nextAttemptAt: payment.nextRequestTime ?? undefined,
  };
}

/**
 * The plugin collected the money itself (`posted`, Socotra's "create the payment in posted state"):
 * a Payment in `posted` state, never executed, with its receipt applied by the receipt rules. The
 * payment is created first, by the same checks as any payment (the customer's own method and
 * invoices, nothing in flight, eligibility for autopay), then the receipt, then the link.
 */
async function postCollectedPayment(
  tx: Tx,
  ctx: FiringContext,
  due: DueInvoice,
  payment: AutopayPayment,
): Promise<{ paymentId: string; receiptId: string }> {
  const bankShortName =
    payment.bankShortName ?? (await channelDepositBank(tx, ctx.actor.agencyId, 'autopay', ctx.settings)).shortName;
  const created = await createPayment(
    tx,
    ctx.actor,
    { ...autopayPaymentRequest(due, payment), state: 'posted', collectedOutside: true, bankShortName },
    ctx.jobs,
    ctx.now,
  );
  const targetTotal = payment.targets.reduce((total, t) => total + t.amountCents, 0n);
  const items: { invoiceNumber?: number; amountCents: Cents }[] = payment.targets.map((t) => ({ ...t }));
  if (payment.amountCents > targetTotal) items.push({ amountCents: payment.amountCents - targetTotal });
  const receipt = await postCustomerReceipt(
    tx,
    ctx.actor,
    {
      customerNumber: due.customerNumber,
      items,
      receiptAmountCents: payment.amountCents,
      receiptDate: ctx.now.toISOString(),
      receiptDateTimeZone: ctx.agency.timeZone,
      bankShortName,
      paymentCheckType: payment.type === 'card' ? 'CreditCard' : 'EFT',
      receiptDescription: `Autopay ${payment.type === 'card' ? 'card' : 'ACH'} payment collected by the autopay plugin for invoice ${due.invoiceNumber}`,
    },
    { source: 'autopay', jobs: ctx.jobs },
  );
  await tx
    .updateTable('payments')
    .set({ receipt_id: receipt.id })
    .where('agency_id', '=', ctx.actor.agencyId)
    .where('id', '=', created.id)
    .execute();
  return { paymentId: created.id, receiptId: receipt.id };
}

/**
 * Records a claimed firing's outcome, in the transaction that acted on it — only while this run
 * still owns the claim: otherwise `LostClaim` rolls the whole transaction (its payment too) back.
 */
async function finishFiring(
  tx: Tx,
  ctx: Pick<FiringContext, 'actor' | 'runId'>,
  firingId: string,
  result: {
    status: 'payment_created' | 'receipt_posted' | 'no_payment' | 'failed';
    decision: AutopayDecision | null;
    paymentId?: string;
    receiptId?: string;
    paymentState?: 'draft' | 'validated' | 'requested';
    nextRequestTime?: Date | null;
    error?: string;
    nextRetryAt?: Date | null;
  },
): Promise<void> {
  const updated = await tx
    .updateTable('autopay_firings')
    .set((eb) => ({
      status: result.status,
      decision: result.decision ? JSON.stringify(result.decision, bigintReplacer) : null,
      payment_id: result.paymentId ?? null,
      receipt_id: result.receiptId ?? null,
      payment_state: result.paymentState ?? null,
      next_request_time: result.nextRequestTime ?? null,
      error: result.error ?? null,
      decided_at: new Date(),
      failures: result.status === 'failed' ? eb('failures', '+', 1) : eb.ref('failures'),
      next_retry_at: result.nextRetryAt ?? null,
    }))
    .where('agency_id', '=', ctx.actor.agencyId)
    .where('id', '=', firingId)
    .where('status', '=', 'claimed')
    .where('run_id', '=', ctx.runId)
    .executeTakeFirst();
  if (updated.numUpdatedRows === 0n) throw new LostClaim([firingId]);
}

/**
 * A failed outcome, with when its retry plan fires it again: the plan the decision named (if it
 * exists), else the agency's default.
 */
async function recordFailure(
  ctx: FiringContext,
  firingId: string,
  decision: AutopayDecision | null,
  error: string,
): Promise<FiringResult> {
  return ownedOutcome(() =>
    inTransaction(ctx.db, async (tx) => {
      const firing = await tx
        .selectFrom('autopay_firings')
        .select('failures')
        .where('agency_id', '=', ctx.actor.agencyId)
        .where('id', '=', firingId)
        .where('status', '=', 'claimed')
        .where('run_id', '=', ctx.runId)
        .forUpdate()
        .executeTakeFirst();
      if (!firing) throw new LostClaim([firingId]);
      const named = decision?.payment?.retryPlan;
      const plan =
        (named ? await findRetryPlan(tx, ctx.actor.agencyId, named).catch(() => null) : null) ??
        (await defaultRetryPlanFor(tx, ctx.actor.agencyId));
      const nextRetryAt = nextFiringRetry(plan.delayDays, firing.failures + 1, ctx.now);
      await finishFiring(tx, ctx, firingId, { status: 'failed', decision, error, nextRetryAt });
      return { outcome: 'failed', error } as const;
    }),
  );
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
