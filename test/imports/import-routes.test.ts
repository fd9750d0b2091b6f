// The import API on a real listening server: upload and preview, commit, progress, replays by
// Idempotency-Key, problem+json for a rejected import, and another agency's key seeing nothing.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { databaseTargets } from '../support/db.ts';
import { createTestAgency } from '../support/fixtures.ts';
import { type ApiClient, apiClient } from '../support/http.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const samples = join(import.meta.dirname, '..', '..', 'docs', 'import', 'samples');

for (const target of databaseTargets()) {
  describe(`the import API on ${target}`, () => {
    let server: TestServer;
    let staff: ApiClient;
    before(async () => {
      server = await startTestServer({ target, web: false });
      staff = apiClient(server.url, server.agency.apiKey);
    });
    after(async () => server.close());

    it('previews an upload, replays it by Idempotency-Key, commits it and shows its progress', async () => {
      const csv = await readFile(join(samples, 'customers.csv'), 'utf8');
      const body = { kind: 'customers', fileName: 'customers.csv', csv };
      const first = await staff.post('/api/v1/imports', body, { 'idempotency-key': 'import-1' });
      assert.equal(first.status, 201, JSON.stringify(first.body));
      assert.equal(first.body.status, 'previewed');
      assert.deepEqual(first.body.counts, { rows: 3, create: 3, unchanged: 0, skipped: 0 });
      assert.deepEqual(first.body.problems, []);
      const again = await staff.post('/api/v1/imports', body, { 'idempotency-key': 'import-1' });
      assert.equal(again.headers.get('idempotent-replayed'), 'true');
      assert.equal(again.body.id, first.body.id);

      const committed = await staff.post(`/api/v1/imports/${first.body.id}/commit`, undefined, {
        'idempotency-key': 'commit-1',
      });
      assert.equal(committed.status, 200, JSON.stringify(committed.body));
      assert.equal(committed.body.status, 'committed');
      assert.equal(committed.body.rowsDone, 3);
      const shown = await staff.get(`/api/v1/imports/${first.body.id}`);
      assert.equal(shown.body.status, 'committed');
      const customers = await staff.get('/api/v1/customers?search=Acme');
      assert.equal(customers.body.data.length, 1);
      const list = await staff.get('/api/v1/imports');
      assert.deepEqual(
        list.body.imports.map((i: { id: string }) => i.id),
        [first.body.id],
      );
    });

    it('answers a file with problems with each row, column and rule, and refuses to commit it', async () => {
      const csv =
        'policyNumber,customer,lineOfBusiness,effectiveDate,expirationDate,premium\nP-1,AMS-4040,Auto,2/30/2026,2027-01-01,12.3.4\n';
      const res = await staff.post('/api/v1/imports', { kind: 'policies', csv });
      assert.equal(res.status, 201);
      assert.equal(res.body.status, 'rejected');
      assert.deepEqual(
        res.body.problems.map((p: { row: number; column: string }) => `${p.row}:${p.column}`),
        ['2:effectiveDate', '2:premium'],
      );
      const commit = await staff.post(`/api/v1/imports/${res.body.id}/commit`);
      assert.equal(commit.status, 422);
      assert.match(commit.headers.get('content-type') ?? '', /application\/problem\+json/);
      assert.deepEqual(
        commit.body.errors.map((e: { path: string }) => e.path),
        ['row 2/effectiveDate', 'row 2/premium'],
      );
      const unknown = await staff.post('/api/v1/imports', { kind: 'ledgers', csv });
      assert.equal(unknown.status, 400);
      assert.match(unknown.body.detail, /kind/);
    });

    it("another agency's key finds none of this agency's imports", async () => {
      const other = await createTestAgency(server.database.db, 'Elsewhere Agency');
      const theirs = apiClient(server.url, other.apiKey);
      const mine = (await staff.get('/api/v1/imports')).body.imports[0];
      assert.equal((await theirs.get(`/api/v1/imports/${mine.id}`)).status, 404);
      assert.equal((await theirs.post(`/api/v1/imports/${mine.id}/commit`)).status, 404);
      assert.deepEqual((await theirs.get('/api/v1/imports')).body.imports, []);
    });
  });
}
