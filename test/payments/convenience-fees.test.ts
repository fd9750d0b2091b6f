// The agency's convenience fee settings over HTTP on both databases: off by default, set and read
// back, refusals naming the field with nothing written, agents may not.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { databaseTargets } from '../support/db.ts';
import { type ApiClient, apiClient } from '../support/http.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const URL = '/api/v1/settings/convenience-fees';

for (const target of databaseTargets()) {
  describe(`convenience fee settings on ${target}`, () => {
    let server: TestServer;
    let api: ApiClient;

    before(async () => {
      server = await startTestServer({ target, web: false });
      api = apiClient(server.url, server.agency.apiKey);
    });
    after(async () => server?.close());

    it('is off by default, and set whole by PUT', async () => {
      assert.deepEqual((await api.get(URL)).body, { card: null, ach: null });
      const set = await api.put(URL, { card: { percent: 2.5, fixed: 0.3, cap: 25 }, ach: { fixed: 1 } });
      assert.equal(set.status, 200, JSON.stringify(set.body));
      const expected = { card: { percent: 2.5, fixed: 0.3, cap: 25 }, ach: { fixed: 1 } };
      assert.deepEqual(set.body, expected);
      assert.deepEqual((await api.get(URL)).body, expected);
      const off = await api.put(URL, { card: { percent: 3 }, ach: null });
      assert.deepEqual(off.body, { card: { percent: 3, fixed: 0, cap: null }, ach: null });
    });

    it('refuses bad values naming the field, writing nothing', async () => {
      const before = (await api.get(URL)).body;
      const bad: [unknown, string][] = [
        [{ card: { percent: 2.555 }, ach: null }, 'card/percent'],
        [{ card: { percent: 101 }, ach: null }, 'card/percent'],
        [{ card: { percent: 0, fixed: 0 }, ach: null }, 'card/percent'],
        [{ card: { percent: 2, cap: 0 }, ach: null }, 'card/cap'],
        [{ card: { percent: 2, fixed: -1 }, ach: null }, 'card/fixed'],
        [{ card: null, ach: { fixed: 0 } }, 'ach/fixed'],
        [{ card: null, ach: { fixed: 1, percent: 2 } }, 'ach/percent'],
      ];
      for (const [body, field] of bad) {
        const res = await api.put(URL, body);
        assert.ok([400, 422].includes(res.status), `${field}: ${JSON.stringify(res.body)}`);
        const paths = (res.body.errors as { path: string }[]).map((e) => e.path.replace(/^\/?(body\/)?/, ''));
        assert.ok(paths.includes(field), `${field}: ${JSON.stringify(res.body)}`);
      }
      assert.deepEqual((await api.get(URL)).body, before);
    });

    it('agents may not read or change them', async () => {
      const key = await api.post('/api/v1/api-keys', { name: 'Agent', role: 'agent' });
      const agent = apiClient(server.url, key.body.key);
      assert.equal((await agent.get(URL)).status, 403);
      assert.equal((await agent.put(URL, { card: null, ach: null })).status, 403);
    });
  });
}
