/**
 * The seam between policypay and a card/ACH processor. Adapters never throw for an outcome the
 * processor (or the network) gave: a timeout, a lost response or a 5xx is `unknown`, never a
 * decline — the janitor asks `lookup` later, and the payment is never charged again blindly.
 * Amounts are integer minor units.
 */
export type InstrumentKind = 'card' | 'ach';

/** What a token stands for; card numbers and CVVs never leave the processor. */
export interface TokenDetails {
  token: string;
  kind: InstrumentKind;
  brand: string | null;
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
  | { status: 'succeeded'; refundReference: string }
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

export interface PaymentProcessor {
  /** 'sandbox' or 'stripe': stored with each payment method. */
  readonly name: string;
  describeToken(token: string): Promise<TokenDetails | undefined>;
  charge(request: ChargeRequest): Promise<ChargeOutcome>;
  /** What happened to the charge made with this idempotency key, if any. */
  lookup(idempotencyKey: string): Promise<LookupOutcome>;
  refund(request: RefundRequest): Promise<RefundOutcome>;
  /** Verifies the signature (and freshness) of a webhook and parses it; throws WebhookSignatureError. */
  parseWebhook(rawBody: string, headers: Readonly<Record<string, string | undefined>>): ProcessorEvent;
}
