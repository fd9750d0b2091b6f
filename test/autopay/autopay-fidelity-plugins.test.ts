// Socotra's autopay (seed 003), issue 16 item 8: plugins that collect outside policypay, extension
// data, the plugin chosen per agency, the README's worked example. Billing: autopay-fidelity-billing.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { createApiKey } from '../../src/agency/api-keys.ts';
import externalCollector from '../../src/autopay/plugins/examples/external-collector.ts';
import { loadAutopayPlugin } from '../../src/autopay/plugins/plugin.ts';
import { autopayPluginNames, findAutopayPlugin } from '../../src/autopay/plugins/registry.ts';
import type { AutopayPlugin } from '../../src/autopay/rules/autopay.ts';
import { systemActor } from '../../src/kernel/actor.ts';
import { databaseTargets } from '../support/db.ts';
import { apiClient } from '../support/http.ts';
import { type PaymentsWorld, startPaymentsWorld } from '../support/payments.ts';
import { AUTOPAY_TIME, type Collector, fidelityScenarios, startCollector } from '../support/worlds/autopay-fidelity.ts';

for (const target of databaseTargets()) {
  describe(`Socotra autopay fidelity (seed 003) on ${target}`, () => {
    let world: PaymentsWorld;
    let collector: Collector;
    const { scenario } = fidelityScenarios(() => ({ world, target }));

    before(async () => {
      world = await startPaymentsWorld(target);
      collector = await startCollector();
      process.env.EXTERNAL_COLLECTOR_URL = collector.url;
      // As the README plugs it in: AUTOPAY_PLUGINS names the module, registered by its exported name.
      await loadAutopayPlugin({ AUTOPAY_PLUGINS: './src/autopay/plugins/examples/external-collector.ts' });
    });
    after(async () => {
      await collector?.close();
      await world?.close();
    });

    it('a plugin that collected the money itself creates a Payment in posted state, with its receipt and extension data', async () => {
      const s = await scenario();
      await s.enroll();
      const policyNumber = await s.policy();
      const invoice = (await s.api.post(`/api/v1/policies/${policyNumber}/bill`)).body.installments[0].invoiceNumber;
      const collected: AutopayPlugin = async (due, context) => ({
        payment: {
          state: 'posted',
          extension: { processor: 'lockbox', reference: `LB-${due.invoiceNumber}`, firing: context.firing?.id ?? null },
        },
      });
      const run = await s.pass(AUTOPAY_TIME, collected);
      assert.deepEqual({ fired: run.fired, receiptsPosted: run.receiptsPosted }, { fired: 1, receiptsPosted: 1 });
      const payments = await s.payments();
      assert.equal(payments.length, 1);
      const payment = (await s.api.get(`/api/v1/payments/${payments[0]!.id}`)).body;
      assert.equal(payment.state, 'posted');
      assert.equal(payment.channel, 'autopay');
      assert.equal(payment.amount, 100);
      assert.equal(payment.paymentMethodId, s.methodId);
      assert.equal(payment.attempts, 0);
      assert.deepEqual(
        payment.transitions.map((t: { from: string | null; to: string }) => [t.from, t.to]),
        [[null, 'posted']],
      );
      assert.equal(payment.extension.processor, 'lockbox');
      assert.equal(payment.extension.reference, `LB-${invoice}`);
      assert.equal(typeof payment.extension.firing, 'string');
      // Its activity says the money was collected, not requested.
      const activities = (await s.api.get(`/api/v1/customers/${s.customerNumber}/activities`)).body.data as {
        summary: string;
      }[];
      assert.ok(
        activities.some((a) => /^Card payment of \$100\.00 collected outside policypay, recorded by /.test(a.summary)),
        JSON.stringify(activities.map((a) => a.summary)),
      );
      // The receipt is the payment's: same number on the firing and the payment, the invoice paid.
      const status = (await s.api.get(`/api/v1/invoices/${invoice}/autopay`)).body;
      assert.equal(status.firing.status, 'receipt_posted');
      assert.equal(status.firing.paymentId, payment.id);
      assert.equal(payment.receiptNumber, status.firing.receiptNumber);
      assert.equal((await s.api.get(`/api/v1/invoices/${invoice}`)).body.balance, 0);
      const receipt = (await s.api.get(`/api/v1/receipts/${payment.receiptNumber}`)).body;
      assert.equal(receipt.receiptAmount, 100);
      assert.equal(receipt.paymentCheckType, 'CreditCard');
      // Never charged here, so not refunded here: a clear 409, not a 500.
      const refund = await s.api.post(`/api/v1/payments/${payment.id}/refunds`, { amount: 10 });
      assert.equal(refund.status, 409, JSON.stringify(refund.body));
      assert.match(refund.body.detail, /collected outside policypay/);
      // Nothing for the execution service: no attempt, nothing due.
      const attempts = await sql<{ n: bigint }>`SELECT count(*) AS n FROM payment_attempts
        WHERE payment_id = ${payment.id}`.execute(world.database.db);
      assert.equal(attempts.rows[0]!.n, 0n);
    });

    it("stores and returns a payment's extension data, and refuses extension data that is not a small JSON object", async () => {
      const s = await scenario();
      const policyNumber = await s.policy();
      const invoice = (await s.api.post(`/api/v1/policies/${policyNumber}/bill`)).body.installments[0].invoiceNumber;
      const body = {
        customerNumber: s.customerNumber,
        type: 'card',
        amount: 10,
        paymentMethodId: s.methodId,
        targets: [{ invoiceNumber: invoice, amount: 10 }],
        channel: 'agent_sweep',
        state: 'draft',
      };
      const extension = { crm: { id: 'opp-7', tags: ['renewal'] }, note: 'ok', n: 1.5, flag: true, none: null };
      const created = await s.api.post('/api/v1/payments', { ...body, extension });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.deepEqual(created.body.extension, extension);
      assert.deepEqual((await s.api.get(`/api/v1/payments/${created.body.id}`)).body.extension, extension);
      const plain = await s.api.post('/api/v1/payments', body);
      assert.deepEqual(plain.body.extension, {});
      const before = (await s.payments()).length;
      for (const bad of [['a list'], 'text', 7, { big: 'x'.repeat(9_000) }]) {
        const res = await s.api.post('/api/v1/payments', { ...body, extension: bad });
        assert.equal(res.status, 400, JSON.stringify(res.body));
        assert.equal(res.body.errors[0].path, 'extension', JSON.stringify(res.body));
      }
      assert.equal((await s.payments()).length, before);
      // A plugin's extension data is checked the same way: too big fails the firing with the reason.
      await s.enroll();
      const run = await s.pass(AUTOPAY_TIME, async () => ({ payment: { extension: { big: 'x'.repeat(9_000) } } }));
      assert.equal(run.failed, 1);
      const status = (await s.api.get(`/api/v1/invoices/${invoice}/autopay`)).body;
      assert.match(status.firing.error, /extension.*8192 bytes/);
    });

    it('the plugin is chosen per agency by registered name; unknown names are refused', async () => {
      const s = await scenario();
      const other = await scenario();
      assert.ok(autopayPluginNames().includes('external-collector'));
      assert.equal(findAutopayPlugin('external-collector'), externalCollector);
      const setting = await s.api.get('/api/v1/autopay/plugin');
      assert.deepEqual(setting.body, { plugin: null, registered: ['default', 'external-collector'] });

      const settings = async () =>
        (
          await sql<{
            settings: Record<string, unknown>;
          }>`SELECT settings FROM agencies WHERE id = ${s.agencyId}`.execute(world.database.db)
        ).rows[0]!.settings;
      const before = await settings();
      for (const [body, status, path] of [
        [{ plugin: 'no-such-plugin' }, 422, 'plugin'],
        [{ plugin: '' }, 400, 'plugin'],
        [{ plugin: 7 }, 400, 'plugin'],
        [{}, 400, 'plugin'],
        [{ plugin: 'default', extra: 1 }, 400, 'extra'],
      ] as const) {
        const res = await s.api.put('/api/v1/autopay/plugin', body);
        assert.equal(res.status, status, JSON.stringify(res.body));
        assert.match(res.headers.get('content-type') ?? '', /problem\+json/);
        assert.equal(res.body.errors[0].path, path, JSON.stringify(res.body));
      }
      const unknown = await s.api.put('/api/v1/autopay/plugin', { plugin: 'no-such-plugin' });
      assert.match(unknown.body.detail, /registered: default, external-collector/);
      const agentKey = await createApiKey(world.database.db, systemActor(s.agencyId, 'test'), {
        name: 'agent',
        role: 'agent',
      });
      const agent = apiClient(world.url, agentKey.key);
      assert.equal((await agent.put('/api/v1/autopay/plugin', { plugin: 'external-collector' })).status, 403);
      assert.deepEqual(await settings(), before, 'nothing written');

      const chosen = await s.api.put('/api/v1/autopay/plugin', { plugin: 'external-collector' });
      assert.equal(chosen.status, 200, JSON.stringify(chosen.body));
      assert.equal(chosen.body.plugin, 'external-collector');
      assert.equal((await s.api.get('/api/v1/autopay/plugin')).body.plugin, 'external-collector');
      assert.equal((await other.api.get('/api/v1/autopay/plugin')).body.plugin, null);

      // The worked example runs for this agency (collecting through the outside service, once per
      // firing), while the other agency keeps the default plugin's requested card payment.
      for (const agency of [s, other]) {
        await agency.enroll();
        const policyNumber = await agency.policy();
        assert.equal((await agency.api.post(`/api/v1/policies/${policyNumber}/bill`)).status, 201);
      }
      const run = await s.pass(AUTOPAY_TIME);
      assert.deepEqual({ fired: run.fired, receiptsPosted: run.receiptsPosted }, { fired: 1, receiptsPosted: 1 });
      const [posted] = await s.payments();
      assert.equal(posted!.state, 'posted');
      assert.equal(posted!.extension.collector, 'external-collector');
      assert.match(posted!.extension.reference, /^EXT-\d+-\d+$/);
      assert.ok(collector.keys.includes(posted!.extension.firingId));
      const otherRun = await other.pass(AUTOPAY_TIME);
      assert.equal(otherRun.paymentsCreated, 1);
      assert.equal((await other.payments())[0]!.state, 'requested');

      // Back to the server's plugin.
      const cleared = await s.api.put('/api/v1/autopay/plugin', { plugin: null });
      assert.equal(cleared.status, 200);
      assert.equal(cleared.body.plugin, null);
    });

    it('the worked example takes no payment when the outside service declines', async () => {
      const s = await scenario();
      await s.enroll();
      assert.equal((await s.api.put('/api/v1/autopay/plugin', { plugin: 'external-collector' })).status, 200);
      const policyNumber = await s.policy();
      await s.api.post(`/api/v1/policies/${policyNumber}/bill`);
      collector.declineAll();
      const run = await s.pass(AUTOPAY_TIME);
      assert.deepEqual({ fired: run.fired, noPayment: run.noPayment }, { fired: 1, noPayment: 1 });
      assert.equal((await s.payments()).length, 0);
    });

    it('an agency whose chosen plugin this process lacks gets failed firings saying so, no other plugin', async () => {
      const s = await scenario();
      await s.enroll();
      await sql`UPDATE agencies SET settings = settings || '{"autopay": {"plugin": "gone-plugin"}}'::jsonb
        WHERE id = ${s.agencyId}`.execute(world.database.db);
      const policyNumber = await s.policy();
      const invoice = (await s.api.post(`/api/v1/policies/${policyNumber}/bill`)).body.installments[0].invoiceNumber;
      const run = await s.pass(AUTOPAY_TIME);
      assert.equal(run.failed, 1);
      assert.equal((await s.payments()).length, 0);
      const status = (await s.api.get(`/api/v1/invoices/${invoice}/autopay`)).body;
      assert.match(status.firing.error, /"gone-plugin" is not registered in this process/);
    });
  });
}
