// Socotra's autopay (seed 003), issue 16 item 8: installments and invoices with their autopay times,
// and bad installments refused. Plugins and extension data: autopay-fidelity-plugins.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadAutopayPlugin } from '../../src/autopay/plugins/plugin.ts';
import { databaseTargets } from '../support/db.ts';
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
  });
}
