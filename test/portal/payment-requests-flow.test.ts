// Payment requests end to end: request → e-mail → enroll → pay → finalize, a client kept to their own
// customer, agents finalizing, chargebacks. The portal's other paths: payment-requests-portal.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { createApiKey } from '../../src/agency/api-keys.ts';
import { CARD_SUCCEEDS } from '../../src/payments/processors/sandbox/test-numbers.ts';
import { databaseTargets } from '../support/db.ts';
import { apiClient } from '../support/http.ts';
import { portalLink, waitFor } from '../support/mail.ts';
import { tokenizeCard } from '../support/payments.ts';
import { type PortalWorld, portalClient, startPortalWorld } from '../support/portal.ts';
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
  });
}
