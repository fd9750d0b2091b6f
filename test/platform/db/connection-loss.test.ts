import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { createCustomer } from '../../../src/customers/customers.ts';
import { type DatabaseHandle, openDatabase } from '../../../src/platform/db/database.ts';
import type { App } from '../../../src/platform/http/types.ts';
import { openTestDatabase } from '../../support/db.ts';
import { createTestAgency, type TestAgency } from '../../support/fixtures.ts';
import { apiClient } from '../../support/http.ts';
import { waitFor } from '../../support/mail.ts';
import { buildTestApp } from '../../support/openapi.ts';

// pg_terminate_backend of this process's own pooled connections, idle and busy: the process must
// live on, the busy request answer 503 problem+json with Retry-After, and the next one succeed.
// PGlite runs inside the process and has no connections to lose, so this runs on PostgreSQL only.
describe('a lost database connection', {
  skip: process.env.TEST_DATABASE_URL
    ? false
    : 'needs PostgreSQL (TEST_DATABASE_URL): PGlite is in-process and has no connection to terminate',
}, () => {
  const applicationName = `policypay-conn-loss-${randomBytes(4).toString('hex')}`;
  let setup: DatabaseHandle;
  let database: DatabaseHandle;
  let admin: pg.Client;
  let app: App;
  let agency: TestAgency;
  let customerNumber: number;
  let api: ReturnType<typeof apiClient>;
  const lost: Error[] = [];

  before(async () => {
    setup = await openTestDatabase('postgres');
    agency = await createTestAgency(setup.db);
    customerNumber = (await createCustomer(setup.db, agency.actor, { type: 'individual', name: 'Before' }))
      .customerNumber;
    // The server's own pool, named so that the test terminates its connections and no one else's.
    database = await openDatabase({
      url: process.env.TEST_DATABASE_URL!,
      searchPath: setup.searchPath!,
      poolSize: 6,
      applicationName,
      onConnectionError: (error) => lost.push(error),
    });
    app = await buildTestApp({ database });
    api = apiClient(await app.listen({ port: 0, host: '127.0.0.1' }), agency.apiKey);
    admin = new pg.Client({
      connectionString: process.env.TEST_DATABASE_URL!,
      application_name: `${applicationName}-admin`,
    });
    await admin.connect();
  });
  after(async () => {
    await admin?.end();
    await app?.close();
    await database?.close();
    await setup?.close();
  });

  const backends = async (where: string): Promise<number[]> => {
    const { rows } = await admin.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND ${where}`,
      [applicationName],
    );
    return rows.map((row) => row.pid);
  };

  it('drops terminated idle connections and serves the next request', async () => {
    // Several requests at once leave several idle connections in the pool.
    const warm = await Promise.all(Array.from({ length: 4 }, () => api.get(`/api/v1/customers/${customerNumber}`)));
    assert.deepEqual(
      warm.map((r) => r.status),
      [200, 200, 200, 200],
    );
    const idle = await waitFor('idle pooled connections', async () => {
      const pids = await backends(`state = 'idle'`);
      return pids.length > 0 ? pids : undefined;
    });
    const { rows } = await admin.query<{ ok: boolean }>(
      'SELECT pg_terminate_backend(pid) AS ok FROM unnest($1::int[]) AS pid',
      [idle],
    );
    assert.ok(rows.every((row) => row.ok));
    // The pool hears of each broken idle client (and drops it) instead of the process dying.
    await waitFor('the pool to drop the terminated connections', () => lost.length >= idle.length);
    assert.ok(
      lost.every((error) => /terminat/i.test(error.message)),
      lost.map((e) => e.message).join('; '),
    );

    const next = await api.get(`/api/v1/customers/${customerNumber}`);
    assert.equal(next.status, 200);
    assert.equal(next.body.name, 'Before');
  });

  it('answers a request whose connection is terminated mid-transaction with 503 and Retry-After', async () => {
    // Another session holds the customer's row, so the edit waits on the lock inside its transaction.
    const holder = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL! });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query(`SELECT id FROM ${setup.searchPath}.customers WHERE customer_number = $1 FOR UPDATE`, [
        customerNumber,
      ]);
      const edit = api.patch(`/api/v1/customers/${customerNumber}`, { name: 'Lost edit' });
      const [busy] = await waitFor('the edit waiting on the row lock', async () => {
        const pids = await backends(`wait_event_type = 'Lock'`);
        return pids.length === 1 ? pids : undefined;
      });
      await admin.query('SELECT pg_terminate_backend($1)', [busy]);
      const answer = await edit;
      assert.equal(answer.status, 503, JSON.stringify(answer.body));
      assert.match(answer.headers.get('content-type') ?? '', /^application\/problem\+json/);
      assert.equal(answer.headers.get('retry-after'), '5');
      assert.equal(answer.body.type, 'https://policypay.dev/problems/database-unavailable');
      assert.equal(answer.body.status, 503);
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }

    // Nothing of the broken transaction stayed, and the same edit now goes through.
    assert.equal((await api.get(`/api/v1/customers/${customerNumber}`)).body.name, 'Before');
    const retried = await api.patch(`/api/v1/customers/${customerNumber}`, { name: 'Saved edit' });
    assert.equal(retried.status, 200, JSON.stringify(retried.body));
    assert.equal((await api.get(`/api/v1/customers/${customerNumber}`)).body.name, 'Saved edit');
  });

  it('answers 503 problem+json while the database refuses connections', async () => {
    // A pool pointed at a port nobody listens on: every checkout is refused.
    const { createServer } = await import('node:net');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const down = await openDatabase({ url: `postgres://postgres@127.0.0.1:${port}/none`, connectTimeoutMs: 2_000 });
    const downApp = await buildTestApp({ database: down });
    try {
      const answer = await downApp.inject({
        method: 'GET',
        url: `/api/v1/customers/${customerNumber}`,
        headers: { authorization: `Bearer ${agency.apiKey}` },
      });
      assert.equal(answer.statusCode, 503, answer.body);
      assert.equal(answer.headers['retry-after'], '5');
      assert.equal(answer.json().type, 'https://policypay.dev/problems/database-unavailable');
    } finally {
      await downApp.close();
      await down.close();
    }
  });
});
