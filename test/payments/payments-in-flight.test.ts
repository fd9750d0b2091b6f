import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { CARD_LOST_RESPONSE, CARD_SUCCEEDS } from '../../src/payments/processors/sandbox/test-numbers.ts';
import { databaseTargets } from '../support/db.ts';
import type { JsonResponse } from '../support/http.ts';
import { type PaymentsWorld, startPaymentsWorld, tokenizeCard } from '../support/payments.ts';
import { portalSessionFor } from '../support/portal.ts';

/**
 * A payment whose outcome is unknown may still have charged the customer: no channel (API and so
 * the console, portal one-time payment, portal request payment) accepts a second payment for its
 * invoice until it is resolved — the rule autopay already kept.
 */
const IN_FLIGHT = 'https://policypay.dev/problems/payment-in-flight';

for (const target of databaseTargets()) {
  describe(`a payment in flight on ${target}`, () => {
    let world: PaymentsWorld;
    let seq = 0;

    const ok = <T>(res: JsonResponse<T>, status: number): T => {
      assert.equal(res.status, status, JSON.stringify(res.body));
      return res.body;
    };
    const customer = async () => {
      const n = ++seq;
      const c = ok(await world.api.post('/api/v1/customers', { type: 'individual', name: `Flight ${n}` }), 201);
      const contact = ok(
        await world.api.post(`/api/v1/customers/${c.customerNumber}/contacts`, {
          name: `Flight ${n}`,
          email: `flight${n}.${randomUUID().slice(0, 6)}@example.com`,
        }),
        201,
      );
      const invoice = ok(
        await world.api.post('/api/v1/invoices', {
          customerNumber: c.customerNumber,
          dueDate: '2099-12-01',
          amount: 500,
        }),
        201,
      );
      return {
        customerNumber: c.customerNumber as number,
        contactId: contact.id as string,
        invoiceNumber: invoice.invoiceNumber as number,
      };
    };
    const card = async (customerNumber: number, number: string) =>
      ok(
        await world.api.post(`/api/v1/customers/${customerNumber}/payment-methods`, {
          token: await tokenizeCard(world.sandbox, number),
        }),
        201,
      ).id as string;
    const apiPayment = (c: { customerNumber: number; invoiceNumber: number }, methodId: string, key = randomUUID()) =>
      world.api.post(
        '/api/v1/payments',
        {
          customerNumber: c.customerNumber,
          type: 'card',
          amount: 100,
          paymentMethodId: methodId,
          targets: [{ invoiceNumber: c.invoiceNumber, amount: 100 }],
          channel: 'agent_sweep',
        },
        { 'idempotency-key': key },
      );
    const paymentsFor = async (invoiceNumber: number) =>
      Number(
        (
          await sql<{ n: bigint }>`SELECT count(DISTINCT t.payment_id) AS n FROM payment_targets t
            JOIN invoices i ON i.id = t.invoice_id
            WHERE i.agency_id = ${world.agency.id} AND i.invoice_number = ${invoiceNumber}`.execute(world.database.db)
        ).rows[0]!.n,
      );
    const assertInFlight = (res: JsonResponse, invoiceNumber: number, paymentId: string) => {
      assert.equal(res.status, 409, JSON.stringify(res.body));
      assert.match(res.headers.get('content-type') ?? '', /problem\+json/);
      assert.equal(res.body.type, IN_FLIGHT);
      assert.equal(res.body.invoiceNumber, invoiceNumber);
      assert.equal(res.body.paymentId, paymentId);
      assert.match(res.body.detail, new RegExp(`invoice ${invoiceNumber}.*${paymentId}`));
    };

    before(async () => {
      world = await startPaymentsWorld(target);
    });
    after(async () => world.close());

    it('refuses a second payment on every channel while the first one’s outcome is unknown', async () => {
      const c = await customer();
      const lost = await card(c.customerNumber, CARD_LOST_RESPONSE);
      const good = await card(c.customerNumber, CARD_SUCCEEDS);
      const portal = await portalSessionFor(world.database, world.agency, world.url, c);

      // The processor's answer is lost: the first payment stays executing until the janitor asks.
      const first = ok(
        await portal.post(
          '/api/v1/portal/payments',
          { amount: 100, paymentMethodId: lost, invoices: [{ invoiceNumber: c.invoiceNumber, amount: 100 }] },
          { 'idempotency-key': randomUUID() },
        ),
        201,
      );
      assert.equal(first.state, 'executing');
      const charges = world.sandbox.chargeCount();

      assertInFlight(
        await portal.post(
          '/api/v1/portal/payments',
          { amount: 100, paymentMethodId: good, invoices: [{ invoiceNumber: c.invoiceNumber, amount: 100 }] },
          { 'idempotency-key': randomUUID() },
        ),
        c.invoiceNumber,
        first.id,
      );
      // Without invoices the portal pays the oldest open ones: the same invoice.
      assertInFlight(
        await portal.post(
          '/api/v1/portal/payments',
          { amount: 100, paymentMethodId: good },
          { 'idempotency-key': randomUUID() },
        ),
        c.invoiceNumber,
        first.id,
      );
      assertInFlight(await apiPayment(c, good), c.invoiceNumber, first.id);

      const request = ok(
        await world.api.post('/api/v1/payment-requests', {
          customerNumber: c.customerNumber,
          contactId: c.contactId,
          amount: 100,
          dueDate: '2099-12-01',
          invoices: [{ invoiceNumber: c.invoiceNumber, amount: 100 }],
        }),
        201,
      );
      assertInFlight(
        await portal.post(
          `/api/v1/portal/payment-requests/${request.id}/pay`,
          { paymentMethodId: good },
          { 'idempotency-key': randomUUID() },
        ),
        c.invoiceNumber,
        first.id,
      );
      assert.equal(world.sandbox.chargeCount(), charges, 'nothing more was charged');
      assert.equal(await paymentsFor(c.invoiceNumber), 1);
    });

    it('lets only one of 20 concurrent payments for one invoice through, and the next once it is cancelled', async () => {
      const c = await customer();
      const good = await card(c.customerNumber, CARD_SUCCEEDS);
      const responses = await Promise.all(Array.from({ length: 20 }, () => apiPayment(c, good)));
      const created = responses.filter((r) => r.status === 201);
      assert.equal(created.length, 1, responses.map((r) => r.status).join(','));
      for (const res of responses.filter((r) => r.status !== 201)) {
        assertInFlight(res, c.invoiceNumber, created[0]!.body.id);
      }
      assert.equal(await paymentsFor(c.invoiceNumber), 1);

      ok(await world.api.post(`/api/v1/payments/${created[0]!.body.id}/cancel`), 200);
      ok(await apiPayment(c, good), 201);
    });
  });
}
