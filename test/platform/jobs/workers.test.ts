import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { emailSweepQueue } from '../../../src/email/outbox.ts';
import { maintenanceQueues } from '../../../src/platform/app/maintenance.ts';
import { startWorkers, type Workers } from '../../../src/platform/app/workers.ts';
import type { DatabaseHandle } from '../../../src/platform/db/database.ts';
import {
  claimIdempotencyKey,
  completeIdempotencyKey,
  LiveOwners,
} from '../../../src/platform/http/idempotency-keys.ts';
import { amsReceiptQueues } from '../../../src/sync/ams360-receipts/outbox.ts';
import { syncSchedules } from '../../../src/sync/jobs.ts';
import { databaseTargets, openTestDatabase } from '../../support/db.ts';
import { createTestAgency } from '../../support/fixtures.ts';

for (const target of databaseTargets()) {
  describe(`workers on ${target}`, () => {
    let database: DatabaseHandle;
    let workers: Workers;
    const schema = `pgboss_${randomBytes(4).toString('hex')}`;

    before(async () => {
      database = await openTestDatabase(target);
      workers = await startWorkers(database, { schema });
    });
    after(async () => {
      await workers.stop();
      if (target === 'postgres') await sql.raw(`DROP SCHEMA ${schema} CASCADE`).execute(database.db);
      await database.close();
    });

    it('schedules maintenance and its purge job removes keys older than the retention window only', async () => {
      const schedules = await workers.boss.getSchedules();
      // Statistics are autovacuum's job on PostgreSQL; only embedded PGlite schedules them.
      const maintenance = Object.values(maintenanceQueues).filter(
        (name) => target === 'pglite' || name !== maintenanceQueues.analyze,
      );
      assert.deepEqual(
        schedules.map((s) => s.name).sort(),
        [...maintenance, amsReceiptQueues.sweep, emailSweepQueue, ...Object.values(syncSchedules)].sort(),
      );

      const agency = await createTestAgency(database.db);
      for (const key of ['old', 'fresh']) {
        const result = await claimIdempotencyKey(
          database.db,
          { agencyId: agency.id, key, fingerprint: 'f', method: 'POST', path: '/x' },
          new LiveOwners(),
        );
        assert.equal(result.kind, 'claimed');
        if (result.kind === 'claimed') await completeIdempotencyKey(database.db, result.claim, 201, '{"ok":true}');
      }
      await sql`UPDATE idempotency_keys SET created_at = now() - interval '3 days' WHERE key = 'old'`.execute(
        database.db,
      );

      const jobId = await workers.boss.send(maintenanceQueues.purgeIdempotencyKeys, {});
      assert.ok(jobId);
      const deadline = Date.now() + 20_000;
      let job = await workers.boss.getJobById(maintenanceQueues.purgeIdempotencyKeys, jobId!);
      while (job?.state !== 'completed' && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        job = await workers.boss.getJobById(maintenanceQueues.purgeIdempotencyKeys, jobId!);
      }
      assert.equal(job?.state, 'completed');
      assert.deepEqual(job?.output, { purged: 1 });
      const left = await sql<{ key: string }>`SELECT key FROM idempotency_keys WHERE agency_id = ${agency.id}`.execute(
        database.db,
      );
      assert.deepEqual(
        left.rows.map((r) => r.key),
        ['fresh'],
      );
    });

    it('its analyze job gathers planner statistics for every policypay table that holds rows', async () => {
      await createTestAgency(database.db);
      const jobId = await workers.boss.send(maintenanceQueues.analyze, {});
      assert.ok(jobId);
      const deadline = Date.now() + 20_000;
      let job = await workers.boss.getJobById(maintenanceQueues.analyze, jobId!);
      while (job?.state !== 'completed' && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        job = await workers.boss.getJobById(maintenanceQueues.analyze, jobId!);
      }
      assert.equal(job?.state, 'completed');
      const reltuples = async (table: string) => {
        const { rows } = await sql<{ reltuples: number }>`
          SELECT c.reltuples FROM pg_class c WHERE c.oid = ${table}::regclass
        `.execute(database.db);
        return Number(rows[0]!.reltuples);
      };
      // -1 means "never analyzed"; the agency just created makes it at least 1. Receipts has no
      // rows, so it keeps the planner's "never analyzed" assumption.
      assert.ok((await reltuples('agencies')) >= 1, 'agencies analyzed');
      assert.equal(await reltuples('receipts'), -1);
      const report = (job?.output ?? {}) as { analyzed?: number; empty?: number };
      assert.ok(report.analyzed! >= 1 && report.empty! >= 1, JSON.stringify(report));
      assert.ok(report.analyzed! + report.empty! >= 30, JSON.stringify(report));
    });
  });
}
