// POST /api/v1/payment-requests/{id}/charge: staff charge an open request after the client's
// payment was declined. The payment belongs to the request (held for Finalize when it posts), the
// activity says the agency charged it, and what the client's own payment would be refused for is
// refused here too: another customer's method (422, nothing written), a payment of the request in
// flight or a paid request (409), a cancelled request (409).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { CARD_DECLINED_STOLEN, CARD_SUCCEEDS } from '../../src/payments/processors/sandbox/test-numbers.ts';
import { databaseTargets } from '../support/db.ts';
import { settledPayment, tokenizeCard } from '../support/payments.ts';
import { type PortalCustomer, type PortalWorld, portalSessionFor, startPortalWorld } from '../support/portal.ts';

for (const target of databaseTargets()) {
  describe(`charging a payment request again on ${target}`, { timeout: 180_000 }, () => {
    let world: PortalWorld;
    let customer: PortalCustomer;

    before(async () => {
      world = await startPortalWorld(target);
      customer = await world.addCustomer('Dana Declined');
    });
    after(async () => {
      await world?.close();
    });

    async function request(amount: number): Promise<string> {
      const res = await world.api.post('/api/v1/payment-requests', {
        customerNumber: customer.customerNumber,
        contactId: customer.contactId,
        amount,
        dueDate: '2099-12-15',
        invoices: [{ invoiceNumber: customer.invoiceNumber, amount }],
      });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return res.body.id;
    }

    async function savedCard(customerNumber: number, number: string): Promise<string> {
      const res = await world.api.post(`/api/v1/customers/${customerNumber}/payment-methods`, {
        processor: 'sandbox',
        token: await tokenizeCard(world.sandbox, number),
      });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return res.body.id;
    }

    const paymentCount = async () =>
      Number((await sql<{ n: bigint }>`SELECT count(*) AS n FROM payments`.execute(world.database.db)).rows[0]!.n);

    test('after a decline the request stays open; staff charge it and the money is held for Finalize', async () => {
      const id = await request(80);
      const client = await portalSessionFor(world.database, world.agency, world.url, customer);
      const stolen = await client.post('/api/v1/portal/payment-methods', {
        token: await tokenizeCard(world.sandbox, CARD_DECLINED_STOLEN),
      });
      const declined = await client.post(`/api/v1/portal/payment-requests/${id}/pay`, {
        paymentMethodId: stolen.body.id,
      });
      assert.equal(declined.status, 422, JSON.stringify(declined.body));
      assert.equal((await world.api.get(`/api/v1/payment-requests/${id}`)).body.state, 'requested');

      // Another customer's card: refused on its field, nothing written.
      const other = await world.addCustomer('Olga Other');
      const before = await paymentCount();
      const foreign = await world.api.post(`/api/v1/payment-requests/${id}/charge`, {
        paymentMethodId: await savedCard(other.customerNumber, CARD_SUCCEEDS),
      });
      assert.equal(foreign.status, 422, JSON.stringify(foreign.body));
      assert.equal(foreign.body.errors[0].path, 'paymentMethodId');
      assert.equal(await paymentCount(), before);

      const card = await savedCard(customer.customerNumber, CARD_SUCCEEDS);
      const charged = await world.api.post(`/api/v1/payment-requests/${id}/charge`, { paymentMethodId: card });
      assert.equal(charged.status, 201, JSON.stringify(charged.body));
      assert.equal(charged.body.paymentRequestId, id);
      assert.equal(charged.body.amount, 80);
      assert.deepEqual(charged.body.targets, [{ invoiceNumber: customer.invoiceNumber, amount: 80 }]);
      // A second charge finds the first in flight (the invoice's in-flight rule) or already posted:
      // never a second payment.
      const twice = await world.api.post(`/api/v1/payment-requests/${id}/charge`, { paymentMethodId: card });
      assert.equal(twice.status, 409, JSON.stringify(twice.body));
      assert.match(twice.body.detail, /in flight|already paid/);

      await settledPayment(world.api, charged.body.id, ['posted']);
      const paid = (await world.api.get(`/api/v1/payment-requests/${id}`)).body;
      assert.equal(paid.state, 'paid');
      assert.equal(paid.payment.id, charged.body.id);
      // Held, not applied: the invoice keeps its balance until Finalize Payment.
      assert.equal((await world.api.get(`/api/v1/invoices/${customer.invoiceNumber}`)).body.balance, 500);
      const activities = (await world.api.get(`/api/v1/customers/${customer.customerNumber}/activities`)).body.data;
      assert.ok(
        activities.some((a: { summary: string }) =>
          /^Payment sent: the agency charged \$80\.00 to Dana Declined's .*4242/.test(a.summary),
        ),
        JSON.stringify(activities),
      );
      const again = await world.api.post(`/api/v1/payment-requests/${id}/charge`, { paymentMethodId: card });
      assert.equal(again.status, 409, JSON.stringify(again.body));
      assert.equal(again.body.detail, 'the payment request is already paid');
    });

    test('a cancelled request is not charged', async () => {
      const id = await request(20);
      assert.equal((await world.api.post(`/api/v1/payment-requests/${id}/cancel`, {})).status, 200);
      const before = await paymentCount();
      const res = await world.api.post(`/api/v1/payment-requests/${id}/charge`, {
        paymentMethodId: await savedCard(customer.customerNumber, CARD_SUCCEEDS),
      });
      assert.equal(res.status, 409, JSON.stringify(res.body));
      assert.equal(res.body.detail, 'the payment request is cancelled; it cannot be paid');
      assert.equal(await paymentCount(), before);
    });
  });
}
