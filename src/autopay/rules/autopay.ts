import type { PolicyStatus } from '../../customers/rules/policy-lifecycle.ts';
import type { EligibilityReason } from '../../eligibility/rules/eligibility.ts';
import type { CalendarDate } from '../../kernel/calendar.ts';
import type { Cents } from '../../kernel/money.ts';

/**
 * Autopay: what the plugin sees and answers, why an invoice is not fired, and how a decision
 * becomes a payment. Pure: the pass (autopay/autopay.ts) loads the facts and passes `now`.
 */

/** Why a due invoice was not fired, checked in this order. */
const autopaySkipReasons = [
  'no_balance',
  'suppressed',
  'not_enrolled',
  'payment_method_unusable',
  'payment_in_progress',
  'ineligible',
] as const;
export type AutopaySkipReason = (typeof autopaySkipReasons)[number];

/** Payment states a plugin may ask for; `posted` means the plugin collected the money itself. */
export const autopayPaymentStates = ['draft', 'validated', 'requested', 'posted'] as const;
type AutopayPaymentState = (typeof autopayPaymentStates)[number];

/** The invoice whose autopay time has come, as the plugin receives it. */
export interface AutopayInvoice {
  invoiceNumber: number;
  customerNumber: number;
  policyNumber: string | null;
  amountCents: Cents;
  /** The open balance when the plugin fires. */
  balanceCents: Cents;
  currency: string;
  dueDate: CalendarDate;
  autopayTime: Date;
}

export interface AutopayContext {
  /** The pass's clock. */
  now: Date;
  agency: { id: string; slug: string; timeZone: string };
  customer: { customerNumber: number; name: string };
  /** The enrollment in force: the method the customer chose for autopay. */
  enrollment: { paymentMethodId: string; paymentMethodKind: 'card' | 'ach'; enrolledAt: Date };
  policy: { policyNumber: string; status: PolicyStatus } | null;
  /**
   * This firing (always set by the pass). A pass whose process died before recording the outcome
   * is resumed by the next one, which calls the plugin again with the same id and the next
   * attempt: a plugin that takes money itself (`posted`) must do so once per firing id.
   */
  firing?: { id: string; attempt: number } | undefined;
}

/**
 * The payment a plugin asks for (Socotra's PaymentCreateRequest). Every field is optional: the
 * defaults are the enrolled method, its kind, the open balance, `requested`, the invoice's
 * currency, the invoice as the one target, the agency's default retry plan and only bank.
 */
interface AutopayPaymentRequest {
  type?: 'card' | 'ach' | undefined;
  amountCents?: Cents | undefined;
  state?: AutopayPaymentState | undefined;
  currency?: string | undefined;
  paymentMethodId?: string | undefined;
  targets?: { invoiceNumber: number; amountCents: Cents }[] | undefined;
  retryPlan?: string | undefined;
  bankShortName?: string | undefined;
  extension?: Record<string, unknown> | undefined;
}

export interface AutopayDecision {
  payment?: AutopayPaymentRequest | undefined;
  /** Execution of a `requested` payment starts then instead of now. */
  nextRequestTime?: Date | undefined;
}

/** An agency's autopay plugin: null (or no payment) means "take no payment for this invoice". */
export type AutopayPlugin = (invoice: AutopayInvoice, context: AutopayContext) => Promise<AutopayDecision | null>;

/** A decision with every default filled in. */
export interface AutopayPayment {
  type: 'card' | 'ach';
  amountCents: Cents;
  state: AutopayPaymentState;
  currency: string;
  paymentMethodId: string;
  targets: { invoiceNumber: number; amountCents: Cents }[];
  retryPlan: string | undefined;
  bankShortName: string | undefined;
  extension: Record<string, unknown>;
  /** When execution starts; null = at once. */
  nextRequestTime: Date | null;
}

export type AutopayAction =
  | { kind: 'no_payment' }
  | { kind: 'payment'; payment: AutopayPayment }
  | { kind: 'invalid'; message: string };

/** Turns a plugin's decision into what the pass does, defaults applied. */
export function resolveAutopayDecision(
  decision: AutopayDecision | null,
  invoice: AutopayInvoice,
  context: AutopayContext,
): AutopayAction {
  if (!decision?.payment) {
    return decision?.nextRequestTime
      ? { kind: 'invalid', message: 'nextRequestTime delays a payment, but the decision has no payment' }
      : { kind: 'no_payment' };
  }
  const request = decision.payment;
  const state = request.state ?? 'requested';
  const amountCents = request.amountCents ?? invoice.balanceCents;
  if (amountCents <= 0n) return { kind: 'invalid', message: 'the payment amount must be greater than 0' };
  if (decision.nextRequestTime && state !== 'requested') {
    return { kind: 'invalid', message: `nextRequestTime applies to a requested payment, not a ${state} one` };
  }
  const later = decision.nextRequestTime && decision.nextRequestTime.getTime() > context.now.getTime();
  return {
    kind: 'payment',
    payment: {
      type: request.type ?? context.enrollment.paymentMethodKind,
      amountCents,
      state,
      currency: request.currency ?? invoice.currency,
      paymentMethodId: request.paymentMethodId ?? context.enrollment.paymentMethodId,
      // The invoice takes what it owes; anything above goes On Account.
      targets: request.targets ?? [
        {
          invoiceNumber: invoice.invoiceNumber,
          amountCents: amountCents < invoice.balanceCents ? amountCents : invoice.balanceCents,
        },
      ],
      retryPlan: request.retryPlan,
      bankShortName: request.bankShortName,
      extension: request.extension ?? {},
      nextRequestTime: later ? decision.nextRequestTime! : null,
    },
  };
}

/** What the pass knows about a due invoice before asking the eligibility rules. */
export interface AutopayCandidateFacts {
  balanceCents: Cents;
  suppressed: boolean;
  enrolled: boolean;
  /** The enrolled method is neither removed nor disabled. */
  methodUsable: boolean;
  /** A payment targeting the invoice is requested or executing (an ACH debit pends for days). */
  paymentInProgress: boolean;
}

/** The first reason not to fire, or null when only the eligibility rules remain to be asked. */
export function autopaySkipReason(facts: AutopayCandidateFacts): Exclude<AutopaySkipReason, 'ineligible'> | null {
  if (facts.balanceCents <= 0n) return 'no_balance';
  if (facts.suppressed) return 'suppressed';
  if (!facts.enrolled) return 'not_enrolled';
  if (!facts.methodUsable) return 'payment_method_unusable';
  if (facts.paymentInProgress) return 'payment_in_progress';
  return null;
}

export const skipMessages: Readonly<Record<AutopaySkipReason, string>> = {
  no_balance: 'The invoice has no open balance.',
  suppressed: 'Autopay is suppressed for this invoice.',
  not_enrolled: 'The customer is not enrolled in autopay.',
  payment_method_unusable: 'The payment method enrolled for autopay was removed or disabled; enroll another.',
  payment_in_progress: 'A payment for this invoice is already requested or executing.',
  ineligible: 'The policy does not accept autopay payments now.',
};

/**
 * A skip is final once the invoice's due date has passed (agency calendar): autopay collects what
 * falls due, and a pass keeps re-checking a skipped invoice only from its autopay time through its
 * due date. An invoice first seen after its due date (billed late, scheduler down) is checked once.
 */
export function isFinalSkip(dueDate: CalendarDate, today: CalendarDate): boolean {
  return dueDate < today;
}

/** The key a run counts a skip under: the reason, or `ineligible:<eligibility reason>`. */
export function skipKey(reason: AutopaySkipReason, eligibilityReason?: EligibilityReason | null): string {
  return reason === 'ineligible' && eligibilityReason ? `ineligible:${eligibilityReason}` : reason;
}

/** A pass's figures, as runs record and report them. */
export interface AutopayRunFigures {
  /** Due invoices read. */
  examined: number;
  /** Plugin calls: firings this pass claimed. */
  fired: number;
  /** Invoices another pass (or process) had already fired for this autopay time. */
  alreadyFired: number;
  paymentsCreated: number;
  receiptsPosted: number;
  /** The plugin chose to take no payment. */
  noPayment: number;
  /** The plugin failed, answered something invalid, or its payment was refused. */
  failed: number;
  skipped: Record<string, number>;
}

export function emptyRunFigures(): AutopayRunFigures {
  return {
    examined: 0,
    fired: 0,
    alreadyFired: 0,
    paymentsCreated: 0,
    receiptsPosted: 0,
    noPayment: 0,
    failed: 0,
    skipped: {},
  };
}

/**
 * When a failed firing (the plugin failed, answered nonsense, or its payment was refused) is fired
 * again: after its retry plan's delays, the first failure waiting the first delay; null when the
 * plan allows no more. The plan's decline codes name processor declines, so they do not apply.
 */
export function nextFiringRetry(delayDays: readonly number[], failures: number, failedAt: Date): Date | null {
  const delay = delayDays[failures - 1];
  return delay === undefined ? null : new Date(failedAt.getTime() + delay * 86_400_000);
}
