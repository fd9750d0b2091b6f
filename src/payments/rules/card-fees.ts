import type { Cents } from '../../kernel/money.ts';

/**
 * Convenience fees (issue 20, item 3): whether a fee may be added to a client's payment and how
 * much. Pure: the caller passes the agency's setting, the rule table (docs/card-fees.md), the
 * insured's state, the card's funding and the amount.
 */

/** What the card is, as the processor reports it (Stripe's `card.funding`); ACH is `bank_account`. */
export type CardFunding = 'credit' | 'debit' | 'prepaid' | 'unknown';
export type FeeRuleFunding = 'credit' | 'debit' | 'prepaid' | 'bank_account';
export type FeeMethodKind = 'card' | 'ach';

/** The agency's fee for one method kind; absent: no fee (the default). */
export interface FeeSetting {
  /** Percent of the amount in basis points (250 = 2.50 %). Ignored for bank accounts. */
  percentBasisPoints: number;
  fixedCents: Cents;
  /** The most the fee may be, whatever the percent gives; null: no cap of the agency's own. */
  capCents: Cents | null;
}

/** One row of the rule table: a state's law or a card network's rule. */
export interface FeeRule {
  id: string;
  /** A two-letter state code (the insured's state) or `network` (applies everywhere). */
  scope: string;
  funding: FeeRuleFunding;
  allowed: boolean;
  /** The most a fee may be as a percent of the amount, in basis points; null: no cap of its own. */
  maxPercentBasisPoints: number | null;
}

export type NoFeeReason =
  | 'no_fee_setting'
  | 'debit_card'
  | 'prepaid_card'
  | 'funding_unknown'
  | 'state_unknown'
  | 'forbidden'
  | 'no_allowing_rule'
  | 'rounds_to_zero';

export type FeeDecision =
  | { charged: true; feeCents: Cents; ruleId: string }
  | { charged: false; reason: NoFeeReason; ruleId: string | null };

/**
 * The rule a bank-account fee is charged under: the card networks' surcharge rules do not cover
 * ACH debits, so a fixed fee the agency set is allowed unless a row for `bank_account` forbids it.
 * A percent on a bank account is never charged (a flat fee is what billers commonly disclose).
 */
export const ACH_FIXED_FEE_RULE = 'policypay-ach-fixed-fee';

const BASIS = 10_000n;

/** a × bp / 10000, rounded half up (a and bp are never negative). */
function percentHalfUp(amount: Cents, basisPoints: number): Cents {
  return (amount * BigInt(basisPoints) * 2n + BASIS) / (2n * BASIS);
}

/** a × bp / 10000, rounded down: a legal cap is never exceeded by rounding. */
function percentDown(amount: Cents, basisPoints: number): Cents {
  return (amount * BigInt(basisPoints)) / BASIS;
}

function minCents(a: Cents, b: Cents): Cents {
  return a < b ? a : b;
}

const noFeeByFunding: Partial<Record<CardFunding, NoFeeReason>> = {
  debit: 'debit_card',
  prepaid: 'prepaid_card',
  // A card whose funding the processor did not report may be a debit card: never surcharge it.
  unknown: 'funding_unknown',
};

/** Decides the fee for one payment. `state` is the insured's two-letter state, null when unknown. */
export function decideFee(input: {
  methodKind: FeeMethodKind;
  setting: FeeSetting | null;
  rules: readonly FeeRule[];
  state: string | null;
  funding: CardFunding | null;
  amountCents: Cents;
}): FeeDecision {
  const { setting, amountCents } = input;
  const wanted =
    setting &&
    (input.methodKind === 'card' ? setting.percentBasisPoints > 0 || setting.fixedCents > 0n : setting.fixedCents > 0n);
  if (!setting || !wanted || amountCents <= 0n) return { charged: false, reason: 'no_fee_setting', ruleId: null };
  const funding = ruleFundingOf(input.methodKind, input.funding);
  const cardRefusal = input.methodKind === 'card' ? noFeeByFunding[input.funding ?? 'unknown'] : undefined;
  const state = input.state?.trim().toUpperCase() || null;
  const applicable = input.rules.filter((r) => r.funding === funding && (r.scope === 'network' || r.scope === state));
  const forbidding = applicable.find((r) => !r.allowed);
  // Debit, prepaid and unknown cards are refused whatever the table says: the networks forbid it.
  if (cardRefusal) return { charged: false, reason: cardRefusal, ruleId: forbidding?.id ?? null };
  // A state's law cannot be checked without the insured's state.
  if (!state) return { charged: false, reason: 'state_unknown', ruleId: null };
  if (forbidding) return { charged: false, reason: 'forbidden', ruleId: forbidding.id };

  let fee: Cents;
  let ruleId: string;
  if (input.methodKind === 'ach') {
    fee = setting.fixedCents;
    ruleId = applicable.find((r) => r.scope === state)?.id ?? applicable[0]?.id ?? ACH_FIXED_FEE_RULE;
  } else {
    // A credit surcharge needs a network rule allowing it: the networks' cap applies to every card.
    const network = applicable.find((r) => r.scope === 'network');
    if (!network) return { charged: false, reason: 'no_allowing_rule', ruleId: null };
    ruleId = applicable.find((r) => r.scope === state)?.id ?? network.id;
    fee = percentHalfUp(amountCents, setting.percentBasisPoints) + setting.fixedCents;
  }
  if (setting.capCents !== null) fee = minCents(fee, setting.capCents);
  // Every applicable cap applies, so the lowest binds: the card's brand (Visa, Mastercard, …) is
  // not known here, and each network's row is in the table, so the lowest network cap is used.
  for (const rule of applicable) {
    if (rule.maxPercentBasisPoints === null) continue;
    const legalMax = percentDown(amountCents, rule.maxPercentBasisPoints);
    if (fee > legalMax) {
      fee = legalMax;
      ruleId = rule.id;
    }
  }
  if (fee <= 0n) return { charged: false, reason: 'rounds_to_zero', ruleId };
  return { charged: true, feeCents: fee, ruleId };
}

/** Which rows of the table apply: a bank account's, or a card's by funding (unknown as debit). */
export function ruleFundingOf(methodKind: FeeMethodKind, funding: CardFunding | null): FeeRuleFunding {
  if (methodKind === 'ach') return 'bank_account';
  return funding === 'credit' || funding === 'prepaid' ? funding : 'debit';
}

/** What the portal says when there is no fee. */
export function noFeeText(reason: NoFeeReason): string {
  switch (reason) {
    case 'no_fee_setting':
      return 'No fee.';
    case 'debit_card':
      return 'No fee on debit cards.';
    case 'prepaid_card':
      return 'No fee on prepaid cards.';
    case 'funding_unknown':
      return 'No fee: the card type is not known.';
    case 'state_unknown':
      return 'No fee: the insured’s state is not on file.';
    case 'forbidden':
      return 'No fee: not allowed in the insured’s state.';
    case 'no_allowing_rule':
      return 'No fee: no rule allows one.';
    case 'rounds_to_zero':
      return 'No fee.';
  }
}
