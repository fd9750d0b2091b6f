import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { executePayment } from '../../src/payments/execution.ts';
import { CARD_SUCCEEDS } from '../../src/payments/processors/sandbox/test-numbers.ts';
import { databaseTargets } from '../support/db.ts';
import { type PaymentsWorld, startPaymentsWorld, tokenizeCard } from '../support/payments.ts';

for (const target of databaseTargets()) {
  describe(`refunds the processor refuses, on ${target}`, () => {
    let world: PaymentsWorld;
    let customerNumber: number;
    let seq = 0;

    /** A posted card payment of `amount` and the sandbox charge behind it. */
    const postedPayment = async (amount: number) => {
      const policyNumber = `REF-${++seq}`;
      const policy = await world.api.post('/api/v1/policies', {
        customerNumber,
        policyNumber,
        lineOfBusiness: 'Auto',
        effectiveDate: '2026-01-01',
        expirationDate: '2027-01-01',
        premium: amount,
        status: 'active',
      });
      assert.equal(policy.status, 201, JSON.stringify(policy.body));
      const invoice = await world.api.post('/api/v1/invoices', {
        customerNumber,
        policyNumber,
        dueDate: '2026-11-01',
        amount,
      });
      assert.equal(invoice.status, 201, JSON.stringify(invoice.body));
      const method = await world.api.post(`/api/v1/customers/${customerNumber}/payment-methods`, {
        processor: 'sandbox',
        token: await tokenizeCard(world.sandbox, CARD_SUCCEEDS),
      });
      const payment = await world.api.post('/api/v1/payments', {
        customerNumber,
        type: 'card',
        amount,
        paymentMethodId: method.body.id,
        targets: [{ invoiceNumber: invoice.body.invoiceNumber, amount }],
        channel: 'secure_checkout',
      });
      assert.equal(payment.status, 201, JSON.stringify(payment.body));
      const id = payment.body.id as string;
      await executePayment(world.database.db, world.processors, id);
      const charge = await sql<{ reference: string }>`
        SELECT processor_reference AS reference FROM payment_attempts WHERE payment_id = ${id} AND status = 'succeeded'`.execute(
        world.database.db,
      );
      return { id, charge: charge.rows[0]!.reference };
    };
    const refundRows = async (paymentId: string) =>
      (
        await sql<{ status: string }>`SELECT status FROM payment_refunds WHERE payment_id = ${paymentId}`.execute(
          world.database.db,
        )
      ).rows.map((r) => r.status);

    before(async () => {
      world = await startPaymentsWorld(target);
      const customer = await world.api.post('/api/v1/customers', { type: 'individual', name: 'Rita Refund' });
      customerNumber = customer.body.customerNumber;
    });
    after(async () => world.close());

    it('answers a refused refund 422 problem+json and records no failed refund, however often it is retried', async () => {
      const { id, charge } = await postedPayment(80);
      // Refunded at the processor directly (as from its dashboard): policypay's refund is then refused.
      const direct = await fetch(`${world.sandbox.url}/v1/refunds`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID() },
        body: JSON.stringify({ charge }),
      });
      assert.equal(direct.status, 200);
      for (let attempt = 0; attempt < 3; attempt++) {
        const refused = await world.api.post(`/api/v1/payments/${id}/refunds`, { amount: 30 });
        assert.equal(refused.status, 422, JSON.stringify(refused.body));
        assert.match(refused.headers.get('content-type') ?? '', /^application\/problem\+json/);
        assert.equal(refused.body.status, 422);
        assert.equal(refused.body.type, 'https://policypay.dev/problems/unprocessable');
        assert.match(refused.body.detail, /refused the refund/);
        assert.equal(refused.body.processorCode, 'amount_too_large');
        assert.deepEqual(await refundRows(id), []);
      }
      assert.equal((await world.api.get(`/api/v1/payments/${id}`)).body.state, 'posted');
    });

    it('answers a refund whose outcome is unknown 502, keeps it unknown, and refuses another meanwhile', async () => {
      const { id } = await postedPayment(40);
      await world.sandbox.close(); // the processor stops answering
      const unknown = await world.api.post(`/api/v1/payments/${id}/refunds`, {});
      assert.equal(unknown.status, 502, JSON.stringify(unknown.body));
      assert.match(unknown.headers.get('content-type') ?? '', /^application\/problem\+json/);
      assert.equal(unknown.body.status, 502);
      assert.equal(unknown.body.refundStatus, 'unknown');
      assert.deepEqual(await refundRows(id), ['unknown']);
      const again = await world.api.post(`/api/v1/payments/${id}/refunds`, {});
      assert.equal(again.status, 409, JSON.stringify(again.body));
      assert.deepEqual(await refundRows(id), ['unknown']);
    });
  });
}
