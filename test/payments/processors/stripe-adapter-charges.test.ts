// The Stripe adapter against the fake Stripe: payment methods, charges, lookup and refunds.
// Webhooks, the code tables and the registry are in stripe-adapter-webhooks.test.ts.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { ChargeRequest } from '../../../src/payments/processors/processor.ts';
import { StripeProcessor } from '../../../src/payments/processors/stripe/adapter.ts';
import { FAKE_SECRET_KEY, type FakeStripe, startFakeStripe } from './fake-stripe.ts';
import { closedPort } from './helpers.ts';

const WEBHOOK_SECRET = 'whsec_fake_stripe_endpoint_secret';

let stripe: FakeStripe;
let processor: StripeProcessor;

before(async () => {
  stripe = await startFakeStripe();
  processor = adapter();
});
after(() => stripe.close());

function adapter(extra: Partial<ConstructorParameters<typeof StripeProcessor>[0]> = {}) {
  return new StripeProcessor({
    secretKey: FAKE_SECRET_KEY,
    webhookSecret: WEBHOOK_SECRET,
    apiBase: stripe.url,
    maxNetworkRetries: 1,
    timeoutMs: 2_000,
    ...extra,
  });
}

const chargeRequest = (token: string, extra: Partial<ChargeRequest> = {}): ChargeRequest => ({
  amountCents: 12_345n,
  currency: 'USD',
  token,
  idempotencyKey: `attempt-${randomUUID()}`,
  description: 'Invoice 1001',
  ...extra,
});

const createCalls = (key: string) =>
  stripe.requests.filter(
    (r) => r.method === 'POST' && r.path === '/v1/payment_intents' && r.headers['idempotency-key'] === key,
  );
const intentsFor = (key: string) =>
  [...stripe.intents.values()].filter((pi) => pi.metadata.policypay_idempotency_key === key);

describe('Stripe adapter: payment methods', () => {
  it('describes a card and a bank account PaymentMethod; unknown or unsupported is undefined', async () => {
    assert.deepEqual(await processor.describeToken('pm_card_visa'), {
      token: 'pm_card_visa',
      kind: 'card',
      brand: 'visa',
      funding: 'credit',
      last4: '4242',
      expMonth: 12,
      expYear: 2031,
      bankName: null,
      holderName: 'Dana Client',
    });
    assert.deepEqual(await processor.describeToken('pm_usBankAccount'), {
      token: 'pm_usBankAccount',
      kind: 'ach',
      brand: null,
      last4: '6789',
      expMonth: null,
      expYear: null,
      bankName: 'STRIPE TEST BANK',
      holderName: 'Dana Client',
    });
    assert.equal((await processor.describeToken('pm_card_visa_debit'))?.funding, 'debit');
    assert.equal(await processor.describeToken('pm_missing'), undefined);
    assert.equal(await processor.describeToken('pm_sepa'), undefined);
    await assert.rejects(
      adapter({ secretKey: 'sk_test_wrong' }).describeToken('pm_card_visa'),
      /StripeAuthenticationError 401/,
    );
  });
});

describe('Stripe adapter: charges', () => {
  it('creates a confirmed off-session PaymentIntent with the idempotency key, header and metadata', async () => {
    const request = chargeRequest('pm_card_visa');
    const outcome = await processor.charge(request);
    const [intent] = intentsFor(request.idempotencyKey);
    assert.deepEqual(outcome, { status: 'succeeded', processorReference: intent!.id });
    const [call] = createCalls(request.idempotencyKey);
    assert.equal(call?.headers.authorization, `Bearer ${FAKE_SECRET_KEY}`);
    assert.ok(call?.headers['stripe-version']);
    assert.deepEqual(call?.form, {
      amount: '12345',
      currency: 'usd',
      payment_method: 'pm_card_visa',
      customer: 'cus_fake',
      confirm: 'true',
      off_session: 'true',
      'allowed_payment_method_types[0]': 'card',
      description: 'Invoice 1001',
      'metadata[policypay_idempotency_key]': request.idempotencyKey,
      'metadata[policypay_kind]': 'card',
    });
  });

  it('leaves the customer out for a PaymentMethod attached to none', async () => {
    const request = chargeRequest('pm_card_visa_unattached');
    assert.equal((await processor.charge(request)).status, 'succeeded');
    assert.equal(createCalls(request.idempotencyKey)[0]?.form.customer, undefined);
  });

  it('an ACH debit is pending (processing) until Stripe says it settled', async () => {
    const request = chargeRequest('pm_usBankAccount');
    const outcome = await processor.charge(request);
    assert.equal(outcome.status, 'pending');
    const form = createCalls(request.idempotencyKey)[0]?.form;
    assert.equal(form?.['allowed_payment_method_types[0]'], 'us_bank_account');
    assert.equal(form?.['metadata[policypay_kind]'], 'ach');
    assert.deepEqual(await processor.lookup(request.idempotencyKey), outcome);
  });

  it('maps card errors to declines, soft or hard, naming the PaymentIntent', async () => {
    const soft = chargeRequest('pm_card_chargeDeclinedInsufficientFunds');
    const softOutcome = await processor.charge(soft);
    const softIntent = intentsFor(soft.idempotencyKey)[0]!;
    assert.deepEqual(softOutcome, {
      status: 'declined',
      code: 'insufficient_funds',
      hard: false,
      message: 'Your card has insufficient funds.',
      processorReference: softIntent.id,
    });
    // The declined PaymentIntent looks up the same way.
    assert.deepEqual(await processor.lookup(soft.idempotencyKey), softOutcome);

    const stolen = await processor.charge(chargeRequest('pm_card_chargeDeclinedStolenCard'));
    assert.ok(stolen.status === 'declined' && stolen.code === 'stolen_card' && stolen.hard);
    const auth = await processor.charge(chargeRequest('pm_card_authenticationRequired'));
    assert.ok(auth.status === 'declined' && auth.code === 'authentication_required' && auth.hard);
  });

  it('the same idempotency key creates one PaymentIntent; other parameters under it are unknown', async () => {
    const request = chargeRequest('pm_card_visa');
    const first = await processor.charge(request);
    const second = await processor.charge(request);
    assert.deepEqual(second, first);
    assert.equal(intentsFor(request.idempotencyKey).length, 1);
    assert.equal(createCalls(request.idempotencyKey).length, 2);

    const reused = await processor.charge({ ...request, amountCents: 999n });
    assert.equal(reused.status, 'unknown');
    assert.ok(reused.status === 'unknown' && /StripeIdempotencyError/.test(reused.reason));
    assert.equal(intentsFor(request.idempotencyKey).length, 1);
    assert.deepEqual(await processor.lookup(request.idempotencyKey), first);
  });

  it('5xx is unknown after the SDK retried with the same key; nothing was created', async () => {
    const request = chargeRequest('pm_card_fail500');
    const outcome = await processor.charge(request);
    assert.ok(outcome.status === 'unknown' && /StripeAPIError 500/.test(outcome.reason));
    assert.equal(createCalls(request.idempotencyKey).length, 2);
    assert.deepEqual(await processor.lookup(request.idempotencyKey), { status: 'not_found' });
  });

  it('429 and a wrong API key are unknown, never declines', async () => {
    const limited = await adapter({ maxNetworkRetries: 0 }).charge(chargeRequest('pm_card_rateLimited'));
    assert.ok(limited.status === 'unknown' && /RateLimit/.test(limited.reason));
    const unauthorized = await adapter({ secretKey: 'sk_test_wrong' }).charge(chargeRequest('pm_card_visa'));
    assert.ok(unauthorized.status === 'unknown' && /Authentication/.test(unauthorized.reason));
  });

  it('a timeout is unknown', async () => {
    const request = chargeRequest('pm_card_hang');
    // The fake Stripe never answers pm_card_hang: only the client's 300 ms timeout can end the call.
    const outcome = await adapter({ timeoutMs: 300, maxNetworkRetries: 0 }).charge(request);
    assert.ok(outcome.status === 'unknown' && /StripeConnectionError/.test(outcome.reason), JSON.stringify(outcome));
  });

  it('a refused connection is unknown', async () => {
    const down = new StripeProcessor({
      secretKey: FAKE_SECRET_KEY,
      apiBase: `http://127.0.0.1:${await closedPort()}`,
      maxNetworkRetries: 0,
    });
    assert.equal((await down.charge(chargeRequest('pm_card_visa'))).status, 'unknown');
    assert.equal((await down.lookup('k')).status, 'unknown');
    assert.equal(
      (await down.refund({ processorReference: 'pi_x', amountCents: 1n, idempotencyKey: 'r' })).status,
      'unknown',
    );
  });

  it('a response lost once is healed by the SDK retrying with the same key: one PaymentIntent', async () => {
    const request = chargeRequest('pm_card_lostResponseOnce');
    const outcome = await adapter({ maxNetworkRetries: 0 }).charge(request);
    assert.equal(outcome.status, 'succeeded');
    assert.equal(createCalls(request.idempotencyKey).length, 2);
    assert.equal(intentsFor(request.idempotencyKey).length, 1);
  });

  it('a response always lost is unknown; lookup finds the one PaymentIntent', async () => {
    const request = chargeRequest('pm_card_lostResponseAlways');
    const outcome = await processor.charge(request);
    assert.equal(outcome.status, 'unknown');
    const [intent, ...others] = intentsFor(request.idempotencyKey);
    assert.equal(others.length, 0);
    assert.deepEqual(await processor.lookup(request.idempotencyKey), {
      status: 'succeeded',
      processorReference: intent!.id,
    });
  });

  it('invalid requests decline hard without charging', async () => {
    const small = await processor.charge(chargeRequest('pm_card_visa', { amountCents: 10n }));
    assert.ok(small.status === 'declined' && small.code === 'amount_too_small' && small.hard);
    const before = stripe.requests.length;
    const zero = await processor.charge(chargeRequest('pm_card_visa', { amountCents: 0n }));
    assert.ok(zero.status === 'declined' && zero.code === 'invalid_amount');
    assert.equal(stripe.requests.length, before);
    const missing = await processor.charge(chargeRequest('pm_missing'));
    assert.ok(missing.status === 'declined' && missing.code === 'invalid_payment_method' && missing.hard);
    const sepa = await processor.charge(chargeRequest('pm_sepa'));
    assert.ok(sepa.status === 'declined' && sepa.code === 'unsupported_payment_method');
  });
});

describe('Stripe adapter: lookup', () => {
  it('is not_found only when neither search nor the recent list knows the key', async () => {
    assert.deepEqual(await processor.lookup(`attempt-${randomUUID()}`), { status: 'not_found' });
    const searches = stripe.requests.filter((r) => r.path === '/v1/payment_intents/search');
    assert.match(searches.at(-1)?.query.get('query') ?? '', /^metadata\['policypay_idempotency_key'\]:'attempt-/);
  });

  it('finds a fresh PaymentIntent search has not indexed yet by listing recent ones', async () => {
    const request = chargeRequest('pm_card_visa');
    const outcome = await processor.charge(request);
    stripe.searchLagging = true;
    try {
      assert.deepEqual(await processor.lookup(request.idempotencyKey), outcome);
      const list = stripe.requests.filter((r) => r.method === 'GET' && r.path === '/v1/payment_intents').at(-1);
      assert.ok(Number(list?.query.get('created[gte]')) <= Math.floor(Date.now() / 1000) - 3_599);
    } finally {
      stripe.searchLagging = false;
    }
  });

  it('is unknown when too many recent PaymentIntents hide whether the key exists', async () => {
    const crowded = await startFakeStripe();
    try {
      crowded.addForeignIntents(1_001);
      crowded.searchLagging = true;
      const client = new StripeProcessor({ secretKey: FAKE_SECRET_KEY, apiBase: crowded.url });
      const outcome = await client.lookup('attempt-unseen');
      assert.ok(outcome.status === 'unknown' && /too many/.test(outcome.reason));
      assert.equal(crowded.requests.filter((r) => r.path === '/v1/payment_intents').length, 10);
    } finally {
      await crowded.close();
    }
  });

  it('escapes quotes in the key', async () => {
    const key = "attempt-'quoted'\\";
    const outcome = await processor.charge(chargeRequest('pm_card_visa', { idempotencyKey: key }));
    assert.deepEqual(await processor.lookup(key), outcome);
  });
});

describe('Stripe adapter: refunds', () => {
  it('refunds with the idempotency key; an over-refund or unknown PaymentIntent fails', async () => {
    const charge = await processor.charge(chargeRequest('pm_card_visa'));
    const processorReference = charge.status === 'succeeded' ? charge.processorReference : '';
    const request = {
      processorReference,
      amountCents: 10_000n,
      idempotencyKey: `refund-${randomUUID()}`,
      reason: 'policy cancelled',
    };
    const refunded = await processor.refund(request);
    assert.equal(refunded.status, 'succeeded');
    assert.deepEqual(await processor.refund(request), refunded);
    const calls = stripe.requests.filter(
      (r) => r.path === '/v1/refunds' && r.headers['idempotency-key'] === request.idempotencyKey,
    );
    assert.equal(calls.length, 2);
    assert.deepEqual(calls[0]?.form, {
      payment_intent: processorReference,
      amount: '10000',
      'metadata[policypay_idempotency_key]': request.idempotencyKey,
      'metadata[policypay_reason]': 'policy cancelled',
    });
    assert.equal([...stripe.refunds.values()].filter((r) => r.payment_intent === processorReference).length, 1);

    const over = await processor.refund({ processorReference, amountCents: 2_346n, idempotencyKey: randomUUID() });
    assert.ok(over.status === 'failed' && over.code === 'amount_too_large');
    const none = await processor.refund({
      processorReference: 'pi_nope',
      amountCents: 1n,
      idempotencyKey: randomUUID(),
    });
    assert.ok(none.status === 'failed' && none.code === 'resource_missing');
  });

  it('an ACH refund is accepted as pending', async () => {
    const charge = await processor.charge(chargeRequest('pm_usBankAccount'));
    const processorReference = charge.status === 'pending' ? charge.processorReference : '';
    Object.assign(stripe.intents.get(processorReference)!, { status: 'succeeded', amount_received: 12_345 });
    const refunded = await processor.refund({ processorReference, amountCents: 100n, idempotencyKey: randomUUID() });
    assert.ok(refunded.status === 'succeeded' && refunded.pending === true);
  });
});
