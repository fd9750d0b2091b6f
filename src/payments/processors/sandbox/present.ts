import type { TokenDetails } from '../processor.ts';
import type { ChargeRecord, RefundRecord, SandboxEvent, TokenRecord } from './state.ts';

/** The sandbox API's JSON shapes. Amounts are strings of minor units (exact, like bigint). */

export function presentToken(token: TokenRecord): TokenDetails & { accountType: string | null } {
  return {
    token: token.token,
    kind: token.kind,
    brand: token.brand,
    funding: token.funding,
    last4: token.last4,
    expMonth: token.expMonth,
    expYear: token.expYear,
    bankName: token.bankName,
    holderName: token.holderName,
    accountType: token.accountType,
  };
}

const iso = (date: Date | null) => (date ? date.toISOString() : null);

export function presentCharge(charge: ChargeRecord) {
  return {
    id: charge.id,
    object: 'charge',
    idempotencyKey: charge.idempotencyKey,
    status: charge.status,
    kind: charge.kind,
    amountCents: charge.amountCents.toString(),
    currency: charge.currency,
    description: charge.description,
    token: charge.token,
    createdAt: charge.createdAt.toISOString(),
    settleAt: iso(charge.settleAt),
    settledAt: iso(charge.settledAt),
    returnedAt: iso(charge.returnedAt),
    returnCode: charge.returnCode,
    declineCode: charge.declineCode,
    declineMessage: charge.declineMessage,
    retryable: charge.retryable,
    refundedCents: charge.refundedCents.toString(),
    disputed: charge.disputedAt !== null,
  };
}

/** A decline answers 402, like Stripe's card errors, naming the charge it recorded. */
export function presentDecline(charge: ChargeRecord) {
  return {
    error: {
      type: 'card_error',
      code: 'card_declined',
      declineCode: charge.declineCode,
      retryable: charge.retryable,
      message: charge.declineMessage,
      charge: charge.id,
    },
  };
}

export function presentRefund(refund: RefundRecord) {
  return {
    id: refund.id,
    object: 'refund',
    status: 'succeeded',
    charge: refund.chargeId,
    amountCents: refund.amountCents.toString(),
    reason: refund.reason,
    idempotencyKey: refund.idempotencyKey,
    createdAt: refund.createdAt.toISOString(),
  };
}

export function presentEvent(event: SandboxEvent) {
  return {
    id: event.id,
    type: event.type,
    createdAt: event.createdAt.toISOString(),
    data: { ...event.data, amountCents: event.data.amountCents.toString() },
  };
}
