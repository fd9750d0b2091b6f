// GET /api/v1/health is liveness only (no database call); GET /api/v1/ready checks the database,
// the migrations and the workers, and answers 503 problem+json naming what failed.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import type { WorkersState } from '../../../src/platform/app/readiness.ts';
import type { DatabaseHandle } from '../../../src/platform/db/database.ts';
import type { App } from '../../../src/platform/http/types.ts';
import { databaseTargets, openTestDatabase } from '../../support/db.ts';
import { assertResponsesMatchedDocument, buildTestApp } from '../../support/openapi.ts';

for (const target of databaseTargets()) {
  describe(`health and readiness on ${target}`, () => {
    let database: DatabaseHandle;
    let app: App;
    let workers: WorkersState = 'running';
    const apps: App[] = [];

    before(async () => {
      database = await openTestDatabase(target);
      app = await buildTestApp({ database, workers: () => workers });
      apps.push(app);
    });
    after(async () => {
      for (const each of apps) await each.close();
      await database?.close();
      for (const each of apps) assertResponsesMatchedDocument(each);
    });

    const ready = async (on: App = app) => {
      const res = await on.inject({ method: 'GET', url: '/api/v1/ready' });
      return { status: res.statusCode, type: String(res.headers['content-type']), body: res.json() };
    };

    it('is ready when the database answers, every migration is applied and the workers run', async () => {
      assert.deepEqual(await ready(), {
        status: 200,
        type: 'application/json; charset=utf-8',
        body: { status: 'ready', checks: { database: 'ok', migrations: 'ok', workers: 'ok' } },
      });
      // A process without workers (`serve --no-workers`) reports them as not run, and is ready.
      const api = await buildTestApp({ database });
      apps.push(api);
      assert.deepEqual((await ready(api)).body.checks, { database: 'ok', migrations: 'ok', workers: 'not-run' });
    });

    it('is not ready (503 naming the migrations) when the last migration is missing or one is unknown', async () => {
      // The last migration as recorded (names sort in order), so the test outlives the next one.
      const [row] = (
        await sql<{
          name: string;
          timestamp: string;
        }>`SELECT name, timestamp FROM kysely_migration ORDER BY name DESC LIMIT 1`.execute(database.db)
      ).rows;
      assert.ok(row, 'the test database is migrated');
      await sql`DELETE FROM kysely_migration WHERE name = ${row.name}`.execute(database.db);
      try {
        const missing = await ready();
        assert.equal(missing.status, 503);
        assert.match(missing.type, /^application\/problem\+json/);
        assert.equal(missing.body.type, 'https://policypay.dev/problems/not-ready');
        assert.match(missing.body.detail, new RegExp(`migrations: not applied: ${row.name}$`));
        assert.deepEqual(missing.body.checks, { database: 'ok', migrations: 'failed', workers: 'ok' });
      } finally {
        await sql`INSERT INTO kysely_migration (name, timestamp) VALUES (${row.name}, ${row.timestamp})`.execute(
          database.db,
        );
      }
      assert.equal((await ready()).status, 200);

      await sql`INSERT INTO kysely_migration (name, timestamp) VALUES ('9999_from_a_newer_build', ${row.timestamp})`.execute(
        database.db,
      );
      try {
        const newer = await ready();
        assert.equal(newer.status, 503);
        assert.match(newer.body.detail, /migrations: applied by a newer build: 9999_from_a_newer_build/);
      } finally {
        await sql`DELETE FROM kysely_migration WHERE name = '9999_from_a_newer_build'`.execute(database.db);
      }
      assert.equal((await ready()).status, 200);
    });

    it('is not ready while the workers are stopping or stopped', async () => {
      for (const state of ['stopping', 'stopped'] as const) {
        workers = state;
        const res = await ready();
        assert.equal(res.status, 503);
        assert.match(res.body.detail, new RegExp(`workers: ${state}`));
        assert.equal(res.body.checks.workers, 'failed');
      }
      workers = 'running';
      assert.equal((await ready()).status, 200);
    });

    it('stays alive but not ready when its database is gone: health makes no database call', async () => {
      const gone = await openTestDatabase(target);
      const lost = await buildTestApp({ database: gone });
      apps.push(lost);
      await gone.close();
      const health = await lost.inject({ method: 'GET', url: '/api/v1/health' });
      assert.equal(health.statusCode, 200);
      assert.deepEqual(health.json(), { status: 'ok', database: target });
      const res = await ready(lost);
      assert.equal(res.status, 503);
      assert.match(res.body.detail, /^not ready: database: /);
      assert.deepEqual(res.body.checks, { database: 'failed', migrations: 'unknown', workers: 'not-run' });
      assert.doesNotMatch(
        res.body.detail,
        /127\.0\.0\.1|ECONNREFUSED|postgres:\/\//,
        'no addresses or driver messages',
      );
    });

    it('documents both in the OpenAPI document', async () => {
      const doc = app.swagger() as {
        paths: Record<string, { get: { operationId: string; responses: Record<string, unknown> } }>;
      };
      assert.equal(doc.paths['/api/v1/ready']?.get.operationId, 'getReadiness');
      assert.ok(doc.paths['/api/v1/ready']?.get.responses['503']);
      assert.equal(doc.paths['/api/v1/health']?.get.operationId, 'getHealth');
      assert.equal(doc.paths['/metrics'], undefined, 'the metrics route is not part of the API');
    });
  });
}
