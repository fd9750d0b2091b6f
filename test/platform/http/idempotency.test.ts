import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { databaseTargets } from '../../support/db.ts';
import { type ApiClient, apiClient } from '../../support/http.ts';
import { startTestServer, type TestServer } from '../../support/server.ts';

for (const target of databaseTargets()) {
  describe(`Idempotency-Key on ${target}`, () => {
    let server: TestServer;
    let api: ApiClient;

    const customersNamed = async (name: string) => {
      const rows = await sql<{ n: bigint }>`SELECT count(*) AS n FROM customers WHERE name = ${name}`.execute(
        server.database.db,
      );
      return Number(rows.rows[0]!.n);
    };

    before(async () => {
      server = await startTestServer({ target, web: false });
      api = apiClient(server.url, server.agency.apiKey);
    });
    after(async () => server.close());

    it('20 concurrent identical POSTs with one key create exactly one customer', async () => {
      const body = { type: 'individual', name: 'Concurrent Carla' };
      const responses = await Promise.all(
        Array.from({ length: 20 }, () => api.post('/api/v1/customers', body, { 'idempotency-key': 'carla-1' })),
      );
      const statuses = responses.map((r) => r.status);
      assert.ok(
        statuses.every((s) => s === 201 || s === 409),
        statuses.join(','),
      );
      const created = responses.filter((r) => r.status === 201);
      assert.ok(created.length >= 1);
      // Every 201 is the same customer: one original, the rest replays of it.
      assert.equal(new Set(created.map((r) => r.body.customerNumber)).size, 1);
      assert.equal(created.filter((r) => r.headers.get('idempotent-replayed') !== 'true').length, 1);
      for (const conflict of responses.filter((r) => r.status === 409)) {
        assert.equal(conflict.body.type, 'https://policypay.dev/problems/idempotency-key-in-use');
      }
      assert.equal(await customersNamed('Concurrent Carla'), 1);
    });

    it('replays the stored response for the same key and body', async () => {
      const body = { type: 'group', name: 'Replay Roofing' };
      const first = await api.post('/api/v1/customers', body, { 'idempotency-key': 'replay-1' });
      const second = await api.post('/api/v1/customers', body, { 'idempotency-key': 'replay-1' });
      assert.equal(first.status, 201);
      assert.equal(second.status, 201);
      assert.equal(second.headers.get('idempotent-replayed'), 'true');
      assert.deepEqual(second.body, first.body);
      assert.equal(await customersNamed('Replay Roofing'), 1);
    });

    it('refuses the same key with a different body (422) and writes nothing', async () => {
      await api.post('/api/v1/customers', { type: 'individual', name: 'Key Owner' }, { 'idempotency-key': 'k-2' });
      const reused = await api.post(
        '/api/v1/customers',
        { type: 'individual', name: 'Key Thief' },
        { 'idempotency-key': 'k-2' },
      );
      assert.equal(reused.status, 422);
      assert.equal(reused.body.type, 'https://policypay.dev/problems/idempotency-key-reused');
      assert.equal(await customersNamed('Key Thief'), 0);
    });

    it('replays a domain error too, but releases the key after invalid input', async () => {
      const dup = { customerNumber: server.seeded.customerNumber, type: 'individual', name: 'Dup' };
      const first = await api.post('/api/v1/customers', dup, { 'idempotency-key': 'dup-1' });
      assert.equal(first.status, 409);
      const again = await api.post('/api/v1/customers', dup, { 'idempotency-key': 'dup-1' });
      assert.equal(again.status, 409);
      assert.equal(again.headers.get('idempotent-replayed'), 'true');

      const bad = await api.post('/api/v1/customers', { type: 'individual' }, { 'idempotency-key': 'bad-1' });
      assert.equal(bad.status, 400);
      const stored = await sql<{
        n: bigint;
      }>`SELECT count(*) AS n FROM idempotency_keys WHERE key = 'bad-1'`.execute(server.database.db);
      assert.equal(stored.rows[0]!.n, 0n);
      const fixed = await api.post(
        '/api/v1/customers',
        { type: 'individual', name: 'Fixed' },
        { 'idempotency-key': 'bad-1' },
      );
      assert.equal(fixed.status, 201);
    });

    it('scopes keys per agency', async () => {
      const { createTestAgency } = await import('../../support/fixtures.ts');
      const other = await createTestAgency(server.database.db, 'Second Agency');
      const theirs = apiClient(server.url, other.apiKey);
      const body = { type: 'individual', name: 'Same Key Sam' };
      const a = await api.post('/api/v1/customers', body, { 'idempotency-key': 'shared-key' });
      const b = await theirs.post('/api/v1/customers', body, { 'idempotency-key': 'shared-key' });
      assert.equal(a.status, 201);
      assert.equal(b.status, 201);
      assert.notEqual(b.headers.get('idempotent-replayed'), 'true');
      assert.equal(await customersNamed('Same Key Sam'), 2);
    });

    it('rejects an over-long key', async () => {
      const res = await api.post(
        '/api/v1/customers',
        { type: 'individual', name: 'Long' },
        { 'idempotency-key': 'x'.repeat(300) },
      );
      assert.equal(res.status, 400);
      assert.equal(res.body.errors[0].path, 'header/Idempotency-Key');
    });
  });
}
