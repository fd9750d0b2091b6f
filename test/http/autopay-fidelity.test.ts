import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import externalCollector from '../../src/autopay/examples/external-collector.ts';
import { loadAutopayPlugin } from '../../src/autopay/plugin.ts';
import { autopayPluginNames, findAutopayPlugin } from '../../src/autopay/registry.ts';
import type { AutopayPlugin } from '../../src/domain/autopay.ts';
import { CARD_SUCCEEDS } from '../../src/processors/sandbox/test-numbers.ts';
import { systemActor } from '../../src/services/actor.ts';
import { createApiKey } from '../../src/services/api-keys.ts';
import { runAutopayPass } from '../../src/services/autopay.ts';
import { createBank } from '../../src/services/banks.ts';
import { databaseTargets } from '../support/db.ts';
import { createTestAgency } from '../support/fixtures.ts';
import { apiClient } from '../support/http.ts';
import { type PaymentsWorld, startPaymentsWorld, tokenizeCard } from '../support/payments.ts';

// Issue 16 item 8: Socotra's autopay (seed 003) statement by statement. The agency is in
// America/Chicago with the default autopay hour (06:00); plan "Monthly 5" has 5 lead days, so an
// installment due 2026-03-10 has its autopay time 2026-03-05 06:00 CST = 12:00 UTC.
const AUTOPAY_TIME = new Date('2026-03-05T12:00:00Z');

/** The outside payment service of the README's worked example: collects once per idempotency key. */
async function startCollector() {
  const keys: string[] = [];
  let decline = false;
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      const key = String(request.headers['idempotency-key']);
      if (decline) {
        response.writeHead(402).end();
        return;
      }
      if (!keys.includes(key)) keys.push(key);
      const { invoiceNumber } = JSON.parse(body) as { invoiceNumber: number };
      response
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ reference: `EXT-${invoiceNumber}-${keys.indexOf(key) + 1}` }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    keys,
    declineAll: () => {
      decline = true;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

for (const target of databaseTargets()) {
  describe(`Socotra autopay fidelity (seed 003) on ${target}`, () => {
    let world: PaymentsWorld;
    let collector: Awaited<ReturnType<typeof startCollector>>;
    let agencies = 0;

    before(async () => {
      world = await startPaymentsWorld(target);
      collector = await startCollector();
      process.env.EXTERNAL_COLLECTOR_URL = collector.url;
      // As the README plugs it in: AUTOPAY_PLUGINS names the module, registered by its exported name.
      await loadAutopayPlugin({ AUTOPAY_PLUGINS: './src/autopay/examples/external-collector.ts' });
    });
    after(async () => {
      await collector?.close();
      await world?.close();
    });

    async function scenario() {
      const db = world.database.db;
      const agency = await createTestAgency(db, `Fidelity Autopay ${++agencies}`);
      await createBank(db, agency.actor, { shortName: 'OPER', name: 'Operating', division: 'Main' });
      const api = apiClient(world.url, agency.apiKey);
      for (const plan of [
        { name: 'Monthly 5', installments: 3, frequency: 'monthly', autopayLeadDays: 5 },
        { name: 'Monthly manual', installments: 3, frequency: 'monthly' },
      ]) {
        assert.equal((await api.post('/api/v1/installment-plans', plan)).status, 201);
      }
      const customerNumber = (await api.post('/api/v1/customers', { type: 'individual', name: 'Jane Smith' })).body
        .customerNumber as number;
      const token = await tokenizeCard(world.sandbox, CARD_SUCCEEDS);
      const method = await api.post(`/api/v1/customers/${customerNumber}/payment-methods`, {
        processor: 'sandbox',
        token,
      });
      assert.equal(method.status, 201, JSON.stringify(method.body));
      let policies = 0;
      const s = {
        agencyId: agency.id,
        api,
        customerNumber,
        methodId: method.body.id as string,
        enroll: async () =>
          assert.equal(
            (await api.post(`/api/v1/customers/${customerNumber}/autopay`, { paymentMethodId: s.methodId })).status,
            200,
          ),
        /** A policy on a plan, not billed; returns its number. */
        policy: async (plan = 'Monthly 5') => {
          const policyNumber = `SF-${agency.id.slice(0, 4)}-${++policies}`;
          const created = await api.post('/api/v1/policies', {
            customerNumber,
            policyNumber,
            lineOfBusiness: 'Auto',
            effectiveDate: '2026-03-10',
            expirationDate: '2027-03-10',
            premium: 300,
            status: 'active',
            installmentPlan: plan,
          });
          assert.equal(created.status, 201, JSON.stringify(created.body));
          return policyNumber;
        },
        pass: (now: Date, plugin?: AutopayPlugin) =>
          runAutopayPass(world.database.db, systemActor(agency.id, 'autopay'), {
            now,
            plugin,
            trigger: 'manual',
            concurrency: target === 'postgres' ? 4 : 1,
          }),
        invoices: async () =>
          Number(
            (await sql<{ n: bigint }>`SELECT count(*) AS n FROM invoices WHERE agency_id = ${agency.id}`.execute(db))
              .rows[0]!.n,
          ),
        payments: async () =>
          (await api.get(`/api/v1/payments?customerNumber=${customerNumber}`)).body.data as Record<string, any>[],
      };
      return s;
    }

    it('installments are readable through the API with their autopay time (billing: one per invoice)', async () => {
      const s = await scenario();
      const policyNumber = await s.policy();
      const billed = await s.api.post(`/api/v1/policies/${policyNumber}/bill`);
      assert.equal(billed.status, 201, JSON.stringify(billed.body));
      const first = billed.body.installments[0].invoiceNumber as number;
      const res = await s.api.get(`/api/v1/invoices/${first}/installments`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(res.body, {
        invoiceNumber: first,
        autopayTime: AUTOPAY_TIME.toISOString(),
        data: [
          { policyNumber, sequence: 1, dueDate: '2026-03-10', amount: 100, autopayTime: AUTOPAY_TIME.toISOString() },
        ],
      });
      assert.equal((await s.api.get('/api/v1/invoices/987654/installments')).status, 404);
      assert.equal((await s.api.get('/api/v1/invoices/abc/installments')).status, 400);
    });

    it('an invoice with several installments takes the earliest autopay time of them', async () => {
      const s = await scenario();
      const policyNumber = await s.policy();
      // Given later one first, so "the first installment" and "the earliest" differ.
      const res = await s.api.post('/api/v1/invoices', {
        customerNumber: s.customerNumber,
        policyNumber,
        dueDate: '2026-03-10',
        amount: 150,
        installments: [
          { dueDate: '2026-04-10', amount: 100 },
          { dueDate: '2026-03-10', amount: 50 },
        ],
      });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.equal(res.body.autopayTime, AUTOPAY_TIME.toISOString());
      const installments = await s.api.get(`/api/v1/invoices/${res.body.invoiceNumber}/installments`);
      assert.equal(installments.status, 200);
      assert.deepEqual(
        installments.body.data.map((i: Record<string, unknown>) => [i.sequence, i.dueDate, i.amount, i.autopayTime]),
        [
          [2, '2026-03-10', 50, '2026-03-05T12:00:00.000Z'],
          // 04-05 06:00 is daylight time in Chicago: 11:00 UTC.
          [1, '2026-04-10', 100, '2026-04-05T11:00:00.000Z'],
        ],
      );
      assert.equal(installments.body.autopayTime, AUTOPAY_TIME.toISOString());
      // The route honours Idempotency-Key: the same import sent twice is one invoice.
      const body = {
        customerNumber: s.customerNumber,
        policyNumber,
        dueDate: '2026-05-10',
        amount: 20,
        installments: [{ dueDate: '2026-05-10', amount: 20 }],
      };
      const once = await s.api.post('/api/v1/invoices', body, { 'idempotency-key': 'import-1' });
      const count = await s.invoices();
      const twice = await s.api.post('/api/v1/invoices', body, { 'idempotency-key': 'import-1' });
      assert.equal(twice.headers.get('idempotent-replayed'), 'true');
      assert.equal(twice.body.invoiceNumber, once.body.invoiceNumber);
      assert.equal(await s.invoices(), count);
    });

    it('invoices created directly (imported AR) get their autopay time from their plan, and fire', async () => {
      const s = await scenario();
      await s.enroll();
      const onPlan = await s.api.post('/api/v1/invoices', {
        customerNumber: s.customerNumber,
        policyNumber: await s.policy(),
        dueDate: '2026-03-10',
        amount: 75,
      });
      assert.equal(onPlan.status, 201, JSON.stringify(onPlan.body));
      assert.equal(onPlan.body.autopayTime, AUTOPAY_TIME.toISOString());
      // A plan without lead days, or no policy at all: no autopay time, as billing would give.
      const manual = await s.api.post('/api/v1/invoices', {
        customerNumber: s.customerNumber,
        policyNumber: await s.policy('Monthly manual'),
        dueDate: '2026-03-10',
        amount: 75,
      });
      assert.equal(manual.body.autopayTime, null);
      const noPolicy = await s.api.post('/api/v1/invoices', {
        customerNumber: s.customerNumber,
        dueDate: '2026-03-10',
        amount: 75,
      });
      assert.equal(noPolicy.body.autopayTime, null);
      const run = await s.pass(AUTOPAY_TIME);
      assert.deepEqual({ fired: run.fired, paymentsCreated: run.paymentsCreated }, { fired: 1, paymentsCreated: 1 });
      const [payment] = await s.payments();
      assert.deepEqual(payment!.targets, [{ invoiceNumber: onPlan.body.invoiceNumber, amount: 75 }]);
      assert.equal(payment!.state, 'requested');
    });

    it('refuses bad installments with problem+json naming the field, and writes nothing', async () => {
      const s = await scenario();
      const policyNumber = await s.policy();
      const base = { customerNumber: s.customerNumber, policyNumber, dueDate: '2026-03-10', amount: 150 };
      const cases: [string, Record<string, unknown>, string][] = [
        [
          'no policy',
          { ...base, policyNumber: undefined, installments: [{ dueDate: '2026-03-10', amount: 150 }] },
          'installments',
        ],
        ['wrong total', { ...base, installments: [{ dueDate: '2026-03-10', amount: 100 }] }, 'installments'],
        ['empty list', { ...base, installments: [] }, 'installments'],
        ['bad date', { ...base, installments: [{ dueDate: '2026-02-30', amount: 150 }] }, 'installments/0/dueDate'],
        [
          'zero amount',
          {
            ...base,
            installments: [
              { dueDate: '2026-03-10', amount: 0 },
              { dueDate: '2026-04-10', amount: 150 },
            ],
          },
          'installments/0/amount',
        ],
        [
          'unknown field',
          { ...base, installments: [{ dueDate: '2026-03-10', amount: 150, autopayTime: 'x' }] },
          'installments/0/autopayTime',
        ],
      ];
      const before = await s.invoices();
      for (const [name, body, path] of cases) {
        const res = await s.api.post('/api/v1/invoices', body);
        assert.equal(res.status, 400, `${name}: ${JSON.stringify(res.body)}`);
        assert.match(res.headers.get('content-type') ?? '', /problem\+json/);
        assert.ok(
          res.body.errors.some((e: { path: string }) => e.path === path),
          `${name}: ${JSON.stringify(res.body.errors)}`,
        );
      }
      assert.equal(await s.invoices(), before);
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
