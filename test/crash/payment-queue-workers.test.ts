import assert from 'node:assert/strict';
import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import type { PgBoss } from 'pg-boss';
import { createBank } from '../../src/agency/banks.ts';
import { autopaySchedules } from '../../src/autopay/jobs.ts';
import { dateInZone } from '../../src/kernel/calendar.ts';
import { paymentSchedules } from '../../src/payments/jobs.ts';
import { type Sandbox, startSandbox } from '../../src/payments/processors/sandbox/server.ts';
import { CARD_SUCCEEDS } from '../../src/payments/processors/sandbox/test-numbers.ts';
import type { DatabaseHandle } from '../../src/platform/db/database.ts';
import { createBoss } from '../../src/platform/jobs/boss.ts';
import { paymentQueues } from '../../src/platform/jobs/job-queue.ts';
import { openTestDatabase } from '../support/db.ts';
import { createTestAgency } from '../support/fixtures.ts';
import { tokenizeCard } from '../support/payments.ts';
import { seedAutopayBook } from '../support/worlds/autopay-book.ts';

const SECRET = 'whsec_payment_queue_workers_01';
const CUSTOMERS = 60;
const PER_CUSTOMER = 5;
const INVOICES = CUSTOMERS * PER_CUSTOMER;

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 240_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function runJob(boss: PgBoss, queue: string): Promise<unknown> {
  const id = await boss.send(queue, {});
  assert.ok(id);
  let output: unknown;
  await waitFor(`${queue} job`, async () => {
    const job = await boss.getJobById(queue, id!);
    output = job?.output;
    if (job?.state === 'failed') throw new Error(`${queue} failed: ${JSON.stringify(job.output)}`);
    return job?.state === 'completed';
  });
  return output;
}

// The autopay day through the job queue: two `policypay worker` processes on one PostgreSQL
// database fan the pass out, execute the payments it queues and sweep for due payments while
// those still wait. PGlite is one process's database, so this runs on PostgreSQL.
describe('autopay payments through the queue with two worker processes', {
  skip: process.env.TEST_DATABASE_URL
    ? false
    : 'needs PostgreSQL (TEST_DATABASE_URL): the worker processes share the database',
}, () => {
  let database: DatabaseHandle;
  let sandbox: Sandbox;
  let boss: PgBoss;
  let workers: ChildProcess[] = [];
  const bossSchema = `pgboss_${randomBytes(4).toString('hex')}`;

  before(async () => {
    database = await openTestDatabase('postgres');
    sandbox = await startSandbox({ webhookSecret: SECRET });
  });
  after(async () => {
    for (const w of workers) if (w.exitCode === null) w.kill('SIGKILL');
    await boss?.stop({ graceful: false });
    await sql.raw(`DROP SCHEMA IF EXISTS ${bossSchema} CASCADE`).execute(database.db);
    await sandbox?.close();
    await database?.close();
  });

  it(`executes each of ${INVOICES} autopay payments once, from one job each, however often the sweep runs`, async () => {
    const db = database.db;
    const agency = await createTestAgency(db);
    await createBank(db, agency.actor, { shortName: 'OPER', name: 'Operating', division: 'Main' });
    const tokens: string[] = [];
    for (let c = 0; c < CUSTOMERS; c++) tokens.push(await tokenizeCard(sandbox, CARD_SUCCEEDS));
    const now = new Date();
    const today = dateInZone(now, 'America/Chicago');
    const book = await seedAutopayBook(db, agency.id, {
      customers: CUSTOMERS,
      invoicesPerCustomer: PER_CUSTOMER,
      autopayTime: new Date(now.getTime() - 60_000),
      dueDate: today,
      today,
      amountCents: 12_345n,
      tokens,
    });
    assert.equal(book.invoices, INVOICES);

    const script = join(import.meta.dirname, '..', 'support', 'processes', 'queue-worker-process.ts');
    workers = [0, 1].map(() =>
      fork(script, [], {
        env: {
          ...process.env,
          QUEUE_WORKER_DATABASE_URL: process.env.TEST_DATABASE_URL!,
          QUEUE_WORKER_SCHEMA: database.searchPath!,
          QUEUE_WORKER_BOSS_SCHEMA: bossSchema,
          QUEUE_WORKER_SANDBOX_URL: sandbox.url,
          QUEUE_WORKER_SANDBOX_SECRET: SECRET,
          // The sweep is run below by hand, while payments still wait; its cron stays out of the way.
          SWEEP_CRON: '0 0 1 1 *',
          WORKER_PAYMENT_CONCURRENCY: '4',
        },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      }),
    );
    await Promise.all(workers.map((w) => new Promise<void>((resolve) => w.once('message', () => resolve()))));
    boss = createBoss(database, { schema: bossSchema, sendOnly: true });
    boss.on('error', () => {});
    await boss.start();

    const paymentCount = async (state?: string) => {
      const rows = await sql<{ n: bigint }>`SELECT count(*) AS n FROM payments
        WHERE agency_id = ${agency.id} ${state ? sql`AND state = ${state}` : sql``}`.execute(db);
      return Number(rows.rows[0]!.n);
    };
    // What the schedule sends each minute, sent now: it fans out to the agency's pass.
    await runJob(boss, autopaySchedules.pass);
    await waitFor('the pass to create every payment', async () => (await paymentCount()) === INVOICES);
    // The sweep, twice, while most payments are still queued (or running) for execution.
    await runJob(boss, paymentSchedules.sweep);
    await runJob(boss, paymentSchedules.sweep);
    await waitFor('every payment posted', async () => (await paymentCount('posted')) === INVOICES);
    for (const w of workers) w.send('stop');
    await Promise.all(workers.map((w) => (w.exitCode === null ? new Promise((r) => w.once('exit', r)) : null)));

    // One execution job per payment: neither the sweep nor a second worker added another.
    const jobs = await boss.findJobs<{ paymentId: string }>(paymentQueues.execute);
    const perPayment = new Map<string, number>();
    for (const job of jobs) perPayment.set(job.data.paymentId, (perPayment.get(job.data.paymentId) ?? 0) + 1);
    assert.equal(perPayment.size, INVOICES);
    const duplicates = [...perPayment.values()].filter((n) => n > 1).length;
    assert.equal(duplicates, 0, `${duplicates} payments had more than one job`);

    // Executed once: one attempt per payment, charged once at the sandbox, all posted.
    const attempts = await sql<{ payment_id: string; key: string }>`
      SELECT a.payment_id, a.idempotency_key AS key FROM payment_attempts a
        JOIN payments p ON p.id = a.payment_id WHERE p.agency_id = ${agency.id}`.execute(db);
    assert.equal(attempts.rows.length, INVOICES);
    assert.ok(attempts.rows.every((a) => sandbox.chargeCount(a.key) === 1));
    const charged = sandbox.charges().filter((charge) => charge.status !== 'declined');
    assert.equal(charged.length, INVOICES);
    assert.equal(
      charged.reduce((total, charge) => total + charge.amountCents, 0n),
      book.totalCents,
    );
  });
});
