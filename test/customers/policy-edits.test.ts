// Editing a policy through the API (PATCH /api/v1/policies/{n}): only what changes is written, the
// term stays a period, a billed policy keeps what billed it, an agent may edit as it may create,
// and every policy says which statuses its lifecycle allows next.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createApiKey } from '../../src/agency/api-keys.ts';
import { databaseTargets } from '../support/db.ts';
import { type ApiClient, apiClient } from '../support/http.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

function assertProblem(res: { status: number; headers: Headers; body: any }, status: number, path: string) {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.match(res.headers.get('content-type') ?? '', /application\/problem\+json/);
  assert.ok(
    res.body.errors?.some((e: { path: string }) => e.path === path),
    `${path} not named: ${JSON.stringify(res.body)}`,
  );
}

for (const target of databaseTargets()) {
  describe(`editing policies on ${target}`, () => {
    let server: TestServer;
    let api: ApiClient;
    let agent: ApiClient;

    before(async () => {
      server = await startTestServer({ target, web: false });
      api = apiClient(server.url, server.agency.apiKey);
      const key = await createApiKey(server.database.db, server.agency.actor, { name: 'desk', role: 'agent' });
      agent = apiClient(server.url, key.key);
      const plan = await api.post('/api/v1/installment-plans', {
        name: 'Quarterly',
        installments: 4,
        frequency: 'quarterly',
      });
      assert.equal(plan.status, 201, JSON.stringify(plan.body));
      for (const policyNumber of ['ED-1', 'ED-BILLED']) {
        const res = await api.post('/api/v1/policies', {
          customerNumber: server.seeded.customerNumber,
          policyNumber,
          lineOfBusiness: 'Auto',
          effectiveDate: '2026-01-01',
          expirationDate: '2027-01-01',
          premium: 1000,
          installmentPlan: 'Quarterly',
          status: 'active',
        });
        assert.equal(res.status, 201, JSON.stringify(res.body));
      }
      assert.equal((await api.post('/api/v1/policies/ED-BILLED/bill')).status, 201);
    });
    after(async () => server?.close());

    it('writes the changed terms and says where the policy may go next', async () => {
      const res = await api.patch('/api/v1/policies/ED-1', {
        lineOfBusiness: 'Home',
        premium: 1234.56,
        expirationDate: '2026-12-31',
        installmentPlan: null,
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.lineOfBusiness, 'Home');
      assert.equal(res.body.premium, 1234.56);
      assert.equal(res.body.expirationDate, '2026-12-31');
      assert.equal(res.body.effectiveDate, '2026-01-01');
      assert.equal(res.body.installmentPlan, null);
      assert.equal(res.body.status, 'active');
      assert.deepEqual(res.body.allowedTransitions, ['cancellation_pending', 'canceled', 'expired']);
      const again = await api.get('/api/v1/policies/ED-1');
      assert.equal(again.body.premium, 1234.56);
    });

    it('an agent edits as it creates, and the lifecycle answers follow the status', async () => {
      const res = await agent.patch('/api/v1/policies/ED-1', { lineOfBusiness: 'Boat' });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const pending = await agent.post('/api/v1/policies/ED-1/transitions', {
        to: 'cancellation_pending',
        reason: 'non_pay',
      });
      assert.equal(pending.status, 200, JSON.stringify(pending.body));
      assert.deepEqual(pending.body.allowedTransitions, ['active', 'canceled']);
    });

    it('refuses a term that is not a period, naming the field, and writes nothing', async () => {
      assertProblem(await api.patch('/api/v1/policies/ED-1', { expirationDate: '2025-06-01' }), 400, 'expirationDate');
      assertProblem(await api.patch('/api/v1/policies/ED-1', { effectiveDate: '2027-06-01' }), 400, 'effectiveDate');
      assertProblem(await api.patch('/api/v1/policies/ED-1', { effectiveDate: '2026-02-30' }), 400, 'effectiveDate');
      assertProblem(await api.patch('/api/v1/policies/ED-1', { premium: -1 }), 400, 'premium');
      assertProblem(await api.patch('/api/v1/policies/ED-1', { installmentPlan: 'Weekly' }), 422, 'installmentPlan');
      assertProblem(await api.patch('/api/v1/policies/ED-1', { status: 'canceled' }), 400, 'status');
      const res = await api.get('/api/v1/policies/ED-1');
      assert.equal(res.body.expirationDate, '2026-12-31');
      assert.equal(res.body.effectiveDate, '2026-01-01');
    });

    it('a billed policy keeps its premium, plan and effective date; its line of business may change', async () => {
      assertProblem(await api.patch('/api/v1/policies/ED-BILLED', { premium: 999 }), 422, 'premium');
      assertProblem(await api.patch('/api/v1/policies/ED-BILLED', { installmentPlan: null }), 422, 'installmentPlan');
      const same = await api.patch('/api/v1/policies/ED-BILLED', { premium: 1000, lineOfBusiness: 'Commercial Auto' });
      assert.equal(same.status, 200, JSON.stringify(same.body));
      assert.equal(same.body.lineOfBusiness, 'Commercial Auto');
      assert.equal(same.body.premium, 1000);
    });

    it("another agency's policy is not found", async () => {
      const res = await api.patch('/api/v1/policies/NOPE-1', { lineOfBusiness: 'Home' });
      assert.equal(res.status, 404);
    });
  });
}
