// Stripe webhooks as processor events, the decline and return code tables, and the processor registry.
import assert from 'node:assert/strict';
import { createHmac, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createProcessors } from '../../../src/payments/processor-registry.ts';
import { IgnoredWebhookEvent, WebhookSignatureError } from '../../../src/payments/processors/processor.ts';
import { SandboxProcessor } from '../../../src/payments/processors/sandbox/adapter.ts';
import { StripeProcessor } from '../../../src/payments/processors/stripe/adapter.ts';
import { achReturnCode, isHardDecline } from '../../../src/payments/processors/stripe/codes.ts';
import { FAKE_SECRET_KEY, type FakeStripe, startFakeStripe } from './fake-stripe.ts';

const WEBHOOK_SECRET = 'whsec_fake_stripe_endpoint_secret';

let stripe: FakeStripe;

before(async () => {
  stripe = await startFakeStripe();
});
after(() => stripe.close());

describe('Stripe adapter: webhooks', () => {
  const now = new Date('2026-11-21T15:00:00Z');
  const t = Math.floor(now.getTime() / 1000);
  const receiver = (at = now) =>
    new StripeProcessor({
      secretKey: FAKE_SECRET_KEY,
      webhookSecret: WEBHOOK_SECRET,
      apiBase: stripe.url,
      now: () => at,
    });
  /** Stripe's scheme, computed here: HMAC-SHA256 of "<t>.<payload>" keyed by the endpoint secret. */
  const sign = (payload: string, timestamp = t, secret = WEBHOOK_SECRET) =>
    `t=${timestamp},v1=${createHmac('sha256', secret).update(`${timestamp}.${payload}`).digest('hex')}`;
  const event = (type: string, object: Record<string, unknown>, id = `evt_${randomUUID().slice(0, 8)}`) =>
    JSON.stringify({
      id,
      object: 'event',
      api_version: '2026-10-28.endive',
      created: t - 30,
      data: { object },
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      type,
    });
  const intent = (status: string, kind: string | undefined, extra: Record<string, unknown> = {}) => ({
    id: 'pi_ach_1',
    object: 'payment_intent',
    amount: 50_000,
    amount_received: status === 'succeeded' ? 50_000 : 0,
    currency: 'usd',
    status,
    metadata: kind ? { policypay_idempotency_key: 'attempt-9', policypay_kind: kind } : {},
    last_payment_error: null,
    ...extra,
  });
  const parse = (payload: string, header = sign(payload), at = now) =>
    receiver(at).parseWebhook(payload, { 'stripe-signature': header });

  it('payment_intent.succeeded for ACH is a settlement', () => {
    const payload = event('payment_intent.succeeded', intent('succeeded', 'ach'), 'evt_settled');
    assert.deepEqual(parse(payload), {
      id: 'evt_settled',
      type: 'payment.settled',
      processorReference: 'pi_ach_1',
      idempotencyKey: 'attempt-9',
      amountCents: 50_000n,
      occurredAt: new Date((t - 30) * 1000),
    });
  });

  for (const [stripeCode, returnCode] of [
    ['insufficient_funds', 'R01'],
    ['account_closed', 'R02'],
    ['no_account', 'R03'],
    ['debit_not_authorized', 'R10'],
  ] as const) {
    it(`an ACH failure ${stripeCode} is a return ${returnCode}`, () => {
      const failed = intent('requires_payment_method', 'ach', {
        last_payment_error: { type: 'invalid_request_error', code: stripeCode, message: 'The debit failed.' },
      });
      const parsed = parse(event('payment_intent.payment_failed', failed));
      assert.deepEqual(
        {
          type: parsed.type,
          returnCode: parsed.returnCode,
          ref: parsed.processorReference,
          key: parsed.idempotencyKey,
        },
        { type: 'payment.returned', returnCode, ref: 'pi_ach_1', key: 'attempt-9' },
      );
    });
  }

  it('charge.dispute.created is a chargeback of the PaymentIntent', () => {
    const dispute = {
      id: 'dp_1',
      object: 'dispute',
      amount: 12_345,
      charge: 'ch_1',
      payment_intent: 'pi_card_1',
      reason: 'fraudulent',
      status: 'needs_response',
      currency: 'usd',
    };
    const parsed = parse(event('charge.dispute.created', dispute, 'evt_dispute'));
    assert.deepEqual(parsed, {
      id: 'evt_dispute',
      type: 'payment.chargeback',
      processorReference: 'pi_card_1',
      amountCents: 12_345n,
      occurredAt: new Date((t - 30) * 1000),
    });
  });

  it('ignores card successes, PaymentIntents policypay did not make and other event types', () => {
    const ignored = (payload: string) =>
      assert.throws(
        () => parse(payload),
        (error: unknown) => error instanceof IgnoredWebhookEvent,
      );
    ignored(event('payment_intent.succeeded', intent('succeeded', 'card')));
    ignored(event('payment_intent.succeeded', intent('succeeded', undefined)));
    ignored(event('customer.created', { id: 'cus_1', object: 'customer' }));
    ignored(
      event('charge.dispute.created', {
        id: 'dp_2',
        object: 'dispute',
        amount: 1,
        charge: 'ch_2',
        payment_intent: null,
      }),
    );
  });

  it('rejects forged, stale, future, tampered and unsigned webhooks', () => {
    const payload = event('payment_intent.succeeded', intent('succeeded', 'ach'));
    const rejected = (run: () => unknown, name: string) =>
      assert.throws(run, (error: unknown) => error instanceof WebhookSignatureError, name);
    rejected(() => parse(payload, sign(payload, t, 'whsec_forged')), 'forged');
    rejected(() => parse(payload, sign(payload), new Date(now.getTime() + 301_000)), 'stale');
    rejected(() => parse(payload, sign(payload, t + 301)), 'future');
    rejected(() => parse(payload.replace('50000', '90000'), sign(payload)), 'tampered');
    rejected(() => receiver().parseWebhook(payload, {}), 'unsigned');
    rejected(() => parse(payload, 'garbage'), 'malformed');
    const noSecret = new StripeProcessor({ secretKey: FAKE_SECRET_KEY, apiBase: stripe.url, now: () => now });
    rejected(() => noSecret.parseWebhook(payload, { 'stripe-signature': sign(payload) }), 'no secret');
    // Within tolerance it passes.
    assert.equal(parse(payload, sign(payload), new Date(now.getTime() + 299_000)).type, 'payment.settled');
  });
});

describe('decline and return code tables', () => {
  it('classifies decline codes and advice codes', () => {
    assert.equal(isHardDecline('insufficient_funds'), false);
    assert.equal(isHardDecline('generic_decline'), false);
    assert.equal(isHardDecline('stolen_card'), true);
    assert.equal(isHardDecline('expired_card'), true);
    assert.equal(isHardDecline('generic_decline', 'do_not_try_again'), true);
    assert.equal(isHardDecline('stolen_card', 'try_again_later'), false);
    assert.equal(achReturnCode('account_closed'), 'R02');
    assert.equal(achReturnCode('R16'), 'R16');
    assert.equal(achReturnCode('bank_account_restricted'), undefined);
  });
});

describe('processor registry', () => {
  it('has the sandbox without a Stripe key, and only Stripe with one', () => {
    const sandboxOnly = createProcessors({ sandboxWebhookSecret: 'whsec_x' });
    assert.deepEqual([...sandboxOnly.keys()], ['sandbox']);
    assert.ok(sandboxOnly.get('sandbox') instanceof SandboxProcessor);
    const live = createProcessors({
      sandboxWebhookSecret: 'whsec_x',
      stripeSecretKey: FAKE_SECRET_KEY,
      stripeApiBase: stripe.url,
    });
    assert.deepEqual([...live.keys()], ['stripe'], 'the sandbox is not accepted beside a production processor');
    assert.equal(live.get('stripe')?.name, 'stripe');
    assert.throws(
      () =>
        createProcessors({ processor: 'sandbox', sandboxWebhookSecret: 'whsec_x', stripeSecretKey: FAKE_SECRET_KEY }),
      /never runs beside a production processor/,
    );
    assert.throws(
      () => createProcessors({ processor: 'stripe', sandboxWebhookSecret: 'whsec_x' }),
      /needs STRIPE_SECRET_KEY/,
    );
  });
});
