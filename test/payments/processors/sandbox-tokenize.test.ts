// The sandbox's tokenize endpoint and its state file; charges, ACH and refunds are in sandbox-charges.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SandboxProcessor } from '../../../src/payments/processors/sandbox/adapter.ts';
import { type Sandbox, startSandbox } from '../../../src/payments/processors/sandbox/server.ts';
import {
  ACH_SETTLES,
  CARD_DEBIT,
  CARD_PREPAID,
  CARD_SUCCEEDS,
  CARD_SUCCEEDS_AMEX,
  CARD_SUCCEEDS_MASTERCARD,
} from '../../../src/payments/processors/sandbox/test-numbers.ts';
import { achToken, cardToken, chargeRequest, post, tokenizeAch, tokenizeCard } from './helpers.ts';

const SECRET = 'whsec_sandbox_test_secret';

let sandbox: Sandbox;
let processor: SandboxProcessor;

before(async () => {
  sandbox = await startSandbox({ webhookSecret: SECRET });
  processor = new SandboxProcessor({ baseUrl: sandbox.url, webhookSecret: SECRET, timeoutMs: 2_000 });
});
after(() => sandbox.close());

describe('sandbox tokenize', () => {
  it('keeps brand, last 4 and expiry, never the number or the CVC', async () => {
    const { status, body } = await tokenizeCard(sandbox.url, CARD_SUCCEEDS, { cvc: '987' });
    assert.equal(status, 200);
    assert.match(body.token, /^tok_[A-Za-z]{24}$/);
    assert.deepEqual(
      { kind: body.kind, brand: body.brand, last4: body.last4, expMonth: body.expMonth, holderName: body.holderName },
      { kind: 'card', brand: 'visa', last4: '4242', expMonth: 12, holderName: 'Dana Client' },
    );
    const stored = JSON.stringify({ body, charges: sandbox.charges(), events: sandbox.events() });
    assert.ok(!stored.includes(CARD_SUCCEEDS) && !stored.includes('987'));

    const details = await processor.describeToken(body.token);
    assert.deepEqual(details, {
      token: body.token,
      kind: 'card',
      brand: 'visa',
      funding: 'credit',
      last4: '4242',
      expMonth: 12,
      expYear: body.expYear,
      bankName: null,
      holderName: 'Dana Client',
    });
    assert.equal(await processor.describeToken('tok_doesNotExist'), undefined);
  });

  it('reports the funding of the test cards, as Stripe does: debit and prepaid ones, else credit', async () => {
    for (const [number, funding] of [
      [CARD_DEBIT, 'debit'],
      [CARD_PREPAID, 'prepaid'],
      [CARD_SUCCEEDS_MASTERCARD, 'credit'],
    ] as const) {
      const { body } = await tokenizeCard(sandbox.url, number);
      assert.equal(body.funding, funding, number);
      assert.equal((await processor.describeToken(body.token))?.funding, funding, number);
    }
  });

  it('knows the brands of the test cards (Amex takes a 4-digit CVC)', async () => {
    assert.equal((await tokenizeCard(sandbox.url, CARD_SUCCEEDS_MASTERCARD)).body.brand, 'mastercard');
    assert.equal((await tokenizeCard(sandbox.url, CARD_SUCCEEDS_AMEX)).body.brand, 'amex');
    const wrongCvc = await tokenizeCard(sandbox.url, CARD_SUCCEEDS_AMEX, { cvc: '123' });
    assert.equal(wrongCvc.status, 400);
    assert.equal(wrongCvc.body.error.code, 'invalid_cvc');
  });

  it('refuses invalid cards without echoing what was sent', async () => {
    const badNumber = '4242424242424241';
    const bad = await tokenizeCard(sandbox.url, badNumber);
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'incorrect_number');
    assert.equal(bad.body.error.param, 'number');
    assert.ok(!JSON.stringify(bad.body).includes(badNumber));

    const expired = await tokenizeCard(sandbox.url, CARD_SUCCEEDS, { expYear: 2020 });
    assert.equal(expired.body.error.code, 'expired_card');
    const month = await tokenizeCard(sandbox.url, CARD_SUCCEEDS, { expMonth: 13 });
    assert.equal(month.body.error.code, 'invalid_expiry_month');
    const kind = await post(`${sandbox.url}/v1/tokens`, { kind: 'crypto' });
    assert.equal(kind.status, 400);
    const json = await fetch(`${sandbox.url}/v1/tokens`, { method: 'POST', body: `{"number":"${CARD_SUCCEEDS}"` });
    const text = await json.text();
    assert.equal(json.status, 400);
    assert.ok(!text.includes(CARD_SUCCEEDS));
  });

  it('tokenizes bank accounts with a valid routing number', async () => {
    const { status, body } = await tokenizeAch(sandbox.url, ACH_SETTLES);
    assert.equal(status, 200);
    assert.deepEqual(
      { kind: body.kind, brand: body.brand, last4: body.last4, bankName: body.bankName, expMonth: body.expMonth },
      { kind: 'ach', brand: null, last4: '6789', bankName: 'First Test Bank', expMonth: null },
    );
    const details = await processor.describeToken(body.token);
    assert.equal(details?.kind, 'ach');
    assert.equal(details?.bankName, 'First Test Bank');

    const badRouting = await post(`${sandbox.url}/v1/tokens`, {
      kind: 'ach',
      routingNumber: '110000001',
      accountNumber: ACH_SETTLES,
      holderName: 'Dana Client',
    });
    assert.equal(badRouting.body.error.code, 'invalid_routing_number');
    const noHolder = await post(`${sandbox.url}/v1/tokens`, {
      kind: 'ach',
      routingNumber: '110000000',
      accountNumber: ACH_SETTLES,
    });
    assert.equal(noHolder.body.error.param, 'holderName');
  });

  it('lets a browser page on another loopback port call it (CORS), and no other origin', async () => {
    const preflight = await fetch(`${sandbox.url}/v1/tokens`, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://localhost:3000',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), 'http://localhost:3000');
    assert.match(preflight.headers.get('access-control-allow-methods') ?? '', /POST/);
    assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /content-type/);

    const fromPage = await post(`${sandbox.url}/v1/tokens`, { kind: 'x' }, { origin: 'http://127.0.0.1:5173' });
    assert.equal(fromPage.headers.get('access-control-allow-origin'), 'http://127.0.0.1:5173');
    const foreign = await post(`${sandbox.url}/v1/tokens`, { kind: 'x' }, { origin: 'https://evil.example' });
    assert.equal(foreign.headers.get('access-control-allow-origin'), null);
  });
});

describe('sandbox state file', () => {
  it('keeps tokens, charges and idempotent replies across a restart, without card numbers', async () => {
    const { mkdtemp, readFile, rm } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = await mkdtemp(join(tmpdir(), 'policypay-sandbox-'));
    const stateFile = join(dir, 'sandbox.json');
    try {
      const first = await startSandbox({ webhookSecret: SECRET, stateFile });
      const client = new SandboxProcessor({ baseUrl: first.url, webhookSecret: SECRET });
      const token = await cardToken(first.url, CARD_SUCCEEDS);
      const request = chargeRequest(await achToken(first.url, ACH_SETTLES));
      const outcome = await client.charge(request);
      first.advanceDays(1);
      await first.close();

      const text = await readFile(stateFile, 'utf8');
      assert.ok(!text.includes(CARD_SUCCEEDS) && !text.includes(ACH_SETTLES));
      const second = await startSandbox({ webhookSecret: SECRET, stateFile });
      try {
        const again = new SandboxProcessor({ baseUrl: second.url, webhookSecret: SECRET });
        assert.equal((await again.describeToken(token))?.last4, '4242');
        assert.deepEqual(await again.lookup(request.idempotencyKey), outcome);
        assert.deepEqual(await again.charge(request), outcome);
        assert.equal(second.chargeCount(), 1);
        // The day advanced before the restart still counts: two more settle the debit.
        assert.equal(second.advanceDays(2).length, 1);
      } finally {
        await second.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
