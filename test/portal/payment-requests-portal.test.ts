// Payment requests from the client's side: saved methods and autopay, refused requests and cancel,
// ACH, min/max, expiry, eligibility refusals and declines. End to end: payment-requests-flow.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createInstallmentPlan } from '../../src/agency/installment-plans.ts';
import { createPolicy, transition } from '../../src/customers/policies.ts';
import { billPolicy } from '../../src/ledger/billing.ts';
import {
  ACH_ROUTING_NUMBER,
  ACH_SETTLES,
  CARD_DECLINED_INSUFFICIENT_FUNDS,
  CARD_SUCCEEDS,
} from '../../src/payments/processors/sandbox/test-numbers.ts';
import { noJobQueue } from '../../src/platform/jobs/job-queue.ts';
import { authenticatePortalSession } from '../../src/portal/auth.ts';
import { payPortalPaymentRequest } from '../../src/portal/portal.ts';
import { cancelPaymentRequest } from '../../src/portal/request-cancellation.ts';
import { paymentRequestById, paymentRequestViews } from '../../src/portal/request-views.ts';
import { databaseTargets } from '../support/db.ts';
import { tokenizeBankAccount, tokenizeCard } from '../support/payments.ts';
import { type PortalWorld, startPortalWorld } from '../support/portal.ts';
import { paymentRequestSteps, type StaffClient, staffConsoleSession } from '../support/worlds/payment-requests.ts';

for (const target of databaseTargets()) {
  describe(`payment requests and the client portal on ${target}`, () => {
    let world: PortalWorld;
    let staff: StaffClient;
    const backup = 'backup@harbor.example';
    const { enroll, request, arBalance } = paymentRequestSteps(() => ({ world, staff }));

    before(async () => {
      world = await startPortalWorld(target);
      staff = await staffConsoleSession(world, backup);
    });
    after(async () => world?.close());

    it('lets a client manage saved methods (default, remove) and autopay, and see their account', async () => {
      const customer = await world.addCustomer('Method Keeper');
      const created = await request(customer, 10);
      const client = await enroll(customer.email, created.id);
      const first = await client.post('/api/v1/portal/payment-methods', {
        token: await tokenizeCard(world.sandbox, CARD_SUCCEEDS),
      });
      const second = await client.post('/api/v1/portal/payment-methods', {
        token: await tokenizeCard(world.sandbox, CARD_SUCCEEDS),
      });
      assert.equal(first.body.isDefault, true, 'the first saved method is the default');
      assert.equal(second.body.isDefault, false);
      const made = await client.post(`/api/v1/portal/payment-methods/${second.body.id}/default`);
      assert.equal(made.status, 200);
      assert.equal(made.body.isDefault, true);
      const listed = (await client.get('/api/v1/portal/payment-methods')).body.data;
      assert.deepEqual(
        listed.map((m: { id: string; isDefault: boolean }) => [m.id, m.isDefault]),
        [
          [first.body.id, false],
          [second.body.id, true],
        ],
      );

      assert.deepEqual((await client.get('/api/v1/portal/autopay')).body, { enrolled: false, paymentMethodId: null });
      const on = await client.post('/api/v1/portal/autopay', { paymentMethodId: second.body.id });
      assert.equal(on.status, 200, JSON.stringify(on.body));
      assert.deepEqual(on.body, { enrolled: true, paymentMethodId: second.body.id });
      const staffView = await world.api.get(`/api/v1/customers/${customer.customerNumber}/autopay`);
      assert.equal(staffView.body.enrolled, true);
      assert.deepEqual((await client.delete('/api/v1/portal/autopay')).body, {
        enrolled: false,
        paymentMethodId: null,
      });
      assert.equal((await world.api.get(`/api/v1/customers/${customer.customerNumber}/autopay`)).body.enrolled, false);

      assert.equal((await client.delete(`/api/v1/portal/payment-methods/${first.body.id}`)).status, 204);
      assert.equal((await client.get('/api/v1/portal/payment-methods')).body.data.length, 1);

      const account = (await client.get('/api/v1/portal/account')).body;
      assert.equal(account.arBalance, 500);
      assert.deepEqual(
        account.invoices.map((i: { invoiceNumber: number; balance: number }) => [i.invoiceNumber, i.balance]),
        [[customer.invoiceNumber, 500]],
      );
    });

    it('refuses bad requests with problem+json naming the field, writes nothing, and cancels over HTTP', async () => {
      const customer = await world.addCustomer('Picky Validation');
      const other = await world.addCustomer('Someone Else');
      const base = {
        customerNumber: customer.customerNumber,
        contactId: customer.contactId,
        amount: 50,
        dueDate: '2099-01-01',
      };
      const cases: [Record<string, unknown>, number, string][] = [
        [{ contactId: other.contactId }, 422, 'contactId'],
        [{ contactId: 'not-a-uuid' }, 422, 'contactId'],
        [{ customerNumber: 999_999 }, 422, 'customerNumber'],
        [{ dueDate: '2001-01-01' }, 400, 'dueDate'],
        [{ dueDate: '2099-02-30' }, 400, 'dueDate'],
        [{ amount: 10.001 }, 400, 'amount'],
        [{ amount: 0 }, 400, 'amount'],
        [{ invoices: [{ invoiceNumber: customer.invoiceNumber, amount: 60 }] }, 422, 'amount'],
        [{ amount: 600, invoices: [{ invoiceNumber: customer.invoiceNumber, amount: 501 }] }, 422, 'invoices/0/amount'],
        [{ invoices: [{ invoiceNumber: other.invoiceNumber, amount: 5 }] }, 422, 'invoices/0/invoiceNumber'],
        [{ surprise: true }, 400, 'surprise'],
      ];
      for (const [change, status, path] of cases) {
        const res = await staff.post('/api/v1/payment-requests', { ...base, ...change });
        assert.equal(res.status, status, `${JSON.stringify(change)} → ${JSON.stringify(res.body)}`);
        assert.equal(res.headers.get('content-type'), 'application/problem+json; charset=utf-8');
        assert.ok(
          res.body.errors.some((e: { path: string }) => e.path === path),
          `${path} in ${JSON.stringify(res.body.errors)}`,
        );
      }
      const none = await world.api.get(`/api/v1/payment-requests?customerNumber=${customer.customerNumber}`);
      assert.deepEqual(none.body.data, []);

      for (const [patch, path] of [
        [{ backupEmail: 'not an address' }, 'backupEmail'],
        [{ paymentRequestExpiryDays: 366 }, 'paymentRequestExpiryDays'],
        [{ finalizeRestrictedToStaff: 'yes' }, 'finalizeRestrictedToStaff'],
      ] as const) {
        const res = await world.api.patch('/api/v1/settings/payments', patch);
        assert.equal(res.status, 400);
        assert.equal(res.body.errors[0].path, path);
      }

      const created = await request(customer, 50);
      const cancelled = await staff.post(
        `/api/v1/payment-requests/${created.id}/cancel`,
        { reason: 'asked by phone instead' },
        { 'idempotency-key': 'cancel-1' },
      );
      assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));
      assert.equal(cancelled.body.state, 'cancelled');
      assert.equal(cancelled.body.cancelReason, 'asked by phone instead');
      assert.equal((await staff.post(`/api/v1/payment-requests/${created.id}/cancel`, {})).status, 409);
      const client = await enroll(customer.email, created.id);
      const method = await client.post('/api/v1/portal/payment-methods', {
        token: await tokenizeCard(world.sandbox, CARD_SUCCEEDS),
      });
      const pay = await client.post(`/api/v1/portal/payment-requests/${created.id}/pay`, {
        paymentMethodId: method.body.id,
      });
      assert.equal(pay.status, 409);
      assert.match(pay.body.detail, /cancelled/);
      assert.equal((await client.get('/api/v1/portal/payments')).body.data.length, 0);
    });

    it('pays a request by ACH: in flight until the processor settles it, then paid', async () => {
      const customer = await world.addCustomer('Bank Payer');
      const created = await request(customer, 80);
      const client = await enroll(customer.email, created.id);
      const account = await client.post('/api/v1/portal/payment-methods', {
        token: await tokenizeBankAccount(world.sandbox, ACH_SETTLES, ACH_ROUTING_NUMBER),
      });
      assert.equal(account.status, 201, JSON.stringify(account.body));
      const paid = await client.post(`/api/v1/portal/payment-requests/${created.id}/pay`, {
        paymentMethodId: account.body.id,
      });
      assert.equal(paid.status, 201, JSON.stringify(paid.body));
      assert.equal(paid.body.state, 'executing');
      const waiting = (await staff.get(`/api/v1/payment-requests/${created.id}`)).body;
      assert.equal(waiting.state, 'requested');
      assert.deepEqual([waiting.payment.id, waiting.payment.state], [paid.body.id, 'executing']);
      assert.equal((await staff.post(`/api/v1/payment-requests/${created.id}/cancel`, {})).status, 409);
      world.sandbox.advanceDays(3);
      await world.sandbox.flushWebhooks();
      const settled = (await staff.get(`/api/v1/payment-requests/${created.id}`)).body;
      assert.equal(settled.state, 'paid');
      assert.equal(settled.payment.state, 'posted');
      assert.equal(await arBalance(customer.customerNumber), 500, 'held until finalized');
    });

    it('holds one-time portal payments to the account-wide min/max when the agency enforces them', async () => {
      const customer = await world.addCustomer('Bounded Payer');
      const created = await request(customer, 10);
      const client = await enroll(customer.email, created.id);
      const method = await client.post('/api/v1/portal/payment-methods', {
        token: await tokenizeCard(world.sandbox, CARD_SUCCEEDS),
      });
      assert.deepEqual((await client.get('/api/v1/portal/account')).body.checkout, {
        enforced: false,
        minAmount: null,
        maxAmount: null,
      });
      await world.api.patch('/api/v1/settings/payments', { enforceMinMaxSecureCheckout: true });
      try {
        // The one invoice is due in 2099: nothing is due yet, the payoff is $500.
        assert.deepEqual((await client.get('/api/v1/portal/account')).body.checkout, {
          enforced: true,
          minAmount: 0,
          maxAmount: 500,
        });
        const over = await client.post('/api/v1/portal/payments', { amount: 99_999, paymentMethodId: method.body.id });
        assert.equal(over.status, 422, JSON.stringify(over.body));
        assert.equal(over.body.errors[0].path, 'amount');
        assert.match(over.body.detail, /up to the payoff amount, \$500\.00/);
        assert.equal((await client.get('/api/v1/portal/payments')).body.data.length, 0, 'nothing was charged');
        const within = await client.post('/api/v1/portal/payments', { amount: 500, paymentMethodId: method.body.id });
        assert.equal(within.status, 201, JSON.stringify(within.body));
      } finally {
        await world.api.patch('/api/v1/settings/payments', { enforceMinMaxSecureCheckout: false });
      }
    });

    it('reads a request past due date + expiry days as expired: not payable, still cancellable', async () => {
      const customer = await world.addCustomer('Slow Payer');
      assert.equal((await world.api.patch('/api/v1/settings/payments', { paymentRequestExpiryDays: 2 })).status, 200);
      const created = await request(customer, 20);
      assert.equal(created.expiresOn, '2099-11-03');
      await world.api.patch('/api/v1/settings/payments', { paymentRequestExpiryDays: 30 });
      const client = await enroll(customer.email, created.id);
      const actor = await authenticatePortalSession(world.database.db, client.cookie.replace('pp_portal=', ''));
      assert.ok(actor);
      const db = world.database.db;
      const lastDay = new Date('2099-11-03T20:00:00Z');
      const dayAfter = new Date('2099-11-04T20:00:00Z');
      assert.equal((await paymentRequestById(db, world.agency.id, created.id, lastDay)).state, 'requested');
      assert.equal((await paymentRequestById(db, world.agency.id, created.id, dayAfter)).state, 'expired');
      const expired = await paymentRequestViews(db, world.agency.id, { state: 'expired' }, dayAfter);
      assert.ok(expired.some((r) => r.id === created.id));
      const stillOpen = await paymentRequestViews(db, world.agency.id, { state: 'requested' }, dayAfter);
      assert.ok(!stillOpen.some((r) => r.id === created.id));
      await assert.rejects(
        payPortalPaymentRequest(
          { db, processors: new Map(), jobs: noJobQueue },
          actor,
          created.id,
          { paymentMethodId: 'x' },
          dayAfter,
        ),
        /the payment request has expired/,
      );
      const cancelled = await cancelPaymentRequest(db, world.agency.actor, created.id, 'too late', dayAfter);
      assert.equal(cancelled.state, 'cancelled');
      assert.equal(cancelled.cancelReason, 'too late');
    });

    it('shows the eligibility refusal for a canceled policy, and a decline, as problem+json messages', async () => {
      const customer = await world.addCustomer('Canceled Policyholder');
      const db = world.database.db;
      await createInstallmentPlan(db, world.agency.actor, {
        name: `Annual ${customer.customerNumber}`,
        installments: 1,
        frequency: 'annual',
      });
      const policyNumber = `HO-${customer.customerNumber}`;
      await createPolicy(db, world.agency.actor, {
        customerNumber: customer.customerNumber,
        policyNumber,
        lineOfBusiness: 'Homeowners',
        effectiveDate: '2025-01-01',
        expirationDate: '2026-01-01',
        premiumCents: 90_000n,
        installmentPlan: `Annual ${customer.customerNumber}`,
        status: 'active',
      });
      const [installment] = await billPolicy(db, world.agency.actor, policyNumber);
      await transition(db, world.agency.actor, policyNumber, {
        to: 'canceled',
        reason: 'insured_request',
        effectiveDate: '2025-03-01',
      });
      const created = await request(customer, 100);
      const client = await enroll(customer.email, created.id);
      const method = await client.post('/api/v1/portal/payment-methods', {
        token: await tokenizeCard(world.sandbox, CARD_SUCCEEDS),
      });
      const refused = await client.post('/api/v1/portal/payments', {
        amount: 100,
        paymentMethodId: method.body.id,
        invoices: [{ invoiceNumber: installment!.invoiceNumber, amount: 100 }],
      });
      assert.equal(refused.status, 422, JSON.stringify(refused.body));
      assert.equal(refused.headers.get('content-type'), 'application/problem+json; charset=utf-8');
      assert.match(refused.body.detail, /This policy was canceled effective 2025-03-01/);

      const declinedCard = await client.post('/api/v1/portal/payment-methods', {
        token: await tokenizeCard(world.sandbox, CARD_DECLINED_INSUFFICIENT_FUNDS),
      });
      const declined = await client.post(`/api/v1/portal/payment-requests/${created.id}/pay`, {
        paymentMethodId: declinedCard.body.id,
      });
      assert.equal(declined.status, 422, JSON.stringify(declined.body));
      assert.match(declined.body.detail, /declined/);
      const [failed] = (await client.get('/api/v1/portal/payments')).body.data;
      assert.ok(['cancelled', 'failed'].includes(failed.state), failed.state);
      // The request stays open: the client may try another card.
      const retry = await client.post(`/api/v1/portal/payment-requests/${created.id}/pay`, {
        paymentMethodId: method.body.id,
      });
      assert.equal(retry.status, 201, JSON.stringify(retry.body));
    });
  });
}
