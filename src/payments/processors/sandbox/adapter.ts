import { timingSafeEqual } from 'node:crypto';
import {
  type ChargeOutcome,
  type ChargeRequest,
  IgnoredWebhookEvent,
  type InstrumentFunding,
  type LookupOutcome,
  type PaymentProcessor,
  type ProcessorEvent,
  type ProcessorEventType,
  type RefundOutcome,
  type RefundRequest,
  type TokenDetails,
  WebhookSignatureError,
} from '../processor.ts';
import { computeSignature, parseSignatureHeader, SIGNATURE_HEADER } from './signature.ts';

export interface SandboxProcessorOptions {
  /** The sandbox's URL, e.g. http://127.0.0.1:4242 */
  baseUrl: string;
  webhookSecret: string;
  /** A request that takes longer is abandoned: `unknown` for a charge. */
  timeoutMs?: number;
  fetch?: typeof fetch;
  /** The receiver's clock for webhook freshness. */
  now?: () => Date;
  /** How old (or how far in the future) a webhook signature may be, in seconds (default 300). */
  toleranceSeconds?: number;
}

type Reply = { ok: true; status: number; body: unknown } | { ok: false; reason: string };

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const EVENT_TYPES: ReadonlySet<string> = new Set<ProcessorEventType>([
  'payment.settled',
  'payment.returned',
  'payment.chargeback',
]);

/**
 * policypay's client of the sandbox processor. Every outcome the network or the sandbox gives is a
 * value: a timeout, a lost response, a 5xx or an unreadable answer is `unknown`, never a decline.
 */
export class SandboxProcessor implements PaymentProcessor {
  readonly name = 'sandbox';
  readonly tokenizeUrl: string;
  private readonly baseUrl: string;
  private readonly webhookSecret: string;
  private readonly timeoutMs: number;
  private readonly fetch: typeof fetch;
  private readonly now: () => Date;
  private readonly toleranceSeconds: number;

  constructor(options: SandboxProcessorOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.tokenizeUrl = `${this.baseUrl}/v1/tokens`;
    this.webhookSecret = options.webhookSecret;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.fetch = options.fetch ?? globalThis.fetch;
    this.now = options.now ?? (() => new Date());
    this.toleranceSeconds = options.toleranceSeconds ?? 300;
  }

  async describeToken(token: string): Promise<TokenDetails | undefined> {
    const reply = await this.request('GET', `/v1/tokens/${encodeURIComponent(token)}`);
    if (!reply.ok) throw new Error(`the sandbox did not describe the token: ${reply.reason}`);
    if (reply.status === 404) return undefined;
    const body = reply.body;
    if (reply.status !== 200 || !isObject(body) || typeof body.token !== 'string' || typeof body.last4 !== 'string') {
      throw new Error(`the sandbox answered ${reply.status} to a token description`);
    }
    if (body.kind !== 'card' && body.kind !== 'ach') throw new Error('the sandbox described a token of unknown kind');
    const str = (v: unknown) => (typeof v === 'string' ? v : null);
    const num = (v: unknown) => (typeof v === 'number' ? v : null);
    return {
      token: body.token,
      kind: body.kind,
      brand: str(body.brand),
      funding: fundingOf(body.funding),
      last4: body.last4,
      expMonth: num(body.expMonth),
      expYear: num(body.expYear),
      bankName: str(body.bankName),
      holderName: str(body.holderName),
    };
  }

  async charge(request: ChargeRequest): Promise<ChargeOutcome> {
    const reply = await this.request(
      'POST',
      '/v1/charges',
      {
        token: request.token,
        amountCents: request.amountCents.toString(),
        currency: request.currency,
        description: request.description,
      },
      request.idempotencyKey,
    );
    if (!reply.ok) return { status: 'unknown', reason: reply.reason };
    const { status, body } = reply;
    if (status === 200) return chargeOutcome(body) ?? unreadable(status);
    const error = isObject(body) && isObject(body.error) ? body.error : undefined;
    if (status === 402 && error) {
      return {
        status: 'declined',
        code: typeof error.declineCode === 'string' ? error.declineCode : 'card_declined',
        hard: error.retryable !== true,
        message: typeof error.message === 'string' ? error.message : 'declined',
        processorReference: typeof error.charge === 'string' ? error.charge : undefined,
      };
    }
    // Nothing was charged for an invalid request (unknown token, bad amount): a hard decline. A key
    // reused with other parameters is a caller bug, and a charge may exist under that key: `lookup`
    // tells what it was.
    if (status === 400 && error && typeof error.code === 'string' && error.code !== 'idempotency_key_reused') {
      return {
        status: 'declined',
        code: error.code,
        hard: true,
        message: typeof error.message === 'string' ? error.message : 'invalid request',
      };
    }
    return { status: 'unknown', reason: `the sandbox answered ${status}${error ? ` (${String(error.code)})` : ''}` };
  }

  async lookup(idempotencyKey: string): Promise<LookupOutcome> {
    const reply = await this.request('GET', `/v1/charges?idempotency_key=${encodeURIComponent(idempotencyKey)}`);
    if (!reply.ok) return { status: 'unknown', reason: reply.reason };
    if (reply.status !== 200 || !isObject(reply.body) || !Array.isArray(reply.body.data))
      return unreadable(reply.status);
    const charge: unknown = reply.body.data[0];
    if (charge === undefined) return { status: 'not_found' };
    return chargeOutcome(charge) ?? unreadable(reply.status);
  }

  async refund(request: RefundRequest): Promise<RefundOutcome> {
    const reply = await this.request(
      'POST',
      '/v1/refunds',
      {
        charge: request.processorReference,
        amountCents: request.amountCents.toString(),
        ...(request.reason ? { reason: request.reason } : {}),
      },
      request.idempotencyKey,
    );
    if (!reply.ok) return { status: 'unknown', reason: reply.reason };
    const { status, body } = reply;
    if (status === 200 && isObject(body) && typeof body.id === 'string') {
      return { status: 'succeeded', refundReference: body.id };
    }
    const error = isObject(body) && isObject(body.error) ? body.error : undefined;
    if ((status === 400 || status === 404) && error && error.code !== 'idempotency_key_reused') {
      return {
        status: 'failed',
        code: String(error.code),
        message: typeof error.message === 'string' ? error.message : 'refused',
      };
    }
    return { status: 'unknown', reason: `the sandbox answered ${status}` };
  }

  parseWebhook(rawBody: string, headers: Readonly<Record<string, string | undefined>>): ProcessorEvent {
    const header = headerValue(headers, SIGNATURE_HEADER);
    if (!header) throw new WebhookSignatureError(`missing ${SIGNATURE_HEADER} header`);
    const parsed = parseSignatureHeader(header);
    if (!parsed) throw new WebhookSignatureError('malformed signature header');
    const age = Math.floor(this.now().getTime() / 1000) - parsed.timestamp;
    if (Math.abs(age) > this.toleranceSeconds) {
      throw new WebhookSignatureError(
        `signature timestamp is ${age} s away from now (tolerance ${this.toleranceSeconds} s)`,
      );
    }
    const expected = Buffer.from(computeSignature(this.webhookSecret, parsed.timestamp, rawBody), 'hex');
    const matches = parsed.signatures.some((signature) => {
      const given = Buffer.from(signature, 'hex');
      return given.length === expected.length && timingSafeEqual(given, expected);
    });
    if (!matches) throw new WebhookSignatureError('no signature matches the body');
    return sandboxEvent(rawBody);
  }

  private async request(method: 'GET' | 'POST', path: string, body?: Json, idempotencyKey?: string): Promise<Reply> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body) headers['content-type'] = 'application/json';
    if (idempotencyKey) headers['idempotency-key'] = idempotencyKey;
    try {
      const response = await this.fetch(`${this.baseUrl}${path}`, {
        method,
        headers,
        ...(body ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      const text = await response.text();
      let parsed: unknown;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        parsed = undefined;
      }
      return { ok: true, status: response.status, body: parsed };
    } catch (error) {
      const e = error as Error & { cause?: { code?: string; message?: string } };
      if (e.name === 'TimeoutError' || e.name === 'AbortError') {
        return { ok: false, reason: `no answer from the sandbox within ${this.timeoutMs} ms` };
      }
      const cause = e.cause?.code ?? e.cause?.message;
      return { ok: false, reason: `network error talking to the sandbox: ${e.message}${cause ? ` (${cause})` : ''}` };
    }
  }
}

function unreadable(status: number): ChargeOutcome {
  return { status: 'unknown', reason: `unreadable answer from the sandbox (${status})` };
}

/** A sandbox charge's current state as an outcome; undefined when the JSON is not a charge. */
function chargeOutcome(charge: unknown): ChargeOutcome | undefined {
  if (!isObject(charge) || typeof charge.id !== 'string') return undefined;
  const processorReference = charge.id;
  switch (charge.status) {
    case 'succeeded':
    case 'settled':
      return { status: 'succeeded', processorReference };
    case 'pending':
      return { status: 'pending', processorReference };
    case 'declined':
      return {
        status: 'declined',
        code: typeof charge.declineCode === 'string' ? charge.declineCode : 'card_declined',
        hard: charge.retryable !== true,
        message: typeof charge.declineMessage === 'string' ? charge.declineMessage : 'declined',
        processorReference,
      };
    case 'returned': {
      // An ACH debit returned at settlement never paid: a decline by its return code (R01 may be
      // presented again; the others are final).
      const code = typeof charge.returnCode === 'string' ? charge.returnCode : 'returned';
      return { status: 'declined', code, hard: code !== 'R01', message: `ACH return ${code}`, processorReference };
    }
    default:
      return undefined;
  }
}

function headerValue(headers: Readonly<Record<string, string | undefined>>, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name && value !== undefined) return value;
  }
  return undefined;
}

function sandboxEvent(rawBody: string): ProcessorEvent {
  let body: unknown;
  try {
    body = JSON.parse(rawBody);
  } catch {
    throw new Error('the sandbox signed a webhook that is not JSON');
  }
  if (!isObject(body) || typeof body.id !== 'string' || typeof body.type !== 'string' || !isObject(body.data)) {
    throw new Error('the sandbox signed a webhook that is not an event');
  }
  if (!EVENT_TYPES.has(body.type)) throw new IgnoredWebhookEvent(body.id, body.type, 'not a payment event');
  const { data } = body;
  const occurredAt = new Date(typeof body.createdAt === 'string' ? body.createdAt : Number.NaN);
  if (typeof data.charge !== 'string' || Number.isNaN(occurredAt.getTime())) {
    throw new Error('the sandbox signed an event without a charge or a time');
  }
  return {
    id: body.id,
    type: body.type as ProcessorEventType,
    processorReference: data.charge,
    idempotencyKey: typeof data.idempotencyKey === 'string' ? data.idempotencyKey : undefined,
    returnCode: typeof data.returnCode === 'string' ? data.returnCode : undefined,
    amountCents:
      typeof data.amountCents === 'string' && /^\d+$/.test(data.amountCents) ? BigInt(data.amountCents) : undefined,
    occurredAt,
  };
}

function fundingOf(value: unknown): InstrumentFunding | null {
  return value === 'credit' || value === 'debit' || value === 'prepaid' || value === 'unknown' ? value : null;
}
