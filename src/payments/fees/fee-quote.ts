import { DomainError } from '../../kernel/errors.ts';
import { isUuid } from '../../kernel/ids.ts';
import { type Cents, formatAmount } from '../../kernel/money.ts';
import type { Db, Tx } from '../../platform/db/transaction.ts';
import {
  type CardFunding,
  decideFee,
  type FeeDecision,
  type NoFeeReason,
  noFeeText,
  ruleFundingOf,
} from '../rules/card-fees.ts';
import { applicableFeeRules } from './fee-rules.ts';
import { loadConvenienceFees } from './fee-settings.ts';

/** What the portal shows before the client pays, and what the payment then charges. */
export interface FeeQuote {
  amountCents: Cents;
  feeCents: Cents;
  totalCents: Cents;
  /** The rule that allowed the fee (or, without a fee, the one that forbade it; null: none applied). */
  ruleId: string | null;
  /** Why there is no fee; null when there is one. */
  reason: NoFeeReason | null;
  text: string;
}

/** The insured's state as the fee rules name it: a two-letter code on the customer's address, else unknown. */
function stateCode(address: unknown): string | null {
  const state = address && typeof address === 'object' ? (address as { state?: unknown }).state : undefined;
  if (typeof state !== 'string') return null;
  const code = state.trim().toUpperCase();
  return /^[A-Z]{2}$/.test(code) ? code : null;
}

/**
 * The fee for paying `amountCents` with one of the customer's saved methods: the agency's setting
 * for the method's kind, the insured's state (the customer's address) and the card's funding,
 * decided by the rule table. A method not the customer's own is refused naming `paymentMethodId`.
 */
async function decideQuote(
  db: Db | Tx,
  agencyId: string,
  input: { customerId: string; paymentMethodId: string; amountCents: Cents },
): Promise<FeeQuote> {
  const method = isUuid(input.paymentMethodId)
    ? await db
        .selectFrom('payment_methods as m')
        .innerJoin('customers as c', 'c.id', 'm.customer_id')
        .select(['m.kind', 'm.funding', 'c.address'])
        .where('m.agency_id', '=', agencyId)
        .where('m.customer_id', '=', input.customerId)
        .where('m.id', '=', input.paymentMethodId)
        .where('m.deleted_at', 'is', null)
        .executeTakeFirst()
    : undefined;
  if (!method) {
    throw new DomainError('unprocessable', `payment method ${input.paymentMethodId} is not one of your saved methods`, {
      errors: [{ path: 'paymentMethodId', message: 'is not one of your saved methods' }],
    });
  }
  const state = stateCode(method.address);
  const funding: CardFunding | null = method.kind === 'card' ? (method.funding ?? 'unknown') : null;
  const fees = await loadConvenienceFees(db, agencyId);
  const decision = decideFee({
    methodKind: method.kind,
    setting: method.kind === 'card' ? fees.card : fees.ach,
    rules: await applicableFeeRules(db, state, ruleFundingOf(method.kind, funding)),
    state,
    funding,
    amountCents: input.amountCents,
  });
  return quoteOf(input.amountCents, decision, method.kind);
}

/**
 * The quote the portal shows and the payment then charges. Given the fee the client was shown
 * (`feeCents`), a different one now (the rules or settings changed since) is refused: 409 naming `fee`.
 */
export async function quoteFee(
  db: Db | Tx,
  agencyId: string,
  input: { customerId: string; paymentMethodId: string; amountCents: Cents; feeCents?: Cents | undefined },
): Promise<FeeQuote> {
  const quote = await decideQuote(db, agencyId, input);
  if (input.feeCents !== undefined && input.feeCents !== quote.feeCents) {
    throw new DomainError('conflict', `the fee is now ${formatAmount(quote.feeCents)}: review it and pay again`, {
      errors: [{ path: 'fee', message: `is now ${formatAmount(quote.feeCents)}` }],
    });
  }
  return quote;
}

function quoteOf(amountCents: Cents, decision: FeeDecision, kind: 'card' | 'ach'): FeeQuote {
  if (!decision.charged) {
    return {
      amountCents,
      feeCents: 0n,
      totalCents: amountCents,
      ruleId: decision.ruleId,
      reason: decision.reason,
      text: noFeeText(decision.reason),
    };
  }
  const what = kind === 'card' ? 'credit card' : 'bank account';
  return {
    amountCents,
    feeCents: decision.feeCents,
    totalCents: amountCents + decision.feeCents,
    ruleId: decision.ruleId,
    reason: null,
    text: `A ${formatAmount(decision.feeCents)} convenience fee applies to ${what} payments.`,
  };
}
