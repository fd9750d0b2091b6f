import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import {
  ACH_ROUTING_NUMBER,
  ACH_SETTLES,
  CARD_DECLINED_INSUFFICIENT_FUNDS,
  CARD_SUCCEEDS,
} from '../../src/processors/sandbox/test-numbers.ts';
import { createApiKey } from '../../src/services/api-keys.ts';
import { billPolicy } from '../../src/services/billing.ts';
import { createInstallmentPlan } from '../../src/services/installment-plans.ts';
import { noJobQueue } from '../../src/services/job-queue.ts';
import { cancelPaymentRequest } from '../../src/services/payment-request-cancellation.ts';
import { paymentRequestById, paymentRequestViews } from '../../src/services/payment-request-views.ts';
import { createPolicy, transition } from '../../src/services/policies.ts';
import { payPortalPaymentRequest } from '../../src/services/portal.ts';
import { authenticatePortalSession } from '../../src/services/portal-auth.ts';
import { databaseTargets } from '../support/db.ts';
import { apiClient } from '../support/http.ts';
import { portalLink, waitFor } from '../support/mail.ts';
import { tokenizeBankAccount, tokenizeCard } from '../support/payments.ts';
import { type PortalClient, type PortalWorld, portalClient, startPortalWorld } from '../support/portal.ts';

for (const target of databaseTargets()) {
  describe(`payment requests and the client portal on ${target}`, () => {
    let world: PortalWorld;
    let staff: ReturnType<typeof cookieClient>;
    const backup = 'backup@harbor.example';

    /** The staff console's client: signed in with the session cookie, like the web UI. */
    function cookieClient(url: string, cookie: string) {
      const api = apiClient(url);
      const withCookie = (headers: Record<string, string> = {}) => ({ cookie, ...headers });
      return {
        get: (path: string) => api.get(path, withCookie()),
        post: (path: string, body?: unknown, headers?: Record<string, string>) =>
          api.post(path, body ?? {}, withCookie(headers)),
      };
    }

    before(async () => {
      world = await startPortalWorld(target);
      const signIn = await fetch(`${world.url}/api/v1/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(world.agency.staff),
      });
      assert.equal(signIn.status, 200);
      staff = cookieClient(world.url, signIn.headers.getSetCookie()[0]!.split(';')[0]!);
      const patched = await world.api.patch('/api/v1/settings/payments', { backupEmail: backup });
      assert.equal(patched.status, 200);
      assert.equal(patched.body.backupEmail, backup);
    });
    after(async () => world?.close());

    async function enroll(email: string, requestId?: string): Promise<PortalClient> {
      const mail = await waitFor(`the e-mail to ${email}`, () =>
        world.smtp.messages.findLast(
          (m) => m.to.includes(email) && (!requestId || m.decoded.includes(`request=${requestId}`)),
        ),
      );
      const link = portalLink(mail);
      const client = portalClient(world.url);
      const redeemed = await client.post('/api/v1/portal/tokens/redeem', {
        agency: link.searchParams.get('agency'),
        token: link.searchParams.get('token'),
      });
      assert.equal(redeemed.status, 200, JSON.stringify(redeemed.body));
      return client;
    }

    async function request(customer: { customerNumber: number; contactId: string }, amount: number, extra = {}) {
      const res = await staff.post(
        '/api/v1/payment-requests',
        {
          customerNumber: customer.customerNumber,
          contactId: customer.contactId,
          amount,
          dueDate: '2099-11-01',
          ...extra,
        },
        { 'idempotency-key': `req-${Math.random()}` },
      );
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return res.body;
    }

    async function arBalance(customerNumber: number): Promise<number> {
      return (await world.api.get(`/api/v1/customers/${customerNumber}/account`)).body.arBalance;
    }

    it('request → e-mail over SMTP → enroll → pay by card → agency e-mails and activity → finalize → AR drops', async () => {
      const customer = await world.addCustomer('Jane Client');
      const key = 'create-request-1';
      const body = {
        customerNumber: customer.customerNumber,
        contactId: customer.contactId,
        amount: 200,
        dueDate: '2099-11-01',
        note: 'Down payment for Homeowners <Renewal>',
        invoices: [{ invoiceNumber: customer.invoiceNumber, amount: 200 }],
      };
      const created = await staff.post('/api/v1/payment-requests', body, { 'idempotency-key': key });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.equal(created.body.state, 'requested');
      assert.equal(created.body.expiresOn, '2099-12-01');
      assert.deepEqual(created.body.invoices, [{ invoiceNumber: customer.invoiceNumber, amount: 200 }]);
      const replay = await staff.post('/api/v1/payment-requests', body, { 'idempotency-key': key });
      assert.equal(replay.headers.get('idempotent-replayed'), 'true');
      assert.equal(replay.body.id, created.body.id);
      const id: string = created.body.id;

      const activities = (await world.api.get(`/api/v1/customers/${customer.customerNumber}/activities`)).body.data;
      const requested = activities.find((a: { kind: string }) => a.kind === 'payment_requested');
      // In words: the staff user by name (the id stays in `actor`).
      assert.match(requested.summary, /^Payment requested by Sam Staff: \$200\.00 due 2099-11-01 — Down payment/);
      assert.match(requested.actor, /^user:staff@/);
      assert.equal(requested.actorName, 'Sam Staff');

      // The contact is not enrolled: the e-mail starts enrollment, escaped in HTML.
      const mail = await waitFor('the request e-mail', () =>
        world.smtp.messages.find((m) => m.to.includes(customer.email)),
      );
      assert.match(mail.subject, /payment of \$200\.00 requested/);
      assert.match(mail.decoded, /not enrolled in our client portal yet/);
      assert.ok(mail.decoded.includes('Harbor &lt;Insurance&gt; &amp; Co'));
      assert.ok(mail.decoded.includes('Homeowners &lt;Renewal&gt;'));
      assert.ok(!/<Renewal>/.test(mail.decoded.split('text/html')[1] ?? ''), 'the note is escaped in HTML');
      const link = portalLink(mail);
      assert.equal(link.pathname, '/portal/enroll');
      assert.equal(link.searchParams.get('request'), id);

      const client = portalClient(world.url);
      const redeemed = await client.post('/api/v1/portal/tokens/redeem', {
        agency: link.searchParams.get('agency'),
        token: link.searchParams.get('token'),
      });
      assert.equal(redeemed.status, 200, JSON.stringify(redeemed.body));
      assert.equal(redeemed.body.paymentRequestId, id);
      assert.equal(redeemed.body.customer.customerNumber, customer.customerNumber);
      assert.equal(redeemed.body.hasPassword, false);
      const password = await client.post('/api/v1/portal/password', { password: 'a good long password' });
      assert.equal(password.body.hasPassword, true);

      const banner = await client.get('/api/v1/portal/payment-requests?state=requested');
      assert.deepEqual(
        banner.body.data.map((r: { id: string }) => r.id),
        [id],
      );

      // The card goes to the processor's tokenize endpoint; the portal saves only the token.
      const config = await client.get('/api/v1/portal/config');
      assert.equal(config.body.tokenizeUrl, `${world.sandbox.url}/v1/tokens`);
      const token = await tokenizeCard(world.sandbox, CARD_SUCCEEDS);
      const saved = await client.post('/api/v1/portal/payment-methods', { token }, { 'idempotency-key': 'pm-1' });
      assert.equal(saved.status, 201, JSON.stringify(saved.body));
      assert.equal(saved.body.last4, '4242');

      const paid = await client.post(
        `/api/v1/portal/payment-requests/${id}/pay`,
        { paymentMethodId: saved.body.id },
        { 'idempotency-key': 'pay-1' },
      );
      assert.equal(paid.status, 201, JSON.stringify(paid.body));
      assert.equal(paid.body.state, 'posted');
      assert.equal(paid.body.paymentRequestId, id);
      const payReplay = await client.post(
        `/api/v1/portal/payment-requests/${id}/pay`,
        { paymentMethodId: saved.body.id },
        { 'idempotency-key': 'pay-1' },
      );
      assert.equal(payReplay.headers.get('idempotent-replayed'), 'true');
      assert.equal(payReplay.body.id, paid.body.id);
      const again = await client.post(`/api/v1/portal/payment-requests/${id}/pay`, { paymentMethodId: saved.body.id });
      assert.equal(again.status, 409, 'a paid request cannot be paid twice');

      const afterPay = (await staff.get(`/api/v1/payment-requests/${id}`)).body;
      assert.equal(afterPay.state, 'paid');
      assert.equal(afterPay.payment.last4, '4242');
      // Collected but not finalized: held, not applied.
      assert.equal(await arBalance(customer.customerNumber), 500);

      for (const to of [world.producerEmail, world.csrEmail, backup, world.agency.staff.email]) {
        const sent = await waitFor(`"Payment sent" to ${to}`, () =>
          world.smtp.messages.find((m) => m.to.includes(to) && /^Payment sent/.test(m.subject)),
        );
        assert.match(sent.decoded, /Visa ending in 4242|Card ending in 4242/);
        assert.ok(!sent.decoded.includes(CARD_SUCCEEDS));
      }
      const receipt = await waitFor('the payer receipt', () =>
        world.smtp.messages.find((m) => m.to.includes(customer.email) && /^Receipt/.test(m.subject)),
      );
      assert.match(receipt.decoded, /\$200\.00/);
      const sentActivity = (await world.api.get(`/api/v1/customers/${customer.customerNumber}/activities`)).body.data;
      assert.ok(sentActivity.some((a: { kind: string }) => a.kind === 'payment_sent'));

      const finalized = await staff.post(
        `/api/v1/payment-requests/${id}/finalize`,
        { bankShortName: 'OPER' },
        { 'idempotency-key': 'fin-1' },
      );
      assert.equal(finalized.status, 200, JSON.stringify(finalized.body));
      assert.equal(finalized.body.state, 'finalized');
      assert.equal(typeof finalized.body.receiptNumber, 'number');
      assert.equal(await arBalance(customer.customerNumber), 300);
      const finalizeReplay = await staff.post(
        `/api/v1/payment-requests/${id}/finalize`,
        { bankShortName: 'OPER' },
        { 'idempotency-key': 'fin-1' },
      );
      assert.equal(finalizeReplay.headers.get('idempotent-replayed'), 'true');
      assert.equal(finalizeReplay.body.receiptNumber, finalized.body.receiptNumber);
      const twice = await staff.post(`/api/v1/payment-requests/${id}/finalize`, { bankShortName: 'OPER' });
      assert.equal(twice.status, 409);

      const held = await sql<{ account: string; total: bigint }>`
        SELECT account, sum(amount_cents)::int8 AS total FROM journal_lines
        WHERE account IN ('processor_clearing', 'payments_held', 'cash') GROUP BY account ORDER BY account`.execute(
        world.database.db,
      );
      assert.deepEqual(
        held.rows.map((r) => [r.account, r.total]),
        [
          ['cash', 20_000n],
          ['payments_held', 0n],
          ['processor_clearing', 0n],
        ],
      );
      const list = await world.api.get(`/api/v1/payment-requests?customerNumber=${customer.customerNumber}`);
      assert.deepEqual(
        list.body.data.map((r: { state: string }) => r.state),
        ['finalized'],
      );

      // The outbox shows every message, with its bodies.
      const emails = (await world.api.get('/api/v1/emails?limit=200')).body.data;
      const requestMail = emails.find((e: { kind: string; to: string }) => e.kind === 'payment_requested');
      const full = await world.api.get(`/api/v1/emails/${requestMail.id}`);
      assert.equal(full.status, 200);
      assert.match(full.body.html, /Make a Payment/);
      assert.equal(full.body.status, 'sent');
    });

    it('scopes a client to their own customer (id tampering → 404) and keeps them off staff routes', async () => {
      const alice = await world.addCustomer('Alice Own');
      const bob = await world.addCustomer('Bob Other');
      const aliceRequest = await request(alice, 50);
      const bobRequest = await request(bob, 60);
      const aliceClient = await enroll(alice.email, aliceRequest.id);
      const bobClient = await enroll(bob.email, bobRequest.id);
      // Idempotency keys are each client's own: the same key from two clients is two requests.
      const bobMethod = await bobClient.post(
        '/api/v1/portal/payment-methods',
        { token: await tokenizeCard(world.sandbox, CARD_SUCCEEDS) },
        { 'idempotency-key': 'same-key' },
      );
      assert.equal(bobMethod.status, 201);
      const aliceMethod = await aliceClient.post(
        '/api/v1/portal/payment-methods',
        { token: await tokenizeCard(world.sandbox, CARD_SUCCEEDS) },
        { 'idempotency-key': 'same-key' },
      );
      assert.equal(aliceMethod.status, 201, JSON.stringify(aliceMethod.body));
      assert.notEqual(aliceMethod.body.id, bobMethod.body.id);

      assert.equal((await aliceClient.get(`/api/v1/portal/payment-requests/${bobRequest.id}`)).status, 404);
      const tamperedPay = await aliceClient.post(`/api/v1/portal/payment-requests/${bobRequest.id}/pay`, {
        paymentMethodId: aliceMethod.body.id,
      });
      assert.equal(tamperedPay.status, 404);
      assert.equal(tamperedPay.headers.get('content-type'), 'application/problem+json; charset=utf-8');
      const withBobsCard = await aliceClient.post(`/api/v1/portal/payment-requests/${aliceRequest.id}/pay`, {
        paymentMethodId: bobMethod.body.id,
      });
      assert.equal(withBobsCard.status, 422);
      assert.equal(withBobsCard.body.errors[0].path, 'paymentMethodId');
      assert.equal((await aliceClient.post(`/api/v1/portal/payment-methods/${bobMethod.body.id}/default`)).status, 404);
      assert.equal((await aliceClient.delete(`/api/v1/portal/payment-methods/${bobMethod.body.id}`)).status, 404);
      const methods = (await aliceClient.get('/api/v1/portal/payment-methods')).body.data;
      assert.deepEqual(
        methods.map((m: { id: string }) => m.id),
        [aliceMethod.body.id],
      );
      await bobClient.post('/api/v1/portal/payments', { amount: 10, paymentMethodId: bobMethod.body.id });
      assert.equal((await aliceClient.get('/api/v1/portal/payments')).body.data.length, 0);
      const requests = (await aliceClient.get('/api/v1/portal/payment-requests')).body.data;
      assert.deepEqual(
        requests.map((r: { id: string }) => r.id),
        [aliceRequest.id],
      );
      // The portal cookie is no key to the staff API, even when sent as the staff cookie.
      const asStaff = await apiClient(world.url).get('/api/v1/customers', {
        cookie: aliceClient.cookie.replace('pp_portal=', 'pp_session='),
      });
      assert.equal(asStaff.status, 401);
      const staffRoute = await fetch(`${world.url}/api/v1/customers`, { headers: { cookie: aliceClient.cookie } });
      assert.equal(staffRoute.status, 401);
      // And a staff session is no key to the portal.
      assert.equal((await staff.get('/api/v1/portal/me')).status, 401);
    });

    it('lets an agent finalize unless the agency restricts it to staff (403 problem+json)', async () => {
      const customer = await world.addCustomer('Agent Case');
      const created = await request(customer, 75);
      const client = await enroll(customer.email, created.id);
      const method = await client.post('/api/v1/portal/payment-methods', {
        token: await tokenizeCard(world.sandbox, CARD_SUCCEEDS),
      });
      const paid = await client.post(`/api/v1/portal/payment-requests/${created.id}/pay`, {
        paymentMethodId: method.body.id,
      });
      assert.equal(paid.status, 201, JSON.stringify(paid.body));
      const key = await createApiKey(world.database.db, world.agency.actor, { name: 'agent', role: 'agent' });
      const agent = apiClient(world.url, key.key);
      assert.equal(
        (await world.api.patch('/api/v1/settings/payments', { finalizeRestrictedToStaff: true })).status,
        200,
      );
      const refused = await agent.post(`/api/v1/payment-requests/${created.id}/finalize`, { bankShortName: 'OPER' });
      assert.equal(refused.status, 403);
      assert.equal(refused.headers.get('content-type'), 'application/problem+json; charset=utf-8');
      assert.match(refused.body.detail, /only staff/);
      assert.equal((await staff.get(`/api/v1/payment-requests/${created.id}`)).body.state, 'paid');
      await world.api.patch('/api/v1/settings/payments', { finalizeRestrictedToStaff: false });
      const allowed = await agent.post(`/api/v1/payment-requests/${created.id}/finalize`, {
        bankShortName: 'OPER',
        applications: [{ amount: 75 }],
        description: 'Finalized by the agent',
      });
      assert.equal(allowed.status, 200, JSON.stringify(allowed.body));
      assert.equal(allowed.body.state, 'finalized');
    });

    it('e-mails the agency when a payment is charged back; a held request payment is released, not receipted', async () => {
      const customer = await world.addCustomer('Charged Back');
      const created = await request(customer, 30);
      const client = await enroll(customer.email, created.id);
      const method = await client.post('/api/v1/portal/payment-methods', {
        token: await tokenizeCard(world.sandbox, CARD_SUCCEEDS),
      });
      const oneTime = await client.post('/api/v1/portal/payments', {
        amount: 40,
        paymentMethodId: method.body.id,
      });
      assert.equal(oneTime.status, 201, JSON.stringify(oneTime.body));
      assert.equal(oneTime.body.state, 'posted');
      assert.equal(await arBalance(customer.customerNumber), 460, 'a one-time payment applies at once');
      const held = await client.post(`/api/v1/portal/payment-requests/${created.id}/pay`, {
        paymentMethodId: method.body.id,
      });
      assert.equal(held.status, 201);

      const reference = async (paymentId: string) =>
        (
          await world.database.db
            .selectFrom('payment_attempts')
            .select('processor_reference')
            .where('payment_id', '=', paymentId)
            .executeTakeFirstOrThrow()
        ).processor_reference!;
      world.sandbox.chargeback(await reference(oneTime.body.id));
      world.sandbox.chargeback(await reference(held.body.id));
      await world.sandbox.flushWebhooks();

      const payments = (await client.get('/api/v1/portal/payments')).body.data;
      assert.deepEqual(
        payments.map((p: { state: string }) => p.state),
        ['reversed', 'reversed'],
      );
      assert.equal(await arBalance(customer.customerNumber), 500, 'the receipt was reversed');
      const reopened = (await staff.get(`/api/v1/payment-requests/${created.id}`)).body;
      assert.equal(reopened.state, 'requested', 'the request can be paid again');
      const customerId = (
        await world.database.db
          .selectFrom('customers')
          .select('id')
          .where('agency_id', '=', world.agency.id)
          .where('customer_number', '=', customer.customerNumber)
          .executeTakeFirstOrThrow()
      ).id;
      const holds = await sql<{ total: bigint }>`
        SELECT coalesce(sum(amount_cents), 0)::int8 AS total FROM journal_lines
        WHERE customer_id = ${customerId} AND account = 'payments_held'`.execute(world.database.db);
      assert.equal(holds.rows[0]!.total, 0n);

      for (const to of [backup, world.producerEmail, world.csrEmail]) {
        const mails = await waitFor(`two reversal e-mails to ${to}`, () => {
          const found = world.smtp.messages.filter(
            (m) => m.to.includes(to) && /^Payment charged back: Charged Back/.test(m.subject),
          );
          return found.length === 2 ? found : undefined;
        });
        assert.ok(mails.every((m) => /ending in 4242/.test(m.decoded)));
      }
    });

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
