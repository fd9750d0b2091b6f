// "Retry now": a payment waiting for the retry its plan scheduled after a decline is executed at
// once through the workers' own path — once, never two attempts at a time, idempotently — and
// anything else is refused 409 with nothing written.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { executePayment } from '../../src/payments/execution.ts';
import { CARD_DECLINED_INSUFFICIENT_FUNDS, CARD_SUCCEEDS } from '../../src/payments/processors/sandbox/test-numbers.ts';
import { databaseTargets } from '../support/db.ts';
import { apiClient } from '../support/http.ts';
import { type PaymentsWorld, paymentSteps, startPaymentsWorld } from '../support/payments.ts';

const DAY = 86_400_000;

for (const target of databaseTargets()) {
  describe(`retry now on ${target}`, () => {
    let world: PaymentsWorld;
    let customerNumber: number;
    const { openInvoice, saveCard, pay, payment, balance, chargesFor } = paymentSteps(() => ({
      world,
      customerNumber,
    }));
    const key = () => ({ 'idempotency-key': randomUUID() });
    const rowCounts = async () => {
      const counts = await sql<{ attempts: string; transitions: string; audit: string }>`
        SELECT (SELECT count(*) FROM payment_attempts) AS attempts,
               (SELECT count(*) FROM payment_transitions) AS transitions,
               (SELECT count(*) FROM audit_log) AS audit`.execute(world.database.db);
      return counts.rows[0];
    };

    /** A payment soft-declined now, so requested with its retry a day away; its card then has funds. */
    const retryScheduled = async (amount: number) => {
      const { invoiceNumber } = await openInvoice(amount);
      const id = await pay(await saveCard(CARD_DECLINED_INSUFFICIENT_FUNDS), invoiceNumber, amount);
      const t0 = new Date();
      assert.equal((await executePayment(world.database.db, world.processors, id, { now: t0 })).status, 'declined');
      const scheduled = await payment(id);
      assert.equal(scheduled.state, 'requested');
      assert.equal(new Date(scheduled.nextAttemptAt).getTime(), t0.getTime() + DAY);
      // The sandbox's cards always answer alike: the funds arriving is the payment charging another card.
      const funded = await saveCard(CARD_SUCCEEDS);
      await sql`UPDATE payments SET payment_method_id = ${funded} WHERE id = ${id}`.execute(world.database.db);
      return { id, invoiceNumber };
    };

    before(async () => {
      world = await startPaymentsWorld(target);
      customerNumber = (await world.api.post('/api/v1/customers', { type: 'individual', name: 'Remy Retry' })).body
        .customerNumber;
    });
    after(async () => world.close());

    it('runs a scheduled retry now: one attempt, posted, and the same key replays it', async () => {
      const { id, invoiceNumber } = await retryScheduled(60);
      const headers = key();
      const first = await world.api.post(`/api/v1/payments/${id}/retry`, undefined, headers);
      assert.equal(first.status, 200, JSON.stringify(first.body));
      assert.equal(first.body.state, 'posted');
      assert.equal(first.body.attempts, 2);
      assert.notEqual(first.body.receiptNumber, null);
      assert.deepEqual(
        first.body.transitions.slice(-3).map((t: { from: string; to: string }) => `${t.from}>${t.to}`),
        ['executing>requested', 'requested>executing', 'executing>posted'],
      );
      assert.equal(await chargesFor(id), 1);
      assert.equal(await balance(invoiceNumber), 0);

      const replay = await world.api.post(`/api/v1/payments/${id}/retry`, undefined, headers);
      assert.equal(replay.status, 200);
      assert.equal(replay.headers.get('idempotent-replayed'), 'true');
      assert.deepEqual(replay.body, first.body);
      assert.equal(await chargesFor(id), 1);
      assert.equal((await payment(id)).attempts, 2);
    });

    it('refuses 409 problem+json, writing nothing, a payment that is not waiting for a retry', async () => {
      const { id } = await retryScheduled(25);
      assert.equal((await world.api.post(`/api/v1/payments/${id}/retry`, undefined, key())).status, 200);
      const neverSent = await pay(await saveCard(CARD_SUCCEEDS), (await openInvoice(10)).invoiceNumber, 10);
      const before = await rowCounts();
      const posted = await world.api.post(`/api/v1/payments/${id}/retry`, undefined, key());
      assert.equal(posted.status, 409, JSON.stringify(posted.body));
      assert.match(posted.headers.get('content-type') ?? '', /^application\/problem\+json/);
      assert.match(posted.body.detail, /this payment is posted/);
      assert.equal(posted.body.state, 'posted');
      const fresh = await world.api.post(`/api/v1/payments/${neverSent}/retry`, undefined, key());
      assert.equal(fresh.status, 409);
      assert.match(fresh.body.detail, /not been attempted yet/);
      assert.equal((await world.api.post(`/api/v1/payments/${randomUUID()}/retry`, undefined, key())).status, 404);
      assert.deepEqual(await rowCounts(), before);
      assert.equal(await chargesFor(id), 1);
    });

    it('lets staff only retry, as refunds: an agent is refused 403', async () => {
      const { id } = await retryScheduled(15);
      const apiKey = await world.api.post('/api/v1/api-keys', { name: `agent ${randomUUID()}`, role: 'agent' });
      const agent = apiClient(world.url, apiKey.body.key);
      const refused = await agent.post(`/api/v1/payments/${id}/retry`, undefined, key());
      assert.equal(refused.status, 403, JSON.stringify(refused.body));
      const still = await payment(id);
      assert.equal(still.state, 'requested');
      assert.equal(still.attempts, 1);
    });

    it('charges once when retries race: one runs, the others find an attempt in flight or done', async () => {
      const { id } = await retryScheduled(35);
      const answers = await Promise.all(
        Array.from({ length: 4 }, () => world.api.post(`/api/v1/payments/${id}/retry`, undefined, key())),
      );
      const statuses = answers.map((a) => a.status).sort();
      assert.deepEqual(statuses, [200, 409, 409, 409], JSON.stringify(answers.map((a) => a.body)));
      assert.equal(await chargesFor(id), 1);
      const done = await payment(id);
      assert.equal(done.state, 'posted');
      assert.equal(done.attempts, 2);
    });
  });
}
