// GET /api/v1/ready against a PostgreSQL cluster of the test's own, stopped and started again:
// 503 naming the database while it is down (health stays 200: liveness does not restart a process
// for its database's outage), 200 again once it is back, without restarting the app.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type DatabaseHandle, openDatabase } from '../../../src/platform/db/database.ts';
import type { App } from '../../../src/platform/http/types.ts';
import { waitFor } from '../../support/mail.ts';
import { assertResponsesMatchedDocument, buildTestApp } from '../../support/openapi.ts';
import { type PgCluster, privateClusterUnavailable, startPgCluster } from '../../support/processes/pg-cluster.ts';
import { migrate } from '../../support/processes/policypay-process.ts';

const unavailable = process.env.TEST_DATABASE_URL
  ? privateClusterUnavailable()
  : 'needs PostgreSQL (TEST_DATABASE_URL): PGlite is in-process and cannot be stopped under the app';

describe('readiness through a PostgreSQL outage', { skip: unavailable ?? false }, () => {
  let cluster: PgCluster;
  let database: DatabaseHandle;
  let app: App;

  before(async () => {
    cluster = await startPgCluster();
    await migrate(cluster.url);
    database = await openDatabase({
      url: cluster.url,
      poolSize: 2,
      connectTimeoutMs: 2_000,
      onConnectionError: () => {},
    });
    app = await buildTestApp({ database });
  });
  after(async () => {
    await app?.close();
    await database?.close();
    await cluster?.destroy();
    if (app) assertResponsesMatchedDocument(app);
  });

  const get = async (url: string) => {
    const res = await app.inject({ method: 'GET', url });
    return { status: res.statusCode, body: res.json() };
  };

  it('answers 503 naming the database while it is down, and 200 once it is back', async () => {
    assert.equal((await get('/api/v1/ready')).status, 200);

    await cluster.stop('fast');
    const down = await get('/api/v1/ready');
    assert.equal(down.status, 503);
    assert.equal(down.body.type, 'https://policypay.dev/problems/not-ready');
    assert.deepEqual(down.body.checks, { database: 'failed', migrations: 'unknown', workers: 'not-run' });
    assert.match(down.body.detail, /database/);
    assert.deepEqual(await get('/api/v1/health'), { status: 200, body: { status: 'ok', database: 'postgres' } });

    await cluster.start();
    // The pool opens a new connection at the next check; a generous deadline for a loaded machine.
    const back = await waitFor(
      'readiness after the restart',
      async () => {
        const res = await get('/api/v1/ready');
        return res.status === 200 ? res : undefined;
      },
      60_000,
    );
    assert.deepEqual(back.body.checks, { database: 'ok', migrations: 'ok', workers: 'not-run' });
  });
});
