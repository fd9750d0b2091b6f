// Charges, ACH debits and refunds through the sandbox adapter; tokenizing is in sandbox-tokenize.test.ts.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { SandboxProcessor } from '../../../src/payments/processors/sandbox/adapter.ts';
import { type Sandbox, startSandbox } from '../../../src/payments/processors/sandbox/server.ts';
import {
  ACH_RETURN_R01_NSF,
  ACH_SETTLES,
  CARD_DECLINED_INSUFFICIENT_FUNDS,
  CARD_DECLINED_STOLEN,
  CARD_LOST_RESPONSE,
  CARD_SUCCEEDS,
  CARD_UNAVAILABLE,
} from '../../../src/payments/processors/sandbox/test-numbers.ts';
import { achToken, cardToken, chargeRequest, closedPort, post } from './helpers.ts';

const SECRET = 'whsec_sandbox_test_secret';

let sandbox: Sandbox;
let processor: SandboxProcessor;

before(async () => {
  sandbox = await startSandbox({ webhookSecret: SECRET });
  processor = new SandboxProcessor({ baseUrl: sandbox.url, webhookSecret: SECRET, timeoutMs: 2_000 });
});
after(() => sandbox.close());

describe('sandbox charges through the adapter', () => {
  it('charges the succeeding card once and finds it by idempotency key', async () => {
    const request = chargeRequest(await cardToken(sandbox.url, CARD_SUCCEEDS));
    const outcome = await processor.charge(request);
    assert.equal(outcome.status, 'succeeded');
    assert.ok(outcome.status === 'succeeded' && outcome.processorReference.startsWith('ch_'));
    assert.deepEqual(await processor.lookup(request.idempotencyKey), outcome);
    assert.equal(sandbox.chargeCount(request.idempotencyKey), 1);
    const [charge] = sandbox.charges(request.idempotencyKey);
    assert.equal(charge?.amountCents, 12_345n);
    assert.equal(charge?.status, 'succeeded');
  });

  it('declines insufficient funds softly and a stolen card hard, recording no money movement', async () => {
    const soft = chargeRequest(await cardToken(sandbox.url, CARD_DECLINED_INSUFFICIENT_FUNDS));
    const softOutcome = await processor.charge(soft);
    assert.deepEqual(
      { ...softOutcome, processorReference: undefined },
      {
        status: 'declined',
        code: 'insufficient_funds',
        hard: false,
        message: 'The card has insufficient funds.',
        processorReference: undefined,
      },
    );
    assert.deepEqual(await processor.lookup(soft.idempotencyKey), softOutcome);

    const hard = chargeRequest(await cardToken(sandbox.url, CARD_DECLINED_STOLEN));
    const hardOutcome = await processor.charge(hard);
    assert.equal(hardOutcome.status, 'declined');
    assert.ok(hardOutcome.status === 'declined' && hardOutcome.code === 'stolen_card' && hardOutcome.hard);
    assert.equal(sandbox.chargeCount(soft.idempotencyKey), 0);
    assert.equal(sandbox.chargeCount(hard.idempotencyKey), 0);
    assert.equal(sandbox.charges(hard.idempotencyKey)[0]?.status, 'declined');
  });

  it('the same idempotency key never charges twice, even concurrently', async () => {
    const request = chargeRequest(await cardToken(sandbox.url, CARD_SUCCEEDS));
    const outcomes = await Promise.all(Array.from({ length: 10 }, () => processor.charge(request)));
    const references = new Set(outcomes.map((o) => (o.status === 'succeeded' ? o.processorReference : o.status)));
    assert.equal(references.size, 1);
    assert.ok([...references][0]!.startsWith('ch_'));
    assert.equal(sandbox.chargeCount(request.idempotencyKey), 1);
    const again = await processor.charge(request);
    assert.deepEqual(again, outcomes[0]);
    assert.equal(sandbox.chargeCount(request.idempotencyKey), 1);

    const raw = await post(
      `${sandbox.url}/v1/charges`,
      { token: request.token, amountCents: '12345', currency: 'usd', description: 'Invoice 1001' },
      { 'idempotency-key': request.idempotencyKey },
    );
    assert.equal(raw.status, 200);
    assert.equal(raw.headers.get('idempotent-replayed'), 'true');
  });

  it('refuses a key reused with other parameters (unknown to the adapter) and charges nothing more', async () => {
    const request = chargeRequest(await cardToken(sandbox.url, CARD_SUCCEEDS));
    const first = await processor.charge(request);
    assert.equal(first.status, 'succeeded');
    const reused = await processor.charge({ ...request, amountCents: 99_999n });
    assert.equal(reused.status, 'unknown');
    const raw = await post(
      `${sandbox.url}/v1/charges`,
      { token: request.token, amountCents: '1', currency: 'usd', description: 'Invoice 1001' },
      { 'idempotency-key': request.idempotencyKey },
    );
    assert.equal(raw.status, 400);
    assert.equal(raw.body.error.code, 'idempotency_key_reused');
    // `lookup` resolves what the key did: the first charge.
    assert.deepEqual(await processor.lookup(request.idempotencyKey), first);
    assert.equal(sandbox.chargeCount(request.idempotencyKey), 1);
    assert.equal(sandbox.charges(request.idempotencyKey)[0]?.amountCents, 12_345n);
  });

  it('lost response: charged, the adapter says unknown, lookup says succeeded, exactly one charge', async () => {
    const request = chargeRequest(await cardToken(sandbox.url, CARD_LOST_RESPONSE));
    const outcome = await processor.charge(request);
    assert.equal(outcome.status, 'unknown');
    assert.equal(sandbox.chargeCount(request.idempotencyKey), 1);
    const found = await processor.lookup(request.idempotencyKey);
    assert.equal(found.status, 'succeeded');
    // A retry with the same key gets the stored result, not a second charge.
    const retried = await processor.charge(request);
    assert.deepEqual(retried, found);
    assert.equal(sandbox.chargeCount(request.idempotencyKey), 1);
  });

  it('503: unknown, nothing charged, lookup finds nothing, and a retry 503s again', async () => {
    const request = chargeRequest(await cardToken(sandbox.url, CARD_UNAVAILABLE));
    const outcome = await processor.charge(request);
    assert.equal(outcome.status, 'unknown');
    assert.ok(outcome.status === 'unknown' && /503/.test(outcome.reason));
    assert.deepEqual(await processor.lookup(request.idempotencyKey), { status: 'not_found' });
    assert.equal((await processor.charge(request)).status, 'unknown');
    assert.equal(sandbox.charges(request.idempotencyKey).length, 0);
  });

  it('an invalid request charges nothing and is a hard decline', async () => {
    const unknownToken = await processor.charge(chargeRequest('tok_doesNotExist'));
    assert.deepEqual(
      { status: unknownToken.status, code: (unknownToken as any).code, hard: (unknownToken as any).hard },
      { status: 'declined', code: 'no_such_token', hard: true },
    );
    const token = await cardToken(sandbox.url, CARD_SUCCEEDS);
    const zero = await processor.charge(chargeRequest(token, { amountCents: 0n }));
    assert.equal(zero.status === 'declined' && zero.code, 'invalid_amount');
    const noKey = await post(`${sandbox.url}/v1/charges`, { token, amountCents: '100', currency: 'usd' });
    assert.equal(noKey.status, 400);
    assert.equal(noKey.body.error.code, 'idempotency_key_required');
  });

  it('a timeout (the sandbox holding the response) is unknown, and lookup resolves it', async () => {
    const hanging = await startSandbox({ webhookSecret: SECRET, lostResponse: 'hang' });
    try {
      const client = new SandboxProcessor({ baseUrl: hanging.url, webhookSecret: SECRET, timeoutMs: 300 });
      const request = chargeRequest(await cardToken(hanging.url, CARD_LOST_RESPONSE));
      const outcome = await client.charge(request);
      // The reason names the client's own timeout: it gave up, the sandbox never answered.
      assert.equal(outcome.status, 'unknown');
      assert.ok(outcome.status === 'unknown' && /within 300 ms/.test(outcome.reason));
      assert.equal((await client.lookup(request.idempotencyKey)).status, 'succeeded');
      assert.equal(hanging.chargeCount(request.idempotencyKey), 1);
    } finally {
      await hanging.close();
    }
  });

  it('a refused connection is unknown for charges, lookups and refunds; describeToken throws', async () => {
    const client = new SandboxProcessor({ baseUrl: `http://127.0.0.1:${await closedPort()}`, webhookSecret: SECRET });
    const charge = await client.charge(chargeRequest('tok_x'));
    assert.equal(charge.status, 'unknown');
    assert.ok(charge.status === 'unknown' && /network error/.test(charge.reason));
    assert.equal((await client.lookup('k')).status, 'unknown');
    const refund = await client.refund({ processorReference: 'ch_x', amountCents: 1n, idempotencyKey: 'r' });
    assert.equal(refund.status, 'unknown');
    await assert.rejects(client.describeToken('tok_x'), /network error/);
  });

  it('a 5xx or unreadable answer is unknown (injected fetch)', async () => {
    const answers = [new Response('oops', { status: 200 }), new Response('{}', { status: 502 })];
    const client = new SandboxProcessor({
      baseUrl: 'http://sandbox.invalid',
      webhookSecret: SECRET,
      fetch: async () => answers.shift()!,
    });
    assert.equal((await client.charge(chargeRequest('tok_x'))).status, 'unknown');
    assert.equal((await client.charge(chargeRequest('tok_x'))).status, 'unknown');
  });
});

describe('sandbox ACH through the adapter', () => {
  it('is pending until the settlement days pass, then succeeded', async () => {
    const request = chargeRequest(await achToken(sandbox.url, ACH_SETTLES));
    const outcome = await processor.charge(request);
    assert.equal(outcome.status, 'pending');
    assert.equal((await processor.lookup(request.idempotencyKey)).status, 'pending');
    assert.equal(sandbox.chargeCount(request.idempotencyKey), 1);
    const reference = outcome.status === 'pending' ? outcome.processorReference : '';

    assert.deepEqual(
      sandbox.advanceDays(2).filter((e) => e.data.charge === reference),
      [],
    );
    const settled = sandbox.advanceDays(1).filter((e) => e.data.charge === reference);
    assert.equal(settled.length, 1);
    assert.equal(settled[0]?.type, 'payment.settled');
    assert.deepEqual(await processor.lookup(request.idempotencyKey), {
      status: 'succeeded',
      processorReference: reference,
    });
    assert.equal(sandbox.charges(request.idempotencyKey)[0]?.status, 'settled');
  });

  it('a returned debit looks up as a decline by its return code', async () => {
    const request = chargeRequest(await achToken(sandbox.url, ACH_RETURN_R01_NSF));
    assert.equal((await processor.charge(request)).status, 'pending');
    sandbox.advanceDays(3);
    const found = await processor.lookup(request.idempotencyKey);
    assert.equal(found.status, 'declined');
    assert.ok(found.status === 'declined' && found.code === 'R01' && !found.hard);
  });
});

describe('sandbox refunds through the adapter', () => {
  it('refunds in parts up to the amount, idempotently', async () => {
    const charge = await processor.charge(chargeRequest(await cardToken(sandbox.url, CARD_SUCCEEDS)));
    assert.equal(charge.status, 'succeeded');
    const processorReference = charge.status === 'succeeded' ? charge.processorReference : '';
    const first = {
      processorReference,
      amountCents: 10_000n,
      idempotencyKey: `refund-${randomUUID()}`,
      reason: 'cancel',
    };
    const refunded = await processor.refund(first);
    assert.equal(refunded.status, 'succeeded');
    assert.deepEqual(await processor.refund(first), refunded);
    assert.equal(sandbox.refunds().filter((r) => r.chargeId === processorReference).length, 1);

    const tooMuch = await processor.refund({ processorReference, amountCents: 2_346n, idempotencyKey: randomUUID() });
    assert.deepEqual(
      { ...tooMuch, message: undefined },
      { status: 'failed', code: 'amount_too_large', message: undefined },
    );
    const rest = await processor.refund({ processorReference, amountCents: 2_345n, idempotencyKey: randomUUID() });
    assert.equal(rest.status, 'succeeded');
    assert.equal(sandbox.charges().find((c) => c.id === processorReference)?.refundedCents, 12_345n);

    const reused = await processor.refund({ ...first, amountCents: 1n });
    assert.equal(reused.status, 'unknown');
  });

  it('refuses refunds of unknown, declined and unsettled charges', async () => {
    const none = await processor.refund({
      processorReference: 'ch_nope',
      amountCents: 1n,
      idempotencyKey: randomUUID(),
    });
    assert.equal(none.status === 'failed' && none.code, 'no_such_charge');
    const declined = await processor.charge(chargeRequest(await cardToken(sandbox.url, CARD_DECLINED_STOLEN)));
    const declinedRef = declined.status === 'declined' ? declined.processorReference! : '';
    const r1 = await processor.refund({
      processorReference: declinedRef,
      amountCents: 1n,
      idempotencyKey: randomUUID(),
    });
    assert.equal(r1.status === 'failed' && r1.code, 'charge_not_refundable');
    const ach = await processor.charge(chargeRequest(await achToken(sandbox.url, ACH_SETTLES)));
    const achRef = ach.status === 'pending' ? ach.processorReference : '';
    const r2 = await processor.refund({ processorReference: achRef, amountCents: 1n, idempotencyKey: randomUUID() });
    assert.equal(r2.status === 'failed' && r2.code, 'charge_not_settled');
  });
});
