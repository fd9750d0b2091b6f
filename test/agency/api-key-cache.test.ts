import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import {
  API_KEY_CACHE_MS,
  API_KEY_LAST_USED_MS,
  authenticateApiKey,
  createApiKey,
  revokeApiKey,
} from '../../src/agency/api-keys.ts';
import type { DatabaseHandle } from '../../src/platform/db/database.ts';
import { databaseTargets, openTestDatabase } from '../support/db.ts';
import { createTestAgency, type TestAgency } from '../support/fixtures.ts';
import { apiClient } from '../support/http.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

// API-key authentication is remembered for API_KEY_CACHE_MS (agency/api-keys.ts). The clock is
// passed in, so the window is tested without waiting.
for (const target of databaseTargets()) {
  describe(`API-key authentication cache on ${target}`, () => {
    let database: DatabaseHandle;
    let agency: TestAgency;

    before(async () => {
      database = await openTestDatabase(target);
      agency = await createTestAgency(database.db);
    });
    after(async () => database.close());

    it('forgets a key revoked through this process at once', async () => {
      const key = await createApiKey(database.db, agency.actor, { name: 'lockbox', role: 'agent', banks: [] });
      const now = Date.now();
      const actor = await authenticateApiKey(database.db, key.key, now);
      assert.equal(actor?.apiKeyId, key.id);
      assert.equal(actor?.role, 'agent');
      await revokeApiKey(database.db, agency.actor, key.id);
      assert.equal(await authenticateApiKey(database.db, key.key, now + 1), undefined);
    });

    it('sees a revocation made elsewhere once the window has passed, not before', async () => {
      const key = await createApiKey(database.db, agency.actor, { name: 'vendor', role: 'agent' });
      const now = Date.now();
      assert.equal((await authenticateApiKey(database.db, key.key, now))?.apiKeyId, key.id);
      // Another process (another server on the same database) revokes the key.
      await sql`UPDATE api_keys SET revoked_at = now() WHERE id = ${key.id}`.execute(database.db);
      assert.equal((await authenticateApiKey(database.db, key.key, now + API_KEY_CACHE_MS - 1))?.apiKeyId, key.id);
      assert.equal(await authenticateApiKey(database.db, key.key, now + API_KEY_CACHE_MS), undefined);
      // Not remembered as valid afterwards either.
      assert.equal(await authenticateApiKey(database.db, key.key, now + API_KEY_CACHE_MS + 1), undefined);
    });

    it('never answers for another database that has a key with the same text', async () => {
      const other = await openTestDatabase(target);
      try {
        const otherAgency = await createTestAgency(other.db, 'Other');
        const presetKey = `pp_live_shared_${Date.now()}`;
        await createApiKey(database.db, agency.actor, { name: 'same', role: 'staff', presetKey });
        await createApiKey(other.db, otherAgency.actor, { name: 'same', role: 'staff', presetKey });
        const now = Date.now();
        assert.equal((await authenticateApiKey(database.db, presetKey, now))?.agencyId, agency.id);
        assert.equal((await authenticateApiKey(other.db, presetKey, now))?.agencyId, otherAgency.id);
      } finally {
        await other.close();
      }
    });

    it("writes a key's last use at most once a minute, whether or not its authentication is remembered", async () => {
      const key = await createApiKey(database.db, agency.actor, { name: 'meter', role: 'staff' });
      const lastUsed = async () =>
        (
          await database.db
            .selectFrom('api_keys')
            .select('last_used_at')
            .where('id', '=', key.id)
            .executeTakeFirstOrThrow()
        ).last_used_at?.getTime() ?? null;
      assert.equal(await lastUsed(), null);
      const start = Date.UTC(2030, 0, 1, 12, 0, 0);
      await authenticateApiKey(database.db, key.key, start);
      assert.equal(await lastUsed(), start);
      await authenticateApiKey(database.db, key.key, start + 1_000);
      await authenticateApiKey(database.db, key.key, start + API_KEY_LAST_USED_MS - 1);
      assert.equal(await lastUsed(), start);
      await authenticateApiKey(database.db, key.key, start + API_KEY_LAST_USED_MS);
      assert.equal(await lastUsed(), start + API_KEY_LAST_USED_MS);
    });

    it('hands each request its own actor object', async () => {
      const now = Date.now();
      const first = await authenticateApiKey(database.db, agency.apiKey, now);
      assert.ok(first);
      first.label = 'changed by a request';
      assert.equal((await authenticateApiKey(database.db, agency.apiKey, now))?.label, 'api_key:test');
    });
  });

  describe(`API-key revocation over HTTP on ${target}`, () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer({ target, web: false });
    });
    after(async () => server.close());

    it('refuses a revoked key on the very next request', async () => {
      const staff = apiClient(server.url, server.agency.apiKey);
      const created = await staff.post('/api/v1/api-keys', { name: 'counter', role: 'agent' });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const agent = apiClient(server.url, created.body.key);
      assert.equal((await agent.get('/api/v1/customers')).status, 200);
      assert.equal((await staff.delete(`/api/v1/api-keys/${created.body.id}`)).status, 204);
      assert.equal((await agent.get('/api/v1/customers')).status, 401);
    });
  });
}
