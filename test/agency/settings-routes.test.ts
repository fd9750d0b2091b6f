// The settings routes the console's sections use, over HTTP on both databases: editing banks and
// installment plans, who may use which bank, and the portal branding. Refusals are problem+json
// naming the field and write nothing; another agency's records are not found; agents may not.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { databaseTargets } from '../support/db.ts';
import { createTestAgency } from '../support/fixtures.ts';
import { type ApiClient, apiClient } from '../support/http.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

for (const target of databaseTargets()) {
  describe(`settings routes on ${target}`, () => {
    let server: TestServer;
    let api: ApiClient;
    let otherApi: ApiClient;

    before(async () => {
      server = await startTestServer({ target, web: false });
      api = apiClient(server.url, server.agency.apiKey);
      otherApi = apiClient(server.url, (await createTestAgency(server.database.db, 'Other Agency')).apiKey);
    });
    after(async () => server?.close());

    it('edits an installment plan: bad lead days are named, null turns autopay off, names stay unique', async () => {
      const plan = (
        await api.post('/api/v1/installment-plans', {
          name: 'Quarterly',
          installments: 4,
          frequency: 'quarterly',
          autopayLeadDays: 3,
        })
      ).body;
      await api.post('/api/v1/installment-plans', { name: 'Annual', installments: 1, frequency: 'annual' });
      for (const bad of [-1, 366, 2.5, 'five']) {
        const res = await api.patch(`/api/v1/installment-plans/${plan.id}`, { autopayLeadDays: bad });
        assert.equal(res.status, 400, JSON.stringify(res.body));
        assert.deepEqual(res.body.errors, [
          { path: 'autopayLeadDays', message: 'must be a whole number from 0 to 365' },
        ]);
      }
      const taken = await api.patch(`/api/v1/installment-plans/${plan.id}`, { name: 'Annual' });
      assert.equal(taken.status, 409, JSON.stringify(taken.body));
      assert.equal(taken.body.errors[0].path, 'name');
      const off = await api.patch(`/api/v1/installment-plans/${plan.id}`, { autopayLeadDays: null, installments: 2 });
      assert.equal(off.status, 200, JSON.stringify(off.body));
      assert.deepEqual(off.body, {
        id: plan.id,
        name: 'Quarterly',
        installments: 2,
        frequency: 'quarterly',
        autopayLeadDays: null,
      });
      assert.equal((await otherApi.patch(`/api/v1/installment-plans/${plan.id}`, { installments: 3 })).status, 404);
      assert.equal((await api.patch('/api/v1/installment-plans/not-an-id', { installments: 3 })).status, 404);
      const listed = (await api.get('/api/v1/installment-plans')).body.data;
      assert.equal(
        listed.find((p: { id: string }) => p.id === plan.id).installments,
        2,
        'the other agency changed nothing',
      );
    });

    it('edits a bank (its short name never changes) and lists which keys may use which bank; agents may not', async () => {
      const bank = (await api.post('/api/v1/banks', { shortName: 'TRUST', name: 'Trust', division: 'Main' })).body;
      const strict = await api.patch(`/api/v1/banks/${bank.id}`, { shortName: 'OTHER' });
      assert.equal(strict.status, 400, JSON.stringify(strict.body));
      const empty = await api.patch(`/api/v1/banks/${bank.id}`, { name: ' ' });
      assert.deepEqual(empty.body.errors, [{ path: 'name', message: 'must not be empty' }]);
      const moved = await api.patch(`/api/v1/banks/${bank.id}`, { division: 'Trust accounts' });
      assert.deepEqual(moved.body, { id: bank.id, shortName: 'TRUST', name: 'Trust', division: 'Trust accounts' });
      assert.equal((await otherApi.patch(`/api/v1/banks/${bank.id}`, { name: 'Mine' })).status, 404);

      const key = await api.post('/api/v1/api-keys', { name: 'Trust only', role: 'agent', banks: ['TRUST'] });
      assert.equal(key.status, 201, JSON.stringify(key.body));
      const access = (await api.get('/api/v1/banks/access')).body.data as { keyName: string; banks: string[] | null }[];
      assert.deepEqual(
        access.map((g) => [g.keyName, g.banks]).filter(([name]) => name === 'Trust only'),
        [['Trust only', ['TRUST']]],
      );
      assert.ok(
        access.some((g) => g.banks === null),
        "the agency's staff key may use every bank",
      );
      assert.equal(
        (await otherApi.get('/api/v1/banks/access')).body.data.some(
          (g: { keyName: string }) => g.keyName === 'Trust only',
        ),
        false,
      );
      const agent = apiClient(server.url, key.body.key);
      assert.equal((await agent.patch(`/api/v1/banks/${bank.id}`, { name: 'Agent bank' })).status, 403);
      assert.equal((await agent.get('/api/v1/banks/access')).status, 403);
    });

    it('keeps the branding: every bad field named at once and nothing written; null restores a default', async () => {
      const bad = await api.patch('/api/v1/settings/branding', {
        primaryColor: 'red',
        logoUrl: 'ftp://x.example/l.png',
      });
      assert.equal(bad.status, 400, JSON.stringify(bad.body));
      assert.equal(bad.headers.get('content-type'), 'application/problem+json; charset=utf-8');
      assert.deepEqual(
        bad.body.errors.map((e: { path: string }) => e.path),
        ['logoUrl', 'primaryColor'],
      );
      assert.equal((await api.get('/api/v1/settings/branding')).body.primaryColor, null);
      const set = await api.patch('/api/v1/settings/branding', { displayName: 'Harbor', primaryColor: '#AABBCC' });
      assert.deepEqual(set.body, {
        agencyName: server.agencyName,
        displayName: 'Harbor',
        logoUrl: null,
        primaryColor: '#aabbcc',
      });
      const cleared = await api.patch('/api/v1/settings/branding', { displayName: null });
      assert.equal(cleared.body.displayName, null);
      assert.equal(cleared.body.primaryColor, '#aabbcc', 'omitted fields stay');
      assert.equal((await otherApi.get('/api/v1/settings/branding')).body.primaryColor, null);
      // The payment settings beside it in the same column are untouched.
      assert.equal((await api.get('/api/v1/settings/payments')).status, 200);
    });
  });
}
