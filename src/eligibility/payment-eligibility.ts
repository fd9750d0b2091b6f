import { agencyToday } from '../agency/agencies.ts';
import { loadPaymentSettings } from '../agency/payment-settings.ts';
import { findPolicy } from '../customers/policies.ts';
import type { PolicyStatus } from '../customers/rules/policy-lifecycle.ts';
import type { Actor } from '../kernel/actor.ts';
import { DomainError } from '../kernel/errors.ts';
import { type Cents, sum, toAmount } from '../kernel/money.ts';
import { listCustomerInvoices } from '../ledger/invoices.ts';
import { type Db, inTransaction, type Tx } from '../platform/db/transaction.ts';
import type { PaymentChannel } from './rules/channels.ts';
import { decidePaymentEligibility, type EligibilityDecision, type PayerActor } from './rules/eligibility.ts';

export interface EligibilityQuery {
  channel: PaymentChannel;
  /** Who pays: not necessarily the caller (staff may check what a client would be told). */
  payer: PayerActor;
  amountCents?: Cents | undefined;
}

export interface PaymentEligibility extends EligibilityDecision {
  policyNumber: string;
  policyStatus: PolicyStatus;
  channel: PaymentChannel;
  payer: PayerActor;
  amountCents: Cents | null;
  /** The agency's calendar date the decision was made for. */
  today: string;
  currentlyDueCents: Cents;
  payoffCents: Cents;
}

/**
 * Whether a payment may be taken on a policy, by whom and through which channel. Every path that
 * takes a payment (portal and agent sweep receipts, payments, autopay) calls this inside its own
 * transaction before it takes money; the plain receipt API (back-office cash posting) does not.
 */
export async function checkPaymentEligibility(
  db: Db | Tx,
  actor: Actor,
  policyNumber: string,
  query: EligibilityQuery,
  now: Date = new Date(),
): Promise<PaymentEligibility> {
  return inTransaction(db, async (tx) => {
    const policy = await findPolicy(tx, actor.agencyId, policyNumber);
    const today = await agencyToday(tx, actor.agencyId, now);
    const settings = await loadPaymentSettings(tx, actor.agencyId);
    const open = (await listCustomerInvoices(tx, actor.agencyId, policy.customer_id)).filter(
      (invoice) => invoice.policyNumber === policy.policy_number && invoice.balanceCents > 0n,
    );
    const currentlyDueCents = sum(open.filter((invoice) => invoice.dueDate <= today).map((i) => i.balanceCents));
    const payoffCents = sum(open.map((invoice) => invoice.balanceCents));
    const decision = decidePaymentEligibility({
      policy: {
        status: policy.status,
        cancellationReason: policy.cancellation_reason,
        cancellationEffectiveDate: policy.cancellation_effective_date,
        tags: policy.tags,
      },
      channel: query.channel,
      actor: query.payer,
      settings,
      today,
      amount: query.amountCents,
      currentlyDue: currentlyDueCents,
      payoff: payoffCents,
    });
    return {
      ...decision,
      policyNumber: policy.policy_number,
      policyStatus: policy.status,
      channel: query.channel,
      payer: query.payer,
      amountCents: query.amountCents ?? null,
      today,
      currentlyDueCents,
      payoffCents,
    };
  });
}

/**
 * For payment paths: the eligibility when the payment may be taken, else a 422 whose detail is the
 * decision's message and whose `reason` (and bounds, when a min/max setting applies) a client can act on.
 */
export async function requirePaymentEligibility(
  db: Db | Tx,
  actor: Actor,
  policyNumber: string,
  query: EligibilityQuery,
  now: Date = new Date(),
): Promise<PaymentEligibility> {
  const eligibility = await checkPaymentEligibility(db, actor, policyNumber, query, now);
  if (eligibility.allowed) return eligibility;
  const amountRefused = eligibility.reason === 'below_minimum' || eligibility.reason === 'above_maximum';
  throw new DomainError('unprocessable', eligibility.message, {
    errors: amountRefused ? [{ path: 'amount', message: eligibility.message }] : [],
    extensions: {
      reason: eligibility.reason,
      policyNumber: eligibility.policyNumber,
      ...(eligibility.minimumAmount !== undefined ? { minimumAmount: toAmount(eligibility.minimumAmount) } : {}),
      ...(eligibility.maximumAmount !== undefined ? { maximumAmount: toAmount(eligibility.maximumAmount) } : {}),
    },
  });
}
