// Issue 20: a processor per agency. Two agencies with their own Stripe accounts and one with the
// sandbox, in one process: each charge, refund and webhook goes to (and is verified by) its own
// agency's account. The Stripe accounts are the local fake, told apart by the secret key each
// request carries.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { createBank } from '../../src/agency/banks.ts';
import { executePayment } from '../../src/payments/execution.ts';
import { runPaymentJanitor } from '../../src/payments/janitor.ts';
import { createProcessors } from '../../src/payments/processor-registry.ts';
import { type Sandbox, startSandbox } from '../../src/payments/processors/sandbox/server.ts';
import { CARD_SUCCEEDS } from '../../src/payments/processors/sandbox/test-numbers.ts';
import type { DatabaseHandle } from '../../src/platform/db/database.ts';
import type { App } from '../../src/platform/http/types.ts';
import { createLogger } from '../../src/platform/log/logger.ts';
import { databaseTargets, openTestDatabase } from '../support/db.ts';
import { createTestAgency, type TestAgency } from '../support/fixtures.ts';
import { type ApiClient, apiClient } from '../support/http.ts';
import { assertResponsesMatchedDocument, buildTestApp } from '../support/openapi.ts';
import { tokenizeCard } from '../support/payments.ts';
import { portalSessionFor } from '../support/portal.ts';
import { type FakeStripe, startFakeStripe } from './processors/fake-stripe.ts';

const SANDBOX_SECRET = 'whsec_test_agency_processors_sandbox';
const KEY_A = 'sk_test_agencyAlphaKey0000AAAA';
const KEY_B = 'sk_test_agencyBravoKey0000BBBB';
const KEY_A2 = 'sk_test_agencyAlphaRotated0A2A2';
const WEBHOOK_A = 'whsec_alphaSigningSecret0001';
const WEBHOOK_B = 'whsec_bravoSigningSecret0002';

interface Member {
  agency: TestAgency;
  api: ApiClient;
  customerNumber: number;
  /** Saved payment methods by token. */
  methods: Map<string, string>;
}

for (const target of databaseTargets()) {
  describe(`a processor per agency, on ${target}`, () => {
    let database: DatabaseHandle;
    let sandbox: Sandbox;
    let stripe: FakeStripe;
    let app: App;
    let url: string;
    let processors: ReturnType<typeof createProcessors>;
    let alpha: Member;
    let bravo: Member;
    let sandboxed: Member;
    let seq = 0;

    const member = async (name: string): Promise<Member> => {
      const agency = await createTestAgency(database.db, name);
      await createBank(database.db, agency.actor, { shortName: 'OPER', name: 'Operating', division: 'Main' });
      const api = apiClient(url, agency.apiKey);
      const customer = await api.post('/api/v1/customers', { type: 'individual', name: 'Jane Smith' });
      assert.equal(customer.status, 201, JSON.stringify(customer.body));
      return { agency, api, customerNumber: customer.body.customerNumber, methods: new Map() };
    };

    /** An open invoice, a payment of it with `token` (the agency's processor describes it), executed. */
    const payWith = async (who: Member, token: string, amount = 80, outcome = 'succeeded') => {
      const policyNumber = `AP-${++seq}`;
      const policy = await who.api.post('/api/v1/policies', {
        customerNumber: who.customerNumber,
        policyNumber,
        lineOfBusiness: 'Auto',
        effectiveDate: '2026-01-01',
        expirationDate: '2027-01-01',
        premium: amount,
        status: 'active',
      });
      assert.equal(policy.status, 201, JSON.stringify(policy.body));
      const invoice = await who.api.post('/api/v1/invoices', {
        customerNumber: who.customerNumber,
        policyNumber,
        dueDate: '2026-11-01',
        amount,
      });
      assert.equal(invoice.status, 201, JSON.stringify(invoice.body));
      // No `processor` named: the agency's own. A token is saved once per agency.
      if (!who.methods.has(token)) {
        const method = await who.api.post(`/api/v1/customers/${who.customerNumber}/payment-methods`, { token });
        assert.equal(method.status, 201, JSON.stringify(method.body));
        who.methods.set(token, method.body.id);
      }
      const payment = await who.api.post('/api/v1/payments', {
        customerNumber: who.customerNumber,
        type: 'card',
        amount,
        paymentMethodId: who.methods.get(token),
        targets: [{ invoiceNumber: invoice.body.invoiceNumber, amount }],
        channel: 'secure_checkout',
      });
      assert.equal(payment.status, 201, JSON.stringify(payment.body));
      const id = payment.body.id as string;
      const result = await executePayment(database.db, processors, id);
      assert.equal(result.status, outcome, JSON.stringify(result));
      const attempt = await sql<{ processor: string; key: string; reference: string }>`
        SELECT processor, idempotency_key AS key, processor_reference AS reference
          FROM payment_attempts WHERE payment_id = ${id}`.execute(database.db);
      return { id, attempt: attempt.rows[0]! };
    };

    /** The secret key each request to the fake Stripe carried, for requests matching `path`. */
    const keysSent = (path: RegExp) =>
      stripe.requests.filter((r) => r.method === 'POST' && path.test(r.path)).map((r) => r.headers.authorization);

    const sign = (payload: string, secret: string) => {
      const t = Math.floor(Date.now() / 1000);
      return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${payload}`).digest('hex')}`;
    };
    const disputeEvent = (id: string, paymentIntent: string) =>
      JSON.stringify({
        id,
        object: 'event',
        api_version: '2026-10-28.endive',
        created: Math.floor(Date.now() / 1000) - 5,
        data: { object: { id: `dp_${id}`, object: 'dispute', amount: 8000, payment_intent: paymentIntent } },
        livemode: false,
        pending_webhooks: 1,
        request: { id: null, idempotency_key: null },
        type: 'charge.dispute.created',
      });
    const postWebhook = (path: string, payload: string, secret: string) =>
      fetch(`${url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'stripe-signature': sign(payload, secret) },
        body: payload,
      }).then(async (r) => ({ status: r.status, body: await r.json() }));

    before(async () => {
      database = await openTestDatabase(target);
      sandbox = await startSandbox({ webhookSecret: SANDBOX_SECRET });
      stripe = await startFakeStripe({ secretKeys: [KEY_A, KEY_B, KEY_A2] });
      // The process default is the sandbox; its Stripe adapters (one per agency key) talk to the fake.
      processors = createProcessors({
        sandboxUrl: sandbox.url,
        sandboxWebhookSecret: SANDBOX_SECRET,
        sandboxTimeoutMs: 2_000,
        stripeApiBase: stripe.url,
        stripeTimeoutMs: 5_000,
      });
      app = await buildTestApp({ database, processors, logger: createLogger({ level: 'error' }) });
      url = await app.listen({ port: 0, host: '127.0.0.1' });
      alpha = await member('Alpha Agency');
      bravo = await member('Bravo Agency');
      sandboxed = await member('Sandbox Agency');
      const choose = async (who: Member, body: Record<string, unknown>) => {
        const res = await who.api.put('/api/v1/settings/processor', body);
        assert.equal(res.status, 200, JSON.stringify(res.body));
      };
      await choose(alpha, { kind: 'stripe', secretKey: KEY_A, webhookSecret: WEBHOOK_A });
      await choose(bravo, { kind: 'stripe', secretKey: KEY_B, webhookSecret: WEBHOOK_B });
      await choose(sandboxed, { kind: 'sandbox' });
    });
    after(async () => {
      await app.close();
      await stripe.close();
      await sandbox.close();
      await database.close();
      assertResponsesMatchedDocument(app);
    });

    it("charges each agency's payment on its own account: Stripe under its own key, or the sandbox", async () => {
      const a = await payWith(alpha, 'pm_card_visa', 80);
      const b = await payWith(bravo, 'pm_card_visa', 90);
      const s = await payWith(sandboxed, await tokenizeCard(sandbox, CARD_SUCCEEDS), 70);
      assert.deepEqual(keysSent(/^\/v1\/payment_intents$/), [`Bearer ${KEY_A}`, `Bearer ${KEY_B}`]);
      const intents = stripe.requests.filter((r) => r.path === '/v1/payment_intents' && r.method === 'POST');
      assert.deepEqual(
        intents.map((r) => [r.headers.authorization, r.form.amount]),
        [
          [`Bearer ${KEY_A}`, '8000'],
          [`Bearer ${KEY_B}`, '9000'],
        ],
      );
      assert.equal(a.attempt.processor, 'stripe');
      assert.equal(b.attempt.processor, 'stripe');
      assert.equal(s.attempt.processor, 'sandbox');
      assert.equal(sandbox.chargeCount(s.attempt.key), 1);
      for (const who of [alpha, bravo, sandboxed]) {
        const list = await who.api.get('/api/v1/payments?limit=10');
        assert.ok(list.body.data.every((p: { state: string }) => p.state === 'posted'));
      }
    });

    it("refunds on the account that took the money, under that agency's key", async () => {
      const b = await payWith(bravo, 'pm_card_visa', 60);
      const refund = await bravo.api.post(`/api/v1/payments/${b.id}/refunds`, { amount: 25 });
      assert.equal(refund.status, 201, JSON.stringify(refund.body));
      assert.deepEqual(keysSent(/^\/v1\/refunds$/), [`Bearer ${KEY_B}`]);
      const sent = stripe.requests.find((r) => r.path === '/v1/refunds');
      assert.equal(sent?.form.payment_intent, b.attempt.reference);
    });

    it('asks the janitor’s lookups of the attempt’s own agency account', async () => {
      // Account A created the PaymentIntent but the answer was lost: the outcome is unknown.
      const a = await payWith(alpha, 'pm_card_lostResponseAlways', 55, 'unknown');
      const before = stripe.requests.length;
      // The janitor's time (its first check is due after a delay): a clock passed in, not today's.
      const report = await runPaymentJanitor(database.db, processors, { now: new Date(Date.now() + 3_600_000) });
      const lookups = stripe.requests.slice(before).filter((r) => r.method === 'GET');
      assert.ok(lookups.length > 0, 'the janitor asked Stripe');
      assert.ok(lookups.every((r) => r.headers.authorization === `Bearer ${KEY_A}`));
      // Found in A's account (B's would answer "not found" and the payment would be charged again).
      assert.equal(report.resolved, 1, JSON.stringify(report));
      assert.equal((await alpha.api.get(`/api/v1/payments/${a.id}`)).body.state, 'posted');
    });

    it('verifies a Stripe webhook with the secret of the agency whose endpoint it came to', async () => {
      const a = await payWith(alpha, 'pm_card_visa', 40);
      const payload = disputeEvent('evt_alpha_dispute_1', a.attempt.reference);
      // Signed with A's secret, sent to B's endpoint: refused, nothing recorded.
      const wrong = await postWebhook(`/api/v1/webhooks/stripe/${bravo.agency.slug}`, payload, WEBHOOK_A);
      assert.equal(wrong.status, 401, JSON.stringify(wrong.body));
      // Signed with B's secret but about A's charge: B's endpoint matches only B's payments.
      const foreign = await postWebhook(
        `/api/v1/webhooks/stripe/${bravo.agency.id}`,
        disputeEvent('evt_b_1', a.attempt.reference),
        WEBHOOK_B,
      );
      assert.deepEqual(foreign, { status: 200, body: { received: true, outcome: 'unmatched' } });
      // The process-wide endpoint has no Stripe account here (the default is the sandbox).
      const processWide = await postWebhook('/api/v1/webhooks/stripe', payload, WEBHOOK_A);
      assert.equal(processWide.status, 404);
      // An agency on the sandbox has no Stripe endpoint.
      const none = await postWebhook(`/api/v1/webhooks/stripe/${sandboxed.agency.slug}`, payload, WEBHOOK_A);
      assert.equal(none.status, 404);
      const right = await postWebhook(`/api/v1/webhooks/stripe/${alpha.agency.slug}`, payload, WEBHOOK_A);
      assert.deepEqual(right, { status: 200, body: { received: true, outcome: 'reversed' } });
      const state = await alpha.api.get(`/api/v1/payments/${a.id}`);
      assert.equal(state.body.state, 'reversed');
    });

    it("serves the portal with the client's agency's processor: checkout config and the charge", async () => {
      const contact = await bravo.api.post(`/api/v1/customers/${bravo.customerNumber}/contacts`, {
        name: 'Jane Smith',
        email: 'jane.bravo@example.com',
      });
      assert.equal(contact.status, 201, JSON.stringify(contact.body));
      const client = await portalSessionFor(database, bravo.agency, url, {
        customerNumber: bravo.customerNumber,
        contactId: contact.body.id,
      });
      // Signed in: Bravo's own Stripe test account (test mode: sk_test_); anonymous: the server's sandbox.
      assert.deepEqual((await client.get('/api/v1/portal/config')).body, {
        processor: 'stripe',
        tokenizeUrl: null,
        testMode: true,
      });
      assert.equal((await apiClient(url).get('/api/v1/portal/config')).body.processor, 'sandbox');
      const method = await client.post('/api/v1/portal/payment-methods', { token: 'pm_card_visa_unattached' });
      assert.equal(method.status, 201, JSON.stringify(method.body));
      const before = stripe.requests.length;
      const paid = await client.post('/api/v1/portal/payments', { amount: 45, paymentMethodId: method.body.id });
      assert.equal(paid.status, 201, JSON.stringify(paid.body));
      const charges = stripe.requests
        .slice(before)
        .filter((r) => r.path === '/v1/payment_intents' && r.method === 'POST');
      assert.deepEqual(
        charges.map((r) => [r.headers.authorization, r.form.amount]),
        [[`Bearer ${KEY_B}`, '4500']],
      );
    });

    it('stores the secrets sealed, never in clear', async () => {
      const rows = await sql<{ agency_id: string; secret_key: string | null; webhook_secret: string | null }>`
        SELECT agency_id, secret_key, webhook_secret FROM agency_processors`.execute(database.db);
      const text = JSON.stringify(rows.rows);
      for (const secret of [KEY_A, KEY_B, WEBHOOK_A, WEBHOOK_B]) assert.ok(!text.includes(secret), secret);
      const alphaRow = rows.rows.find((r) => r.agency_id === alpha.agency.id);
      assert.match(alphaRow?.secret_key ?? '', /^ppenc:v1:/);
      assert.match(alphaRow?.webhook_secret ?? '', /^ppenc:v1:/);
    });

    it('uses a changed key from the next payment on (the built adapter is not kept)', async () => {
      // While an attempt's outcome is unknown, the account it was sent to cannot change (the janitor
      // would ask the new one, hear "not found" and charge again).
      const pending = await payWith(alpha, 'pm_card_visa', 35);
      await sql`UPDATE payment_attempts SET status = 'unknown' WHERE idempotency_key = ${pending.attempt.key}`.execute(
        database.db,
      );
      const refused = await alpha.api.put('/api/v1/settings/processor', { kind: 'stripe', secretKey: KEY_A2 });
      assert.equal(refused.status, 409, JSON.stringify(refused.body));
      assert.match(refused.body.detail, /no known outcome/);
      await sql`UPDATE payment_attempts SET status = 'succeeded' WHERE idempotency_key = ${pending.attempt.key}`.execute(
        database.db,
      );
      const saved = await alpha.api.put('/api/v1/settings/processor', { kind: 'stripe', secretKey: KEY_A2 });
      assert.equal(saved.status, 200, JSON.stringify(saved.body));
      // The webhook secret was left out: the stored one is kept.
      assert.equal(saved.body.webhookSecretLast4, WEBHOOK_A.slice(-4));
      const before = stripe.requests.length;
      await payWith(alpha, 'pm_card_visa', 30);
      const charges = stripe.requests
        .slice(before)
        .filter((r) => r.path === '/v1/payment_intents' && r.method === 'POST');
      assert.deepEqual(
        charges.map((r) => r.headers.authorization),
        [`Bearer ${KEY_A2}`],
      );
    });
  });
}
