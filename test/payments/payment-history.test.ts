import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { executePayment } from '../../src/payments/execution.ts';
import { CARD_SUCCEEDS } from '../../src/payments/processors/sandbox/test-numbers.ts';
import { databaseTargets } from '../support/db.ts';
import { createTestAgency } from '../support/fixtures.ts';
import { apiClient } from '../support/http.ts';
import { type PaymentsWorld, startPaymentsWorld, tokenizeCard } from '../support/payments.ts';

for (const target of databaseTargets()) {
  describe(`a payment's history on ${target}`, () => {
    let world: PaymentsWorld;

    before(async () => {
      world = await startPaymentsWorld(target);
    });
    after(async () => world.close());

    it('lists the attempt at the processor, the events it drew and the refund; no other agency sees it', async () => {
      const customer = await world.api.post('/api/v1/customers', { type: 'individual', name: 'Hal History' });
      const customerNumber = customer.body.customerNumber as number;
      const invoice = await world.api.post('/api/v1/invoices', { customerNumber, dueDate: '2026-11-01', amount: 120 });
      assert.equal(invoice.status, 201, JSON.stringify(invoice.body));
      const method = await world.api.post(`/api/v1/customers/${customerNumber}/payment-methods`, {
        processor: 'sandbox',
        token: await tokenizeCard(world.sandbox, CARD_SUCCEEDS),
      });
      const payment = await world.api.post('/api/v1/payments', {
        customerNumber,
        type: 'card',
        amount: 120,
        paymentMethodId: method.body.id,
        targets: [{ invoiceNumber: invoice.body.invoiceNumber, amount: 120 }],
        channel: 'secure_checkout',
      });
      assert.equal(payment.status, 201, JSON.stringify(payment.body));
      const id = payment.body.id as string;
      await executePayment(world.database.db, world.processors, id);
      const refund = await world.api.post(`/api/v1/payments/${id}/refunds`, { amount: 20, reason: 'duplicate' });
      assert.equal(refund.status, 201, JSON.stringify(refund.body));

      const first = await world.api.get(`/api/v1/payments/${id}/history`);
      const reference = first.body.attempts[0].processorReference as string;
      // What the webhook route records for a processor's event; another charge's event is not this payment's.
      for (const [eventId, ref] of [
        ['evt_history_1', reference],
        ['evt_history_2', 'ch_someone_else'],
      ]) {
        await sql`
          INSERT INTO processor_events (processor, event_id, type, processor_reference, payload, outcome)
          VALUES ('sandbox', ${eventId}, 'charge.succeeded', ${ref}, '{}'::jsonb, 'applied')`.execute(
          world.database.db,
        );
      }
      const history = await world.api.get(`/api/v1/payments/${id}/history`);
      assert.equal(history.status, 200, JSON.stringify(history.body));
      const [attempt] = history.body.attempts;
      assert.equal(history.body.attempts.length, 1);
      assert.equal(attempt.number, 1);
      assert.equal(attempt.processor, 'sandbox');
      assert.equal(attempt.status, 'succeeded');
      assert.match(attempt.processorReference, /./);
      assert.deepEqual(
        attempt.events.map((e: { type: string; outcome: string }) => [e.type, e.outcome]),
        [['charge.succeeded', 'applied']],
      );
      assert.deepEqual(
        history.body.refunds.map((r: { amount: number; status: string; reason: string }) => [
          r.amount,
          r.status,
          r.reason,
        ]),
        [[20, 'succeeded', 'duplicate']],
      );

      const other = await createTestAgency(world.database.db, 'Other Agency');
      const foreign = await apiClient(world.url, other.apiKey).get(`/api/v1/payments/${id}/history`);
      assert.equal(foreign.status, 404, JSON.stringify(foreign.body));
      assert.equal((await world.api.get('/api/v1/payments/not-a-uuid/history')).status, 404);
    });
  });
}
