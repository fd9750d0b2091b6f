import Stripe from 'stripe';
import type { ChargeOutcome } from '../processor.ts';
import { achReturnCode, isHardDecline } from './codes.ts';

// Pure: what a PaymentIntent, or an error the SDK threw, says about a charge.

/** Metadata on every PaymentIntent policypay creates. */
export const IDEMPOTENCY_METADATA_KEY = 'policypay_idempotency_key';
export const KIND_METADATA_KEY = 'policypay_kind';

/** An SDK error in one line for an outcome's reason: its type and HTTP status before its message. */
export function describeStripeError(error: unknown): string {
  if (error instanceof Stripe.errors.StripeError) {
    return `${error.type}${error.statusCode ? ` ${error.statusCode}` : ''}: ${error.message}`;
  }
  return error instanceof Error ? error.message : String(error);
}

/** Higher is more final: the PaymentIntent that tells most about a key wins. */
export function rank(intent: Stripe.PaymentIntent): number {
  const order = [
    'succeeded',
    'processing',
    'requires_capture',
    'requires_action',
    'requires_payment_method',
    'canceled',
  ];
  const i = order.indexOf(intent.status);
  return i < 0 ? 0 : order.length - i;
}

export function intentOutcome(intent: Stripe.PaymentIntent): ChargeOutcome {
  const processorReference = intent.id;
  switch (intent.status) {
    case 'succeeded':
      return { status: 'succeeded', processorReference };
    case 'processing':
      return { status: 'pending', processorReference };
    case 'requires_payment_method': {
      const error = intent.last_payment_error;
      if (!error) {
        return { status: 'declined', code: 'incomplete', hard: false, message: 'not confirmed', processorReference };
      }
      const stripeCode = error.decline_code ?? error.code ?? 'card_declined';
      const returnCode = intent.metadata?.[KIND_METADATA_KEY] === 'ach' ? achReturnCode(error.code) : undefined;
      if (returnCode) {
        return {
          status: 'declined',
          code: returnCode,
          hard: returnCode !== 'R01',
          message: error.message ?? `ACH ${returnCode}`,
          processorReference,
        };
      }
      return {
        status: 'declined',
        code: stripeCode,
        hard: isHardDecline(stripeCode, error.advice_code),
        message: error.message ?? 'declined',
        processorReference,
      };
    }
    case 'requires_action':
      return {
        status: 'declined',
        code: 'authentication_required',
        hard: true,
        message: 'the customer must authenticate this payment',
        processorReference,
      };
    default:
      return {
        status: 'declined',
        code: intent.status === 'canceled' ? 'canceled' : `unexpected_status_${intent.status}`,
        hard: true,
        message: `the PaymentIntent is ${intent.status}`,
        processorReference,
      };
  }
}

/** A thrown SDK error as an outcome: a card error or an invalid request declines; the rest is unknown. */
export function chargeError(error: unknown): ChargeOutcome {
  if (error instanceof Stripe.errors.StripeCardError) {
    const code = error.decline_code ?? error.code ?? 'card_declined';
    return {
      status: 'declined',
      code,
      hard: isHardDecline(code, error.advice_code),
      message: error.message,
      processorReference: error.payment_intent?.id,
    };
  }
  // A 400/404 means Stripe refused the request and charged nothing. An idempotency error (the key
  // was used with other parameters) is not this: a PaymentIntent may exist under the key.
  if (error instanceof Stripe.errors.StripeInvalidRequestError) {
    return {
      status: 'declined',
      code: error.code ?? 'invalid_request',
      hard: true,
      message: error.message,
      processorReference: error.payment_intent?.id,
    };
  }
  // Connection errors, timeouts, 5xx, 429, 409, authentication/permission errors, idempotency
  // errors: the charge may or may not exist; the janitor asks `lookup`.
  return { status: 'unknown', reason: describeStripeError(error) };
}
