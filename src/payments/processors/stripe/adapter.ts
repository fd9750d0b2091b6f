import Stripe from 'stripe';
import {
  type ChargeOutcome,
  type ChargeRequest,
  type InstrumentKind,
  type LookupOutcome,
  type PaymentProcessor,
  type ProcessorEvent,
  type RefundOutcome,
  type RefundRequest,
  type TokenDetails,
  WebhookSignatureError,
} from '../processor.ts';
import { headerValue, stripeEvent } from './events.ts';
import {
  chargeError,
  describeStripeError,
  IDEMPOTENCY_METADATA_KEY,
  intentOutcome,
  KIND_METADATA_KEY,
  rank,
} from './outcomes.ts';

export interface StripeProcessorOptions {
  /** `STRIPE_SECRET_KEY` (sk_test_… / sk_live_… / rk_…). */
  secretKey: string;
  /** The endpoint's signing secret (whsec_…); without it every webhook is refused. */
  webhookSecret?: string | undefined;
  /** Another API base, e.g. http://127.0.0.1:12111 for a local fake; default https://api.stripe.com. */
  apiBase?: string | undefined;
  /** Per request; a charge that takes longer is `unknown` (default 30 s). */
  timeoutMs?: number;
  /** The SDK's retries of connection errors, 409 and 5xx, always with the same idempotency key (default 2). */
  maxNetworkRetries?: number;
  now?: () => Date;
  /** Webhook signature tolerance in seconds (default 300). */
  toleranceSeconds?: number;
  /** `lookup` also lists the PaymentIntents created this recently, which search may not index yet (default 1 h). */
  recentLookupWindowMs?: number;
}

/** Pages of recent PaymentIntents `lookup` lists before it gives up on being sure. */
const LIST_PAGE_LIMIT = 10;

/**
 * policypay's Stripe adapter: a saved PaymentMethod (`pm_…`, attached to a Customer or not) is the
 * token; a charge is a PaymentIntent created with `confirm: true, off_session: true` and
 * policypay's idempotency key (also stored in metadata, which is how `lookup` finds it).
 */
export class StripeProcessor implements PaymentProcessor {
  readonly name = 'stripe';
  private readonly stripe: Stripe;
  private readonly webhookSecret: string | undefined;
  private readonly now: () => Date;
  private readonly toleranceSeconds: number;
  private readonly recentLookupWindowMs: number;

  constructor(options: StripeProcessorOptions) {
    if (!options.secretKey) throw new Error('the Stripe adapter needs a secret key');
    const base = options.apiBase ? new URL(options.apiBase) : undefined;
    if (base && base.protocol !== 'http:' && base.protocol !== 'https:') throw new Error('apiBase must be http(s)');
    this.stripe = new Stripe(options.secretKey, {
      timeout: options.timeoutMs ?? 30_000,
      maxNetworkRetries: options.maxNetworkRetries ?? 2,
      telemetry: false,
      appInfo: { name: 'policypay' },
      ...(base
        ? {
            host: base.hostname,
            port: base.port || (base.protocol === 'http:' ? 80 : 443),
            protocol: base.protocol === 'http:' ? 'http' : 'https',
          }
        : {}),
    });
    this.webhookSecret = options.webhookSecret;
    this.now = options.now ?? (() => new Date());
    this.toleranceSeconds = options.toleranceSeconds ?? 300;
    this.recentLookupWindowMs = options.recentLookupWindowMs ?? 3_600_000;
  }

  async describeToken(token: string): Promise<TokenDetails | undefined> {
    let pm: Stripe.PaymentMethod;
    try {
      pm = await this.stripe.paymentMethods.retrieve(token);
    } catch (error) {
      if (error instanceof Stripe.errors.StripeInvalidRequestError && error.statusCode === 404) return undefined;
      throw new Error(`Stripe did not describe the payment method: ${describeStripeError(error)}`);
    }
    const holderName = pm.billing_details?.name ?? null;
    if (pm.type === 'card' && pm.card) {
      return {
        token: pm.id,
        kind: 'card',
        brand: pm.card.brand,
        funding:
          pm.card.funding === 'credit' || pm.card.funding === 'debit' || pm.card.funding === 'prepaid'
            ? pm.card.funding
            : 'unknown',
        last4: pm.card.last4,
        expMonth: pm.card.exp_month,
        expYear: pm.card.exp_year,
        bankName: null,
        holderName,
      };
    }
    if (pm.type === 'us_bank_account' && pm.us_bank_account) {
      return {
        token: pm.id,
        kind: 'ach',
        brand: null,
        last4: pm.us_bank_account.last4 ?? '',
        expMonth: null,
        expYear: null,
        bankName: pm.us_bank_account.bank_name ?? null,
        holderName,
      };
    }
    return undefined;
  }

  async charge(request: ChargeRequest): Promise<ChargeOutcome> {
    if (request.amountCents <= 0n || request.amountCents > BigInt(Number.MAX_SAFE_INTEGER)) {
      return { status: 'declined', code: 'invalid_amount', hard: true, message: 'the amount is out of range' };
    }
    // The PaymentMethod tells its kind (card or ACH) and its Customer, which Stripe requires with
    // an attached PaymentMethod. Nothing is charged yet: a failure here is a retryable unknown.
    let pm: Stripe.PaymentMethod;
    try {
      pm = await this.stripe.paymentMethods.retrieve(request.token);
    } catch (error) {
      if (error instanceof Stripe.errors.StripeInvalidRequestError && error.statusCode === 404) {
        return { status: 'declined', code: 'invalid_payment_method', hard: true, message: 'no such payment method' };
      }
      return { status: 'unknown', reason: `retrieving the payment method: ${describeStripeError(error)}` };
    }
    const kind: InstrumentKind | undefined =
      pm.type === 'card' ? 'card' : pm.type === 'us_bank_account' ? 'ach' : undefined;
    if (!kind) {
      return {
        status: 'declined',
        code: 'unsupported_payment_method',
        hard: true,
        message: `a ${pm.type} is not supported`,
      };
    }
    const customer = typeof pm.customer === 'string' ? pm.customer : (pm.customer?.id ?? undefined);
    try {
      const intent = await this.stripe.paymentIntents.create(
        {
          amount: Number(request.amountCents),
          currency: request.currency.toLowerCase(),
          payment_method: pm.id,
          ...(customer ? { customer } : {}),
          confirm: true,
          off_session: true,
          allowed_payment_method_types: [pm.type as Stripe.PaymentIntentCreateParams.AllowedPaymentMethodType],
          description: request.description,
          metadata: { [IDEMPOTENCY_METADATA_KEY]: request.idempotencyKey, [KIND_METADATA_KEY]: kind },
        },
        { idempotencyKey: request.idempotencyKey },
      );
      return intentOutcome(intent);
    } catch (error) {
      return chargeError(error);
    }
  }

  /**
   * Finds the PaymentIntent by its metadata: Search covers all history but may lag behind writes
   * (Stripe: "usually under a minute"), so when it finds nothing, the PaymentIntents created in the
   * recent window are listed (strongly consistent) too. `not_found` only when both are sure.
   */
  async lookup(idempotencyKey: string): Promise<LookupOutcome> {
    try {
      const escaped = idempotencyKey.replace(/\\/g, '\\\\').replace(/'/g, "\\'");
      const found = await this.stripe.paymentIntents.search({
        query: `metadata['${IDEMPOTENCY_METADATA_KEY}']:'${escaped}'`,
        limit: 10,
      });
      let intents = found.data.filter((pi) => pi.metadata?.[IDEMPOTENCY_METADATA_KEY] === idempotencyKey);
      if (intents.length === 0) {
        const recent = await this.recentIntents(idempotencyKey);
        if (recent === undefined) {
          return { status: 'unknown', reason: 'too many recent PaymentIntents to be sure none has this key' };
        }
        intents = recent;
      }
      const best = intents.sort((a, b) => rank(b) - rank(a))[0];
      return best ? intentOutcome(best) : { status: 'not_found' };
    } catch (error) {
      return { status: 'unknown', reason: `looking up the PaymentIntent: ${describeStripeError(error)}` };
    }
  }

  private async recentIntents(idempotencyKey: string): Promise<Stripe.PaymentIntent[] | undefined> {
    const since = Math.floor((this.now().getTime() - this.recentLookupWindowMs) / 1000);
    const matches: Stripe.PaymentIntent[] = [];
    let startingAfter: string | undefined;
    for (let page = 0; page < LIST_PAGE_LIMIT; page++) {
      const list = await this.stripe.paymentIntents.list({
        created: { gte: since },
        limit: 100,
        ...(startingAfter ? { starting_after: startingAfter } : {}),
      });
      matches.push(...list.data.filter((pi) => pi.metadata?.[IDEMPOTENCY_METADATA_KEY] === idempotencyKey));
      if (!list.has_more || list.data.length === 0) return matches;
      startingAfter = list.data[list.data.length - 1]!.id;
    }
    return matches.length > 0 ? matches : undefined;
  }

  async refund(request: RefundRequest): Promise<RefundOutcome> {
    if (request.amountCents <= 0n || request.amountCents > BigInt(Number.MAX_SAFE_INTEGER)) {
      return { status: 'failed', code: 'invalid_amount', message: 'the amount is out of range' };
    }
    try {
      const refund = await this.stripe.refunds.create(
        {
          payment_intent: request.processorReference,
          amount: Number(request.amountCents),
          metadata: {
            [IDEMPOTENCY_METADATA_KEY]: request.idempotencyKey,
            ...(request.reason ? { policypay_reason: request.reason.slice(0, 500) } : {}),
          },
        },
        { idempotencyKey: request.idempotencyKey },
      );
      if (refund.status === 'failed' || refund.status === 'canceled') {
        return {
          status: 'failed',
          code: refund.failure_reason ?? refund.status,
          message: `the refund ${refund.status}`,
        };
      }
      if (refund.status === 'succeeded') return { status: 'succeeded', refundReference: refund.id };
      return { status: 'succeeded', refundReference: refund.id, pending: true };
    } catch (error) {
      if (error instanceof Stripe.errors.StripeInvalidRequestError) {
        return { status: 'failed', code: error.code ?? 'invalid_request', message: error.message };
      }
      return { status: 'unknown', reason: describeStripeError(error) };
    }
  }

  parseWebhook(rawBody: string, headers: Readonly<Record<string, string | undefined>>): ProcessorEvent {
    if (!this.webhookSecret) throw new WebhookSignatureError('no Stripe webhook secret is configured');
    const header = headerValue(headers, 'stripe-signature');
    if (!header) throw new WebhookSignatureError('missing Stripe-Signature header');
    // The SDK refuses old signatures; refuse ones from the future as well.
    const timestamp = /(?:^|,)\s*t=(\d{1,12})(?:,|$)/.exec(header)?.[1];
    const nowMs = this.now().getTime();
    if (timestamp && Number(timestamp) - Math.floor(nowMs / 1000) > this.toleranceSeconds) {
      throw new WebhookSignatureError('signature timestamp is in the future');
    }
    let event: Stripe.Event;
    try {
      event = this.stripe.webhooks.constructEvent(
        rawBody,
        header,
        this.webhookSecret,
        this.toleranceSeconds,
        undefined,
        nowMs,
      );
    } catch (error) {
      if (error instanceof Stripe.errors.StripeSignatureVerificationError) {
        throw new WebhookSignatureError(error.message);
      }
      throw error;
    }
    return stripeEvent(event);
  }
}
