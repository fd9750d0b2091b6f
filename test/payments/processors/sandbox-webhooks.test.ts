import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import {
  IgnoredWebhookEvent,
  type ProcessorEvent,
  WebhookSignatureError,
} from '../../../src/payments/processors/processor.ts';
import { SandboxProcessor } from '../../../src/payments/processors/sandbox/adapter.ts';
import { type Sandbox, startSandbox } from '../../../src/payments/processors/sandbox/server.ts';
import { SIGNATURE_HEADER, signatureHeader } from '../../../src/payments/processors/sandbox/signature.ts';
import {
  ACH_RETURN_R01_NSF,
  ACH_RETURN_R02_ACCOUNT_CLOSED,
  ACH_RETURN_R03_NO_ACCOUNT,
  ACH_RETURN_R10_UNAUTHORIZED,
  ACH_SETTLES,
  CARD_SUCCEEDS,
} from '../../../src/payments/processors/sandbox/test-numbers.ts';
import { achToken, cardToken, post, type ReceivedWebhook, startReceiver } from './helpers.ts';

const SECRET = 'whsec_sandbox_webhook_secret';
const DAY = 86_400_000;

let sandbox: Sandbox;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let processor: SandboxProcessor;

before(async () => {
  receiver = await startReceiver();
  sandbox = await startSandbox({ webhookSecret: SECRET, webhookUrl: receiver.url, webhookRetryDelaysMs: [20, 40] });
  processor = new SandboxProcessor({ baseUrl: sandbox.url, webhookSecret: SECRET });
});
after(async () => {
  await sandbox.close();
  await receiver.close();
});
beforeEach(() => {
  receiver.received.length = 0;
  receiver.answers.length = 0;
});

async function charge(token: string) {
  const idempotencyKey = `attempt-${randomUUID()}`;
  const outcome = await processor.charge({
    amountCents: 50_000n,
    currency: 'usd',
    token,
    idempotencyKey,
    description: 'Invoice 2002',
  });
  assert.ok(outcome.status === 'pending' || outcome.status === 'succeeded', JSON.stringify(outcome));
  return { idempotencyKey, processorReference: outcome.processorReference };
}

/** Every delivery the receiver got, verified and parsed by the adapter the way policypay's route will. */
const parsedDeliveries = (received: ReceivedWebhook[]): ProcessorEvent[] =>
  received.map((r) => processor.parseWebhook(r.rawBody, r.headers));

describe('sandbox webhooks', () => {
  it('ACH settlement: advancing the days delivers a signed payment.settled the adapter verifies', async () => {
    const { idempotencyKey, processorReference } = await charge(await achToken(sandbox.url, ACH_SETTLES));
    const { body } = await post(`${sandbox.url}/sandbox/advance`, { days: 3 });
    assert.ok(body.events.some((e: any) => e.data.charge === processorReference && e.type === 'payment.settled'));
    await sandbox.flushWebhooks();

    const events = parsedDeliveries(receiver.received).filter((e) => e.processorReference === processorReference);
    assert.equal(events.length, 1);
    const event = events[0]!;
    assert.equal(event.type, 'payment.settled');
    assert.equal(event.idempotencyKey, idempotencyKey);
    assert.equal(event.amountCents, 50_000n);
    assert.equal(event.returnCode, undefined);
    assert.match(event.id, /^evt_/);
    // Business time moved three days (the event's time); the signature still carries real time,
    // which is why the adapter above, on the real clock, accepted it.
    assert.ok(Math.abs(event.occurredAt.getTime() - sandbox.now().getTime()) < 5_000);
    assert.ok(sandbox.now().getTime() - Date.now() >= 3 * DAY - 5_000);
  });

  for (const [account, code] of [
    [ACH_RETURN_R01_NSF, 'R01'],
    [ACH_RETURN_R02_ACCOUNT_CLOSED, 'R02'],
    [ACH_RETURN_R03_NO_ACCOUNT, 'R03'],
    [ACH_RETURN_R10_UNAUTHORIZED, 'R10'],
  ] as const) {
    it(`ACH ${code}: returned at settlement instead of settling`, async () => {
      const { idempotencyKey, processorReference } = await charge(await achToken(sandbox.url, account));
      sandbox.advanceDays(3);
      await sandbox.flushWebhooks();
      const events = parsedDeliveries(receiver.received).filter((e) => e.processorReference === processorReference);
      assert.deepEqual(
        events.map((e) => ({ type: e.type, returnCode: e.returnCode, key: e.idempotencyKey, amount: e.amountCents })),
        [{ type: 'payment.returned', returnCode: code, key: idempotencyKey, amount: 50_000n }],
      );
      const found = await processor.lookup(idempotencyKey);
      assert.ok(found.status === 'declined' && found.code === code && found.hard === (code !== 'R01'));
    });
  }

  it('a late return of a settled debit and a chargeback of a card, through the control endpoints', async () => {
    const ach = await charge(await achToken(sandbox.url, ACH_SETTLES));
    sandbox.advanceDays(3);
    const late = await post(`${sandbox.url}/sandbox/return`, {
      processorReference: ach.processorReference,
      code: 'R10',
    });
    assert.equal(late.status, 200);
    assert.equal(late.body.event.data.returnCode, 'R10');
    const again = await post(`${sandbox.url}/sandbox/return`, {
      processorReference: ach.processorReference,
      code: 'R10',
    });
    assert.equal(again.status, 409);
    const badCode = await post(`${sandbox.url}/sandbox/return`, {
      processorReference: ach.processorReference,
      code: 'X',
    });
    assert.equal(badCode.status, 400);

    const card = await charge(await cardToken(sandbox.url, CARD_SUCCEEDS));
    const cardReturn = await post(`${sandbox.url}/sandbox/return`, {
      processorReference: card.processorReference,
      code: 'R01',
    });
    assert.equal(cardReturn.body.error.code, 'not_ach');
    const dispute = await post(`${sandbox.url}/sandbox/chargeback`, { processorReference: card.processorReference });
    assert.equal(dispute.status, 200);
    assert.equal(
      (await post(`${sandbox.url}/sandbox/chargeback`, { processorReference: card.processorReference })).status,
      409,
    );
    await post(`${sandbox.url}/sandbox/flush`, {});

    const events = parsedDeliveries(receiver.received);
    const returned = events.find(
      (e) => e.processorReference === ach.processorReference && e.type === 'payment.returned',
    );
    assert.equal(returned?.returnCode, 'R10');
    const chargeback = events.find((e) => e.processorReference === card.processorReference);
    assert.deepEqual(
      { type: chargeback?.type, key: chargeback?.idempotencyKey, amount: chargeback?.amountCents },
      { type: 'payment.chargeback', key: card.idempotencyKey, amount: 50_000n },
    );
    // A disputed charge cannot be refunded.
    const refund = await processor.refund({
      processorReference: card.processorReference,
      amountCents: 1n,
      idempotencyKey: randomUUID(),
    });
    assert.equal(refund.status === 'failed' && refund.code, 'charge_disputed');
  });

  it('retries a failed delivery with the same event id and body, re-signed', async () => {
    const card = await charge(await cardToken(sandbox.url, CARD_SUCCEEDS));
    receiver.answers.push(500, 503);
    const event = sandbox.chargeback(card.processorReference);
    await sandbox.flushWebhooks();
    const deliveries = receiver.received.filter((r) => r.rawBody.includes(event.id));
    assert.equal(deliveries.length, 3);
    assert.equal(new Set(deliveries.map((d) => d.rawBody)).size, 1);
    for (const d of deliveries) assert.equal(processor.parseWebhook(d.rawBody, d.headers).id, event.id);
    const attempts = sandbox.deliveries().filter((a) => a.eventId === event.id);
    assert.deepEqual(
      attempts.map((a) => [a.attempt, a.status]),
      [
        [1, 500],
        [2, 503],
        [3, 200],
      ],
    );

    // Redelivery (a duplicate, as processors do) keeps the id: the receiver dedupes by it.
    const before = receiver.received.length;
    const redelivered = await post(`${sandbox.url}/sandbox/events/${event.id}/redeliver`, {});
    assert.equal(redelivered.status, 202);
    await sandbox.flushWebhooks();
    assert.equal(receiver.received.length, before + 1);
    assert.equal(
      processor.parseWebhook(receiver.received.at(-1)!.rawBody, receiver.received.at(-1)!.headers).id,
      event.id,
    );
    const listed = await (await fetch(`${sandbox.url}/sandbox/events`)).json();
    assert.equal(listed.data.find((e: any) => e.id === event.id)?.delivered, true);
  });

  it('gives up after the last retry', async () => {
    const card = await charge(await cardToken(sandbox.url, CARD_SUCCEEDS));
    receiver.answers.push(500, 500, 500);
    const event = sandbox.chargeback(card.processorReference);
    await sandbox.flushWebhooks();
    assert.equal(receiver.received.filter((r) => r.rawBody.includes(event.id)).length, 3);
    const listed = await (await fetch(`${sandbox.url}/sandbox/events`)).json();
    assert.equal(listed.data.find((e: any) => e.id === event.id)?.delivered, false);
  });
});

describe('sandbox webhook signatures (the adapter as receiver)', () => {
  const now = new Date('2026-11-21T15:00:00Z');
  const t = Math.floor(now.getTime() / 1000);
  const receiverAt = (at: Date, secret = SECRET) =>
    new SandboxProcessor({ baseUrl: 'http://sandbox.invalid', webhookSecret: secret, now: () => at });
  const body = JSON.stringify({
    id: 'evt_1',
    object: 'event',
    type: 'payment.returned',
    createdAt: '2026-11-21T14:59:00.000Z',
    data: { charge: 'ch_1', idempotencyKey: 'attempt-1', amountCents: '50000', returnCode: 'R01' },
  });
  const headers = (value: string) => ({ [SIGNATURE_HEADER]: value, 'content-type': 'application/json' });

  it('accepts a valid signature and parses the event', () => {
    const event = receiverAt(now).parseWebhook(body, headers(signatureHeader(SECRET, t, body)));
    assert.deepEqual(event, {
      id: 'evt_1',
      type: 'payment.returned',
      processorReference: 'ch_1',
      idempotencyKey: 'attempt-1',
      returnCode: 'R01',
      amountCents: 50_000n,
      occurredAt: new Date('2026-11-21T14:59:00.000Z'),
    });
    // Header names are case-insensitive; one valid v1 among several (secret rotation) is enough.
    const rotated = `t=${t},v1=${'0'.repeat(64)},v1=${signatureHeader(SECRET, t, body).split('v1=')[1]}`;
    assert.equal(receiverAt(now).parseWebhook(body, { 'Policypay-Sandbox-Signature': rotated }).id, 'evt_1');
    // Within the 5-minute tolerance, both ways.
    assert.equal(
      receiverAt(new Date(now.getTime() + 299_000)).parseWebhook(body, headers(signatureHeader(SECRET, t, body))).id,
      'evt_1',
    );
  });

  it('rejects forged, stale, future, tampered, missing and malformed signatures', () => {
    const cases: [string, () => unknown, RegExp][] = [
      [
        'forged (another secret)',
        () => receiverAt(now).parseWebhook(body, headers(signatureHeader('whsec_other', t, body))),
        /no signature matches/,
      ],
      [
        'stale (> 5 min)',
        () =>
          receiverAt(new Date(now.getTime() + 301_000)).parseWebhook(body, headers(signatureHeader(SECRET, t, body))),
        /tolerance/,
      ],
      [
        'from the future',
        () =>
          receiverAt(new Date(now.getTime() - 301_000)).parseWebhook(body, headers(signatureHeader(SECRET, t, body))),
        /tolerance/,
      ],
      [
        'tampered body',
        () => receiverAt(now).parseWebhook(body.replace('50000', '99999'), headers(signatureHeader(SECRET, t, body))),
        /no signature matches/,
      ],
      [
        'timestamp changed',
        () =>
          receiverAt(now).parseWebhook(body, headers(signatureHeader(SECRET, t, body).replace(`t=${t}`, `t=${t + 1}`))),
        /no signature matches/,
      ],
      ['missing header', () => receiverAt(now).parseWebhook(body, {}), /missing/],
      ['malformed header', () => receiverAt(now).parseWebhook(body, headers('v1=abc')), /malformed/],
      ['short signature', () => receiverAt(now).parseWebhook(body, headers(`t=${t},v1=abcd`)), /malformed/],
    ];
    for (const [name, run, message] of cases) {
      assert.throws(
        run,
        (error: unknown) => error instanceof WebhookSignatureError && message.test(error.message),
        name,
      );
    }
  });

  it('a genuine event of another type is ignored, not a signature error', () => {
    const other = JSON.stringify({ id: 'evt_2', type: 'payment.receipt_sent', createdAt: now.toISOString(), data: {} });
    assert.throws(
      () => receiverAt(now).parseWebhook(other, headers(signatureHeader(SECRET, t, other))),
      (error: unknown) => error instanceof IgnoredWebhookEvent && error.eventId === 'evt_2',
    );
  });
});
