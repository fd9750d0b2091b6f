/**
 * The seam between policypay and a card/ACH processor. Adapters never throw for an outcome the
 * processor (or the network) gave: a timeout, a lost response or a 5xx is `unknown`, never a
 * decline — the janitor asks `lookup` later, and the payment is never charged again blindly.
 * Amounts are integer minor units.
 */
export type InstrumentKind = 'card' | 'ach';

/** A card's funding as the processor reports it (Stripe's `card.funding`); decides convenience fees. */
export type InstrumentFunding = 'credit' | 'debit' | 'prepaid' | 'unknown';

/** What a token stands for; card numbers and CVVs never leave the processor. */
export interface TokenDetails {
  token: string;
  kind: InstrumentKind;
  brand: string | null;
  /** Cards only; absent or null when the processor did not say (treated as debit: no fee). */
  funding?: InstrumentFunding | null | undefined;
  last4: string;
  expMonth: number | null;
  expYear: number | null;
  bankName: string | null;
  holderName: string | null;
}

export interface ChargeRequest {
  amountCents: bigint;
  currency: string;
  token: string;
  /** Derived from policypay's attempt id; the processor charges at most once per key. */
  idempotencyKey: string;
  description: string;
}

export type ChargeOutcome =
  | { status: 'succeeded'; processorReference: string }
  /** Accepted but not final (ACH): a settlement or return event follows. */
  | { status: 'pending'; processorReference: string }
  | { status: 'declined'; code: string; hard: boolean; message: string; processorReference?: string | undefined }
  /** Timeout, lost response, 5xx, connection refused: the charge may or may not have happened. */
  | { status: 'unknown'; reason: string };

export type LookupOutcome = ChargeOutcome | { status: 'not_found' };

export interface RefundRequest {
  processorReference: string;
  amountCents: bigint;
  idempotencyKey: string;
  reason?: string | undefined;
}

export type RefundOutcome =
  /** `pending`: accepted but not final yet (an ACH refund, or a card refund Stripe reports as pending). */
  | { status: 'succeeded'; refundReference: string; pending?: boolean | undefined }
  | { status: 'failed'; code: string; message: string }
  | { status: 'unknown'; reason: string };

export type ProcessorEventType = 'payment.settled' | 'payment.returned' | 'payment.chargeback';

/** An asynchronous event from a processor, after its signature was verified. */
export interface ProcessorEvent {
  /** The processor's event id: the same event delivered twice has the same id. */
  id: string;
  type: ProcessorEventType;
  processorReference: string;
  idempotencyKey?: string | undefined;
  /** NACHA return code for `payment.returned`: R01 (NSF), R02, R03, R10, … */
  returnCode?: string | undefined;
  amountCents?: bigint | undefined;
  occurredAt: Date;
}

export class WebhookSignatureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookSignatureError';
  }
}

/**
 * A webhook whose signature is valid but that policypay does not act on (another event type, a
 * payment made outside policypay). The receiver answers 2xx so the processor stops redelivering.
 */
export class IgnoredWebhookEvent extends Error {
  readonly eventId: string;
  readonly eventType: string;
  constructor(eventId: string, eventType: string, reason: string) {
    super(`ignored ${eventType} event ${eventId}: ${reason}`);
    this.name = 'IgnoredWebhookEvent';
    this.eventId = eventId;
    this.eventType = eventType;
  }
}

export interface PaymentProcessor {
  /** 'sandbox' or 'stripe': stored with each payment method. */
  readonly name: string;
  /** Where a browser posts card or bank data to get a token (the portal's checkout), when there is one. */
  readonly tokenizeUrl?: string | undefined;
  describeToken(token: string): Promise<TokenDetails | undefined>;
  charge(request: ChargeRequest): Promise<ChargeOutcome>;
  /** What happened to the charge made with this idempotency key, if any. */
  lookup(idempotencyKey: string): Promise<LookupOutcome>;
  refund(request: RefundRequest): Promise<RefundOutcome>;
  /**
   * Verifies the signature (and freshness) of a webhook and parses it. Throws WebhookSignatureError
   * for a forged, stale or unsigned body (answer 400), and IgnoredWebhookEvent for a genuine event
   * policypay does not act on (answer 200).
   */
  parseWebhook(rawBody: string, headers: Readonly<Record<string, string | undefined>>): ProcessorEvent;
}

/** The processors this process can use, by name ('sandbox', 'stripe'). */
export type Processors = ReadonlyMap<string, PaymentProcessor>;
