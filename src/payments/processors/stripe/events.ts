import type Stripe from 'stripe';
import { IgnoredWebhookEvent, type ProcessorEvent } from '../processor.ts';
import { achReturnCode } from './codes.ts';
import { IDEMPOTENCY_METADATA_KEY, KIND_METADATA_KEY } from './outcomes.ts';

// Pure: the verified Stripe events policypay acts on, as processor events. Signature checks stay
// in the adapter, which holds the secret and the clock.

export function headerValue(headers: Readonly<Record<string, string | undefined>>, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name && value !== undefined) return value;
  }
  return undefined;
}

export function stripeEvent(event: Stripe.Event): ProcessorEvent {
  const occurredAt = new Date(event.created * 1000);
  switch (event.type) {
    case 'payment_intent.succeeded':
    case 'payment_intent.payment_failed': {
      const intent = event.data.object;
      const idempotencyKey = intent.metadata?.[IDEMPOTENCY_METADATA_KEY];
      if (!idempotencyKey) throw new IgnoredWebhookEvent(event.id, event.type, 'not a policypay PaymentIntent');
      // A card's outcome is known when it is charged; only ACH settles (or fails) later.
      if (intent.metadata[KIND_METADATA_KEY] !== 'ach') {
        throw new IgnoredWebhookEvent(event.id, event.type, 'a card payment is final when charged');
      }
      if (event.type === 'payment_intent.succeeded') {
        return {
          id: event.id,
          type: 'payment.settled',
          processorReference: intent.id,
          idempotencyKey,
          amountCents: BigInt(intent.amount_received || intent.amount),
          occurredAt,
        };
      }
      return {
        id: event.id,
        type: 'payment.returned',
        processorReference: intent.id,
        idempotencyKey,
        returnCode: achReturnCode(intent.last_payment_error?.code),
        amountCents: BigInt(intent.amount),
        occurredAt,
      };
    }
    case 'charge.dispute.created': {
      const dispute = event.data.object;
      const intent = dispute.payment_intent;
      const processorReference = typeof intent === 'string' ? intent : intent?.id;
      if (!processorReference) throw new IgnoredWebhookEvent(event.id, event.type, 'a dispute without a PaymentIntent');
      return {
        id: event.id,
        type: 'payment.chargeback',
        processorReference,
        amountCents: BigInt(dispute.amount),
        occurredAt,
      };
    }
    default:
      throw new IgnoredWebhookEvent(event.id, event.type, 'not an event policypay acts on');
  }
}
