import type { CancellationReason, PolicyStatus } from '../../customers/rules/policy-lifecycle.ts';
import { addDays, type CalendarDate, daysBetween } from '../../kernel/calendar.ts';
import { invalid } from '../../kernel/errors.ts';
import { type Cents, formatAmount } from '../../kernel/money.ts';
import type { PaymentChannel } from './channels.ts';
import type { PaymentSettings } from './payment-settings.ts';

/**
 * Whether a payment may be taken on a policy: the policy administration matrix of issue 4 (see
 * docs/eligibility.md). Every path that takes a payment asks this one function.
 */

/** Who pays: an outside payer (client), an agent, or agency staff. */
export const payerActors = ['external', 'agent', 'staff'] as const;
export type PayerActor = (typeof payerActors)[number];

export const eligibilityReasons = [
  'allowed',
  'policy_unsubmitted',
  'policy_rejected',
  'submitted_not_allowed',
  'cancellation_pending_non_pay_disallowed',
  'cancellation_pending_poor_history_disallowed',
  'cancellation_pending_underwriting_disallowed',
  'canceled_outside_window',
  'policy_expired',
  'below_minimum',
  'above_maximum',
  // Not in the issue's list: an outside payer has no agent sweep (the agent portal's screen).
  'channel_not_available',
] as const;
export type EligibilityReason = (typeof eligibilityReasons)[number];

export const POOR_PAYMENT_HISTORY_TAG = 'poor_payment_history';

export interface EligibilityPolicy {
  status: PolicyStatus;
  cancellationReason: CancellationReason | null;
  cancellationEffectiveDate: CalendarDate | null;
  tags: readonly string[];
}

export interface EligibilityInput {
  policy: EligibilityPolicy;
  channel: PaymentChannel;
  actor: PayerActor;
  settings: PaymentSettings;
  /** The agency's calendar date. */
  today: CalendarDate;
  /** The amount about to be paid; without it the decision is about the policy alone. */
  amount?: Cents | undefined;
  /** Open invoice balances due on or before today. */
  currentlyDue: Cents;
  /** All open invoice balances. */
  payoff: Cents;
}

export interface EligibilityDecision {
  allowed: boolean;
  reason: EligibilityReason;
  /** A sentence for the payer or the agency that names the setting or rule that decided. */
  message: string;
  /** Set when a min/max setting applies to this channel and payer. */
  minimumAmount?: Cents;
  maximumAmount?: Cents;
}

/**
 * The matrix column a payment falls in. Agent sweep is the agent portal's screen (agents, and
 * staff working from a policy's receivables); autopay pulls as an outside payer would.
 */
type Column = 'agent_sweep' | 'checkout' | 'staff_checkout';

function columnFor(channel: PaymentChannel, actor: PayerActor): Column | null {
  if (channel === 'autopay') return 'checkout';
  if (channel === 'agent_sweep') return actor === 'external' ? null : 'agent_sweep';
  return actor === 'staff' ? 'staff_checkout' : 'checkout';
}

function paymentsBy(channel: PaymentChannel, actor: PayerActor): string {
  if (channel === 'autopay') return 'automatic payments (autopay)';
  if (channel === 'agent_sweep') return 'agent sweep payments';
  const who = { external: 'outside payers', agent: 'agents', staff: 'staff' }[actor];
  return `secure checkout payments by ${who}`;
}

const allow = (message: string): EligibilityDecision => ({ allowed: true, reason: 'allowed', message });
const refuse = (reason: EligibilityReason, message: string): EligibilityDecision => ({
  allowed: false,
  reason,
  message,
});

export function decidePaymentEligibility(input: EligibilityInput): EligibilityDecision {
  if (input.amount !== undefined && input.amount <= 0n) throw invalid('amount', 'must be greater than 0');
  const column = columnFor(input.channel, input.actor);
  if (!column) {
    return refuse(
      'channel_not_available',
      'Outside payers cannot pay by agent sweep: it is the agent portal payments screen. Use secure checkout.',
    );
  }
  const byStatus = decideByStatus(input, column);
  return byStatus.allowed ? applyMinMax(input, byStatus) : byStatus;
}

function decideByStatus(input: EligibilityInput, column: Column): EligibilityDecision {
  const { policy, settings } = input;
  const what = paymentsBy(input.channel, input.actor);
  switch (policy.status) {
    case 'unsubmitted':
      return refuse('policy_unsubmitted', 'This policy has not been submitted yet; no payment can be taken on it.');
    case 'rejected':
      return refuse('policy_rejected', 'This policy was rejected; no payment can be taken on it.');
    case 'submitted':
      return decideSubmitted(settings, column);
    case 'active':
      return allow('This policy is active; payments are allowed.');
    case 'cancellation_pending':
      return decideCancellationPending(input, column, what);
    case 'canceled':
      return decideCanceled(input, column, what);
    case 'expired':
      return column === 'staff_checkout'
        ? allow('This policy has expired; staff may still take payments on it through secure checkout.')
        : refuse(
            'policy_expired',
            `This policy has expired; ${what} are not allowed (only staff on secure checkout may take payments on expired policies).`,
          );
  }
}

function decideSubmitted(settings: PaymentSettings, column: Column): EligibilityDecision {
  if (column !== 'agent_sweep') {
    return refuse(
      'submitted_not_allowed',
      'This policy is submitted but not yet active; payments on submitted policies can be entered only by agent sweep, and only when allowPaySubmittedPolicies is on.',
    );
  }
  return settings.allowPaySubmittedPolicies
    ? allow(
        'This policy is submitted but not yet active; allowPaySubmittedPolicies is on, so agent sweep payments are allowed.',
      )
    : refuse(
        'submitted_not_allowed',
        'This policy is submitted but not yet active, and allowPaySubmittedPolicies is off: agent sweep payments on submitted policies are not allowed.',
      );
}

function decideCancellationPending(input: EligibilityInput, column: Column, what: string): EligibilityDecision {
  const { policy, settings } = input;
  const nonPay = policy.cancellationReason === 'non_pay';
  const poorHistory = nonPay && policy.tags.includes(POOR_PAYMENT_HISTORY_TAG);
  const pending = nonPay
    ? `This policy is pending cancellation for non-pay${poorHistory ? ` and tagged ${POOR_PAYMENT_HISTORY_TAG}` : ''}`
    : `This policy is pending cancellation (${policy.cancellationReason ?? 'reason not recorded'})`;

  // The setting that could stop this payment, and the refusal it would give.
  let setting: keyof PaymentSettings;
  let reason: EligibilityReason;
  if (!nonPay) {
    setting = 'disallowCancellationPendingUnderwriting';
    reason = 'cancellation_pending_underwriting_disallowed';
  } else if (poorHistory && settings.disallowCancellationPendingNonPayPoorHistory) {
    setting = 'disallowCancellationPendingNonPayPoorHistory';
    reason = 'cancellation_pending_poor_history_disallowed';
  } else {
    setting = 'disallowCancellationPendingNonPay';
    reason = 'cancellation_pending_non_pay_disallowed';
  }

  // Staff on secure checkout always may; staff on agent sweep may on non-pay (the policy's receivables screen).
  const staffMay =
    column === 'staff_checkout' || (input.actor === 'staff' && input.channel === 'agent_sweep' && nonPay);
  if (staffMay) {
    return allow(
      settings[setting]
        ? `${pending}; ${setting} is on, but agency staff may still take payments on it.`
        : `${pending}; ${setting} is off, so payments are allowed.`,
    );
  }
  if (settings[setting]) return refuse(reason, `${pending}, and ${setting} is on: ${what} are not allowed.`);
  if (nonPay && !poorHistory && settings.disallowCancellationPendingNonPayPoorHistory) {
    return allow(
      `${pending}; it is not tagged ${POOR_PAYMENT_HISTORY_TAG}, so disallowCancellationPendingNonPayPoorHistory does not apply and payments are allowed.`,
    );
  }
  return allow(`${pending}; ${setting} is off, so payments are allowed.`);
}

function decideCanceled(input: EligibilityInput, column: Column, what: string): EligibilityDecision {
  const { policy, settings, today } = input;
  const effective = policy.cancellationEffectiveDate;
  const canceled = `This policy was canceled${effective ? ` effective ${effective}` : ''}`;
  if (column === 'staff_checkout') {
    return allow(`${canceled}; staff may still take payments on it through secure checkout.`);
  }
  const window = settings.daysToAllowCanceledPolicyPayment;
  if (window === -1) {
    return allow(`${canceled}; daysToAllowCanceledPolicyPayment is -1, so payments are allowed indefinitely.`);
  }
  if (window === 0) {
    return refuse(
      'canceled_outside_window',
      `${canceled}, and daysToAllowCanceledPolicyPayment is 0: ${what} are not allowed on canceled policies.`,
    );
  }
  if (!effective) {
    return refuse(
      'canceled_outside_window',
      `${canceled} without an effective date, so the daysToAllowCanceledPolicyPayment window cannot be counted: ${what} are not allowed.`,
    );
  }
  // A cancellation dated in the future has not started its window yet: still inside it.
  const elapsed = daysBetween(effective, today);
  const lastDay = addDays(effective, window);
  if (elapsed <= window) {
    return allow(
      `${canceled}; daysToAllowCanceledPolicyPayment allows payments for ${window} days after cancellation (through ${lastDay}).`,
    );
  }
  return refuse(
    'canceled_outside_window',
    `${canceled}, ${elapsed} days ago; daysToAllowCanceledPolicyPayment allows ${what} only for ${window} days after cancellation (through ${lastDay}).`,
  );
}

/** Which min/max setting governs a payment: outside payers on secure checkout, agents on agent sweep; never staff. */
function minMaxSetting(channel: PaymentChannel, actor: PayerActor): keyof PaymentSettings | null {
  if (channel === 'secure_checkout' && actor === 'external') return 'enforceMinMaxSecureCheckout';
  if (channel === 'agent_sweep' && actor === 'agent') return 'enforceMinMaxAgentSweep';
  return null;
}

function applyMinMax(input: EligibilityInput, byStatus: EligibilityDecision): EligibilityDecision {
  const setting = minMaxSetting(input.channel, input.actor);
  if (!setting || !input.settings[setting]) return byStatus;
  const minimumAmount = input.currentlyDue;
  const maximumAmount = input.payoff;
  const bounds = { minimumAmount, maximumAmount };
  const range = `at least the currently due amount, ${formatAmount(minimumAmount)}, and at most the payoff amount, ${formatAmount(maximumAmount)}`;
  if (input.amount !== undefined && input.amount < minimumAmount) {
    return {
      ...refuse(
        'below_minimum',
        `${formatAmount(input.amount)} is less than the currently due amount: ${setting} is on, so the payment must be ${range}.`,
      ),
      ...bounds,
    };
  }
  if (input.amount !== undefined && input.amount > maximumAmount) {
    return {
      ...refuse(
        'above_maximum',
        `${formatAmount(input.amount)} is more than the payoff amount: ${setting} is on, so the payment must be ${range}.`,
      ),
      ...bounds,
    };
  }
  return { ...byStatus, message: `${byStatus.message} ${setting} is on: the payment must be ${range}.`, ...bounds };
}
