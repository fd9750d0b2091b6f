import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { sweepEmails } from '../../src/email/jobs.ts';
import { deliverEmail, EMAIL_MAX_ATTEMPTS, emailQueue, queueEmail } from '../../src/email/outbox.ts';
import { startWorkers, type Workers } from '../../src/platform/app/workers.ts';
import type { DatabaseHandle } from '../../src/platform/db/database.ts';
import { inTransaction } from '../../src/platform/db/transaction.ts';
import { bossJobQueue } from '../../src/platform/jobs/boss-job-queue.ts';
import { noJobQueue } from '../../src/platform/jobs/job-queue.ts';
import { databaseTargets, openTestDatabase } from '../support/db.ts';
import { createTestAgency, type TestAgency } from '../support/fixtures.ts';
import { startSmtpServer, type TestSmtpServer, waitFor } from '../support/mail.ts';

const message = (subject: string) => ({
  kind: 'test',
  to: 'someone@example.com',
  subject,
  text: `${subject} (text)`,
  html: `<p>${subject}</p>`,
});

for (const target of databaseTargets()) {
  describe(`e-mail outbox on ${target}`, () => {
    let database: DatabaseHandle;
    let smtp: TestSmtpServer;
    let workers: Workers;
    let agency: TestAgency;
    const schema = `pgboss_${randomBytes(4).toString('hex')}`;

    before(async () => {
      database = await openTestDatabase(target);
      smtp = await startSmtpServer();
      // The sweep runs by hand here, so that no scheduled one sends the e-mails a test keeps pending.
      workers = await startWorkers(database, {
        schema,
        email: { smtpUrl: smtp.url, retryDelaySeconds: 1, sweepCron: null },
      });
      agency = await createTestAgency(database.db, 'Outbox Agency');
    });
    after(async () => {
      await workers.stop();
      if (target === 'postgres') await sql.raw(`DROP SCHEMA ${schema} CASCADE`).execute(database.db);
      await smtp.close();
      await database.close();
    });

    async function queuedJobs(): Promise<number> {
      const rows = await sql<{
        n: string;
      }>`SELECT count(*) AS n FROM ${sql.table(`${schema}.job`)} WHERE name = ${emailQueue}`.execute(database.db);
      return Number(rows.rows[0]!.n);
    }

    it('sends an e-mail written in a committed transaction, and nothing for a rolled-back one', async () => {
      const jobs = bossJobQueue(workers.boss);
      const jobsBefore = await queuedJobs();
      await assert.rejects(
        inTransaction(database.db, async (tx) => {
          await queueEmail(tx, agency.id, message('rolled back'), jobs);
          throw new Error('the event failed');
        }),
        /the event failed/,
      );
      const id = await inTransaction(database.db, (tx) => queueEmail(tx, agency.id, message('committed'), jobs));
      const received = await waitFor('the committed e-mail', () =>
        smtp.messages.find((m) => m.subject === 'committed'),
      );
      assert.deepEqual(received.to, ['someone@example.com']);
      assert.match(received.raw, /From: "?Outbox Agency"? <no-reply@policypay\.localhost>/);
      assert.equal(await queuedJobs(), jobsBefore + 1, 'the rolled-back e-mail never had a job');
      const rows = await database.db.selectFrom('emails').select(['id', 'subject', 'status']).execute();
      assert.deepEqual(
        rows.map((r) => r.subject),
        ['committed'],
      );
      await waitFor('the sent status', async () => {
        const row = await database.db.selectFrom('emails').select('status').where('id', '=', id).executeTakeFirst();
        return row?.status === 'sent';
      });
      assert.ok(!smtp.messages.some((m) => m.subject === 'rolled back'));
    });

    it('retries a failing SMTP server with backoff until it takes the message', async () => {
      smtp.failNext(2);
      const id = await inTransaction(database.db, (tx) =>
        queueEmail(tx, agency.id, message('after two failures'), bossJobQueue(workers.boss)),
      );
      await waitFor('the retried e-mail', () => smtp.messages.find((m) => m.subject === 'after two failures'), 60_000);
      assert.equal(smtp.rejected, 2);
      const row = await waitFor('the sent row', async () => {
        const r = await database.db.selectFrom('emails').selectAll().where('id', '=', id).executeTakeFirst();
        return r?.status === 'sent' ? r : undefined;
      });
      assert.equal(row.attempts, 3);
      assert.equal(row.last_error, null);
    });

    it('keeps e-mails in the outbox without SMTP, and marks one failed after the last attempt', async () => {
      const kept = await inTransaction(database.db, (tx) => queueEmail(tx, agency.id, message('kept'), noJobQueue));
      assert.equal(await deliverEmail(database.db, null, kept, { from: 'x@example.com' }), 'kept');
      const keptRow = await database.db
        .selectFrom('emails')
        .selectAll()
        .where('id', '=', kept)
        .executeTakeFirstOrThrow();
      assert.equal(keptRow.status, 'kept');
      assert.equal(keptRow.attempts, 0);

      const doomed = await inTransaction(database.db, (tx) => queueEmail(tx, agency.id, message('doomed'), noJobQueue));
      const broken = {
        async sendMail() {
          throw new Error('connection refused');
        },
      };
      for (let attempt = 1; attempt < EMAIL_MAX_ATTEMPTS; attempt++) {
        await assert.rejects(deliverEmail(database.db, broken, doomed, { from: 'x@example.com' }), /refused/);
      }
      assert.equal(await deliverEmail(database.db, broken, doomed, { from: 'x@example.com' }), 'failed');
      const row = await database.db.selectFrom('emails').selectAll().where('id', '=', doomed).executeTakeFirstOrThrow();
      assert.equal(row.status, 'failed');
      assert.equal(row.attempts, EMAIL_MAX_ATTEMPTS);
      assert.equal(row.last_error, 'connection refused');
      // A failed e-mail is not tried again by a late job.
      assert.equal(await deliverEmail(database.db, broken, doomed, { from: 'x@example.com' }), 'already_done');
    });

    it('sends an e-mail written without a job (by another process) from the sweep, once', async () => {
      // An API process without workers, or one whose job was lost: the row alone is in the outbox.
      const id = await inTransaction(database.db, (tx) => queueEmail(tx, agency.id, message('swept'), noJobQueue));
      const jobsBefore = await queuedJobs();
      // Sweeps running at once (two workers' schedules, a slow one overlapping) enqueue it once.
      const enqueued = await Promise.all([1, 2, 3].map(() => sweepEmails(workers.boss, database.db)));
      assert.equal(
        enqueued.reduce((a, b) => a + b, 0),
        1,
      );
      await waitFor('the swept e-mail', () => smtp.messages.find((m) => m.subject === 'swept'));
      await waitFor('the sent status', async () => {
        const row = await database.db.selectFrom('emails').select('status').where('id', '=', id).executeTakeFirst();
        return row?.status === 'sent';
      });
      assert.equal(await sweepEmails(workers.boss, database.db), 0, 'nothing is pending any more');
      assert.equal(await queuedJobs(), jobsBefore + 1);
      assert.equal(smtp.messages.filter((m) => m.subject === 'swept').length, 1);
    });

    it("without SMTP, prints a kept e-mail's portal link for the operator (staff see it masked)", async () => {
      const lines: string[] = [];
      const keptSchema = `pgboss_${randomBytes(4).toString('hex')}`;
      const keeper = await startWorkers(database, { schema: keptSchema, email: { printLine: (l) => lines.push(l) } });
      try {
        const link =
          'http://localhost:3000/portal/sign-in?agency=a&token=ppt_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG';
        const id = await inTransaction(database.db, (tx) =>
          queueEmail(
            tx,
            agency.id,
            { ...message('your sign-in link'), text: `Sign in:\n${link}\n` },
            bossJobQueue(keeper.boss),
          ),
        );
        const notice = await waitFor('the printed link', () => lines.find((line) => line.includes(link)));
        assert.match(notice, /your sign-in link/);
        const row = await database.db.selectFrom('emails').select('status').where('id', '=', id).executeTakeFirst();
        assert.equal(row?.status, 'kept');
        // An e-mail without a portal link prints nothing.
        const plain = await inTransaction(database.db, (tx) =>
          queueEmail(tx, agency.id, message('no link here'), bossJobQueue(keeper.boss)),
        );
        await waitFor('the plain e-mail kept', async () => {
          const r = await database.db.selectFrom('emails').select('status').where('id', '=', plain).executeTakeFirst();
          return r?.status === 'kept' ? r : undefined;
        });
        assert.equal(lines.length, 1);
      } finally {
        await keeper.stop();
        if (target === 'postgres') await sql.raw(`DROP SCHEMA ${keptSchema} CASCADE`).execute(database.db);
      }
    });
  });
}
