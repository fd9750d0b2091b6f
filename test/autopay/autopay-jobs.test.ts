import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { createBank } from '../../src/agency/banks.ts';
import { autopaySchedules } from '../../src/autopay/jobs.ts';
import { dateInZone } from '../../src/kernel/calendar.ts';
import { createProcessors } from '../../src/payments/processor-registry.ts';
import { type Sandbox, startSandbox } from '../../src/payments/processors/sandbox/server.ts';
import { CARD_SUCCEEDS } from '../../src/payments/processors/sandbox/test-numbers.ts';
import { startWorkers, type Workers } from '../../src/platform/app/workers.ts';
import type { DatabaseHandle } from '../../src/platform/db/database.ts';
import { databaseTargets, openTestDatabase } from '../support/db.ts';
import { createTestAgency } from '../support/fixtures.ts';
import { tokenizeCard } from '../support/payments.ts';
import { seedAutopayBook } from '../support/worlds/autopay-book.ts';

const SECRET = 'whsec_autopay_jobs_test_0001';

for (const target of databaseTargets()) {
  describe(`autopay schedule (pg-boss) on ${target}`, () => {
    let database: DatabaseHandle;
    let sandbox: Sandbox;
    let workers: Workers;
    const schema = `pgboss_${randomBytes(4).toString('hex')}`;

    before(async () => {
      database = await openTestDatabase(target);
      sandbox = await startSandbox({ webhookSecret: SECRET });
      const processors = createProcessors({ sandboxUrl: sandbox.url, sandboxWebhookSecret: SECRET });
      workers = await startWorkers(database, { schema, processors });
    });
    after(async () => {
      await workers.stop();
      if (target === 'postgres') await sql.raw(`DROP SCHEMA ${schema} CASCADE`).execute(database.db);
      await sandbox.close();
      await database.close();
    });

    it('runs the pass every minute; its payments are queued for and collected by the execution workers', async () => {
      const schedules = await workers.boss.getSchedules();
      const pass = schedules.find((s) => s.name === autopaySchedules.pass);
      assert.equal(pass?.cron, '* * * * *');

      const db = database.db;
      const agency = await createTestAgency(db);
      await createBank(db, agency.actor, { shortName: 'OPER', name: 'Operating', division: 'Main' });
      const tokens = [await tokenizeCard(sandbox, CARD_SUCCEEDS), await tokenizeCard(sandbox, CARD_SUCCEEDS)];
      const now = new Date();
      const today = dateInZone(now, 'America/Chicago');
      await seedAutopayBook(db, agency.id, {
        customers: 2,
        invoicesPerCustomer: 2,
        autopayTime: new Date(now.getTime() - 60_000),
        dueDate: today,
        today,
        amountCents: 5_000n,
        tokens,
      });

      // What the schedule sends each minute, sent now.
      const jobId = await workers.boss.send(autopaySchedules.pass, {});
      assert.ok(jobId);
      const deadline = Date.now() + 30_000;
      let job = await workers.boss.getJobById(autopaySchedules.pass, jobId!);
      while (job?.state !== 'completed' && job?.state !== 'failed' && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        job = await workers.boss.getJobById(autopaySchedules.pass, jobId!);
      }
      assert.equal(job?.state, 'completed', JSON.stringify(job?.output));
      // The cron tick may have run a pass of its own at the same moment (and then this job may find
      // nothing left to decide): between them each invoice fires once, whichever pass claims it, so
      // what is checked below is the database — one firing per invoice, the runs' figures summed.
      // The pass fans out: the agency's pass is a job of its own (this job's, or the tick's if that
      // ran first, and then this one may find nothing due); what is checked below is the database.

      // The payments were enqueued in the pass's transactions: the execution workers post them.
      let posted = 0n;
      while (Date.now() < deadline + 30_000) {
        const rows = await sql<{ n: bigint }>`SELECT count(*) AS n FROM payments
          WHERE agency_id = ${agency.id} AND state = 'posted'`.execute(db);
        posted = rows.rows[0]!.n;
        if (posted === 4n) break;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      assert.equal(posted, 4n);
      const runs = await sql<{ trigger: string; fired: number }>`SELECT trigger, fired FROM autopay_runs
        WHERE agency_id = ${agency.id}`.execute(db);
      assert.ok(runs.rows.length >= 1 && runs.rows.every((r) => r.trigger === 'schedule'));
      assert.equal(
        runs.rows.reduce((total, r) => total + r.fired, 0),
        4,
      );
      const firings = await sql<{ n: bigint }>`SELECT count(DISTINCT invoice_id) AS n FROM autopay_firings
        WHERE agency_id = ${agency.id}`.execute(db);
      assert.equal(firings.rows[0]!.n, 4n);
    });
  });
}
