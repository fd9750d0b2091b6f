import { sql } from 'kysely';
import { parseAutopayDecision } from '../autopay/plugin.ts';
import {
  type AutopayAction,
  type AutopayContext,
  type AutopayDecision,
  type AutopayInvoice,
  type AutopayPayment,
  type AutopayPlugin,
  resolveAutopayDecision,
} from '../domain/autopay.ts';
import { DomainError, invalid } from '../domain/errors.ts';
import type { Cents } from '../domain/money.ts';
import type { Actor } from './actor.ts';
import { bigintReplacer } from './audit.ts';
import type { DueInvoice } from './autopay-candidates.ts';
import { onlyBank } from './bank-access.ts';
import type { JobQueue } from './job-queue.ts';
import { requirePaymentEligibility } from './payment-eligibility.ts';
import { createPayment } from './payments.ts';
import { postCustomerReceipt } from './receipts.ts';
import { type Db, inTransaction, type Tx } from './transaction.ts';

/**
 * One firing: claim (invoice, autopay time) in one statement — the unique constraint makes it
 * happen once, whichever pass or process gets there first — then call the plugin with no
 * transaction open (it may call an outside system), then act on its decision in a transaction
 * that also records the outcome. A crash between the claim and the outcome leaves the firing
 * `claimed`: it is never fired again, and shows as such.
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

export async function fireInvoice(ctx: FiringContext, due: DueInvoice): Promise<FiringResult> {
  const claim = await claimFiring(ctx, due);
  if (claim.kind !== 'claimed') return { outcome: claim.kind };
  const decided = await decideFiring(ctx, due, claim.balanceCents);
  return completeFiring(ctx, due, claim.firingId, decided);
}

/** What the plugin decided for a claimed invoice, defaults applied, or why it could not decide. */
export type DecidedFiring =
  | { decision: AutopayDecision | null; action: AutopayAction }
  | { decision: null; pluginError: string };

/** Calls the plugin, with no transaction open (it may call an outside system). */
export async function decideFiring(ctx: FiringContext, due: DueInvoice, balanceCents: Cents): Promise<DecidedFiring> {
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
    await inTransaction(ctx.db, (tx) =>
      finishFiring(tx, ctx.actor.agencyId, firingId, { status: 'no_payment', decision }),
    );
    return { outcome: 'no_payment' };
  }
  // A serialization failure or deadlock is worth another try; anything else is the outcome.
  let lastError: unknown;
  for (let attempt = 1; attempt <= BUSY_RETRIES; attempt++) {
    try {
      return await inTransaction(ctx.db, (tx) => actOnPayment(tx, ctx, due, firingId, decision, action.payment));
    } catch (error) {
      lastError = error;
      if (!(error instanceof DomainError && error.code === 'database_busy')) break;
    }
  }
  return recordFailure(ctx, firingId, decision, messageOf(lastError));
}

type Claim = { kind: 'claimed'; firingId: string; balanceCents: Cents } | { kind: 'already_fired' | 'no_balance' };

/**
 * The claim, as one statement (one round trip, atomic): re-read the balance (the page may be stale),
 * insert the firing unless one exists for this invoice and autopay time, and only if it was this
 * statement that inserted it, mark the autopay time decided and drop the skip it replaces.
 */
async function claimFiring(ctx: FiringContext, due: DueInvoice): Promise<Claim> {
  const agencyId = ctx.actor.agencyId;
  const result = await sql<{ firing_id: string | null; balance: bigint }>`
    WITH balance AS (
      SELECT coalesce(sum(amount_cents), 0)::int8 AS cents FROM journal_lines
       WHERE agency_id = ${agencyId} AND invoice_id = ${due.id} AND account = 'accounts_receivable'
    ), claimed AS (
      INSERT INTO autopay_firings (agency_id, invoice_id, autopay_time, run_id, status)
      SELECT ${agencyId}::uuid, ${due.id}::uuid, ${due.autopayTime}::timestamptz, ${ctx.runId}::uuid, 'claimed'
        FROM balance WHERE cents > 0
      ON CONFLICT (invoice_id, autopay_time) DO NOTHING
      RETURNING id
    ), decided AS (  -- data-modifying CTEs run whether or not the final SELECT reads them
      UPDATE invoices SET autopay_decided_time = ${due.autopayTime}
       WHERE agency_id = ${agencyId} AND id = ${due.id} AND autopay_time = ${due.autopayTime}
         AND EXISTS (SELECT 1 FROM claimed)
      RETURNING id
    ), unskipped AS (
      DELETE FROM autopay_skips
       WHERE agency_id = ${agencyId} AND invoice_id = ${due.id} AND autopay_time = ${due.autopayTime}
         AND EXISTS (SELECT 1 FROM claimed)
      RETURNING invoice_id
    )
    SELECT (SELECT id FROM claimed) AS firing_id, (SELECT cents FROM balance) AS balance
  `.execute(ctx.db);
  const row = result.rows[0]!;
  if (row.firing_id) return { kind: 'claimed', firingId: row.firing_id, balanceCents: row.balance };
  return { kind: row.balance > 0n ? 'already_fired' : 'no_balance' };
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
    const receiptId = await postCollectedPayment(tx, ctx, due, payment);
    await finishFiring(tx, ctx.actor.agencyId, firingId, { status: 'receipt_posted', decision, receiptId });
    return { outcome: 'receipt_posted', receiptId };
  }
  const created = await createPayment(
    tx,
    ctx.actor,
    {
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
    },
    ctx.jobs,
    ctx.now,
  );
  await finishFiring(tx, ctx.actor.agencyId, firingId, {
    status: 'payment_created',
    decision,
    paymentId: created.id,
    paymentState: payment.state,
    nextRequestTime: payment.nextRequestTime,
  });
  return { outcome: 'payment_created', paymentId: created.id };
}

/**
 * The plugin collected the money itself (`posted`): no execution, the receipt is applied by the
 * receipt rules, after the same eligibility rules a created payment would pass.
 */
async function postCollectedPayment(
  tx: Tx,
  ctx: FiringContext,
  due: DueInvoice,
  payment: AutopayPayment,
): Promise<string> {
  if (payment.currency !== 'USD') throw invalid('currency', 'must be USD');
  const targetTotal = payment.targets.reduce((total, t) => total + t.amountCents, 0n);
  if (targetTotal > payment.amountCents) {
    throw new DomainError('unprocessable', 'the targets add up to more than the payment amount');
  }
  const policies = await tx
    .selectFrom('invoices')
    .innerJoin('policies', 'policies.id', 'invoices.policy_id')
    .select(['invoices.invoice_number', 'policies.policy_number'])
    .where('invoices.agency_id', '=', ctx.actor.agencyId)
    .where(
      'invoices.invoice_number',
      'in',
      payment.targets.map((t) => t.invoiceNumber),
    )
    .execute();
  const perPolicy = new Map<string, Cents>();
  for (const target of payment.targets) {
    const policyNumber = policies.find((p) => p.invoice_number === target.invoiceNumber)?.policy_number;
    if (policyNumber) perPolicy.set(policyNumber, (perPolicy.get(policyNumber) ?? 0n) + target.amountCents);
  }
  for (const [policyNumber, amountCents] of perPolicy) {
    await requirePaymentEligibility(
      tx,
      ctx.actor,
      policyNumber,
      { channel: 'autopay', payer: 'external', amountCents },
      ctx.now,
    );
  }
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
      bankShortName:
        payment.bankShortName ??
        (await onlyBank(tx, ctx.actor.agencyId, 'the autopay decision must name the bank (bankShortName)')).shortName,
      paymentCheckType: payment.type === 'card' ? 'CreditCard' : 'EFT',
      receiptDescription: `Autopay ${payment.type === 'card' ? 'card' : 'ACH'} payment collected by the autopay plugin for invoice ${due.invoiceNumber}`,
    },
    { source: 'autopay', jobs: ctx.jobs },
  );
  return receipt.id;
}

export async function finishFiring(
  tx: Tx,
  agencyId: string,
  firingId: string,
  result: {
    status: 'payment_created' | 'receipt_posted' | 'no_payment' | 'failed';
    decision: AutopayDecision | null;
    paymentId?: string;
    receiptId?: string;
    paymentState?: 'draft' | 'validated' | 'requested';
    nextRequestTime?: Date | null;
    error?: string;
  },
): Promise<void> {
  await tx
    .updateTable('autopay_firings')
    .set({
      status: result.status,
      decision: result.decision ? JSON.stringify(result.decision, bigintReplacer) : null,
      payment_id: result.paymentId ?? null,
      receipt_id: result.receiptId ?? null,
      payment_state: result.paymentState ?? null,
      next_request_time: result.nextRequestTime ?? null,
      error: result.error ?? null,
      decided_at: new Date(),
    })
    .where('agency_id', '=', agencyId)
    .where('id', '=', firingId)
    .execute();
}

async function recordFailure(
  ctx: FiringContext,
  firingId: string,
  decision: AutopayDecision | null,
  error: string,
): Promise<FiringResult> {
  await inTransaction(ctx.db, (tx) =>
    finishFiring(tx, ctx.actor.agencyId, firingId, { status: 'failed', decision, error }),
  );
  return { outcome: 'failed', error };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
