// Scenario 7: an autopay day end to end through the job queue. N due autopay invoices (100,000 by
// default) are fired by the scheduled pass, charged at the sandbox (an HTTP server in its own
// process) and posted, by `policypay worker` processes (child processes running the real workers
// on PostgreSQL) — with 2 workers for the figure and 1 for comparison on a quarter of the book.
// The same-run baseline is the direct figure: the same code (pass, then execution) in the bench
// process without the queue, over a smaller book.
import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { runAutopayPass } from '../../src/autopay/autopay.ts';
import { autopaySchedules } from '../../src/autopay/jobs.ts';
import { systemActor } from '../../src/kernel/actor.ts';
import { executePayments } from '../../src/payments/execution.ts';
import { createProcessors } from '../../src/payments/processor-registry.ts';
import { CARD_SUCCEEDS } from '../../src/payments/processors/sandbox/test-numbers.ts';
import type { Db } from '../../src/platform/db/transaction.ts';
import { createBoss } from '../../src/platform/jobs/boss.ts';
import { paymentQueues } from '../../src/platform/jobs/job-queue.ts';
import { seedAutopayBook } from '../../test/support/worlds/autopay-book.ts';
import { createBenchAgency } from '../fixtures.ts';
import type { BenchOptions } from '../options.ts';
import { log, type ScenarioResult } from '../report.ts';
import type { BenchTarget } from '../targets.ts';

const SECRET = 'whsec_bench_autopay_day_0001';
const TARGET_SECONDS = 600;
const PER_CUSTOMER = 10;

interface DayFigure {
  workers: number;
  invoices: number;
  seconds: number;
  invoicesPerSecond: number;
  posted: number;
  executionJobs: number;
  duplicateJobs: number;
  loadAverage: number[];
}

export async function autopayDayScenario(options: BenchOptions, target: BenchTarget): Promise<ScenarioResult> {
  const base = {
    id: 'autopay-day',
    issueScenario: 7,
    name: 'autopay day through the job queue',
    node: process.version,
  };
  if (!target.postgres) {
    return {
      ...base,
      status: 'skipped',
      reason: 'worker processes share a PostgreSQL database (PGlite is one process’s)',
      database: target.kind,
    };
  }
  const { db } = target.handle;
  const tens = (n: number) => Math.max(PER_CUSTOMER, Math.round(n / PER_CUSTOMER) * PER_CUSTOMER);
  const invoices = tens(options.autopayDayInvoices);
  const oneWorkerInvoices = tens(Math.max(500, invoices / 4));
  const directInvoices = tens(Math.min(invoices, 5_000));
  const sandbox = await startSandboxProcess();
  try {
    // Ten invoices per customer (one payment each), one sandbox token per customer.
    const book = async (slug: string, size: number) => {
      const agency = await createBenchAgency(db, slug);
      const now = new Date();
      const customers = Math.ceil(size / PER_CUSTOMER);
      await seedAutopayBook(db, agency.id, {
        customers,
        invoicesPerCustomer: PER_CUSTOMER,
        amountCents: 12_345n,
        autopayTime: new Date(now.getTime() - 60_000),
        dueDate: agency.today,
        today: agency.today,
        tokens: await tokenizeMany(sandbox.url, customers),
      });
      log(`autopay-day: seeded ${customers * PER_CUSTOMER} due invoices for ${slug}`);
      return agency;
    };

    const direct = await directDay(db, sandbox.url, await book('bench-day-direct', directInvoices), directInvoices);
    log(`autopay-day direct: ${directInvoices} invoices in ${direct.seconds.toFixed(1)} s`);
    const two = await queuedDay(target, sandbox.url, await book('bench-day-2w', invoices), invoices, 2);
    const one = await queuedDay(
      target,
      sandbox.url,
      await book('bench-day-1w', oneWorkerInvoices),
      oneWorkerInvoices,
      1,
    );
    const full = invoices >= 100_000;
    const round = (n: number) => Math.round(n * 10) / 10;
    return {
      ...base,
      status: 'ok',
      database: 'postgres',
      databaseVersion: target.serverVersion,
      description:
        `${invoices} due autopay invoices fired by the scheduled pass (fanned out per agency), charged at the sandbox ` +
        'over HTTP (its own process) and posted, by 2 `policypay worker` processes through pg-boss; timed from the ' +
        'pass job to the last payment posted',
      operations: invoices,
      opsPerSecond: {
        median: round(two.invoicesPerSecond),
        min: round(two.invoicesPerSecond),
        max: round(two.invoicesPerSecond),
        runs: [round(two.invoicesPerSecond)],
      },
      baseline: {
        description: `direct: the same pass and executePayments in the bench process, no queue, ${directInvoices} invoices`,
        operations: directInvoices,
        errors: 0,
        opsPerSecond: {
          median: round(direct.invoicesPerSecond),
          min: round(direct.invoicesPerSecond),
          max: round(direct.invoicesPerSecond),
          runs: [round(direct.invoicesPerSecond)],
        },
        latencyMs: null,
      },
      ratio: {
        opsPerSecond: Math.round((two.invoicesPerSecond / direct.invoicesPerSecond) * 1000) / 1000,
        p50: null,
        p99: null,
      },
      target: {
        description: `${invoices} invoices end to end with 2 workers in under ${TARGET_SECONDS} s${full ? '' : ' (not the full 100,000-invoice day: extrapolate linearly)'}`,
        met: two.seconds < (TARGET_SECONDS * invoices) / 100_000 && two.duplicateJobs === 0,
      },
      checks: {
        twoWorkers: two,
        oneWorker: one,
        speedupPerInvoice: round(two.invoicesPerSecond / one.invoicesPerSecond),
      },
      diagnostics: {
        extrapolatedSecondsFor100k: Math.round(100_000 / two.invoicesPerSecond),
        workerSettings:
          'defaults (WORKER_PAYMENT_CONCURRENCY 8, WORKER_AUTOPAY_CONCURRENCY 8) unless set in the environment',
      },
    };
  } finally {
    await sandbox.stop();
  }
}

/** The pass and then the payments' execution in this process: the code without the queue. */
async function directDay(db: Db, sandboxUrl: string, agency: { id: string }, invoices: number) {
  const processors = createProcessors({ sandboxUrl, sandboxWebhookSecret: SECRET });
  const started = performance.now();
  await runAutopayPass(db, systemActor(agency.id, 'autopay'), { concurrency: 8, trigger: 'manual' });
  // This agency's payments only: earlier scenarios leave requested payments of their own.
  const due = await sql<{ id: string }>`SELECT id FROM payments
    WHERE agency_id = ${agency.id} AND state = 'requested'`.execute(db);
  // As a worker at its default concurrency runs them: two lanes, four payments at a time each.
  let next = 0;
  await Promise.all(
    Array.from({ length: 2 }, async () => {
      while (next < due.rows.length) {
        const group = due.rows.slice(next, next + 4).map((r) => r.id);
        next += group.length;
        for (const outcome of await executePayments(db, processors, group)) {
          if (outcome.status === 'rejected') throw outcome.reason;
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const posted = await postedCount(db, agency.id);
  if (posted !== invoices) throw new Error(`direct: ${posted} of ${invoices} payments posted`);
  return { seconds, invoicesPerSecond: invoices / seconds };
}

async function queuedDay(
  target: BenchTarget,
  sandboxUrl: string,
  agency: { id: string },
  invoices: number,
  workerCount: number,
): Promise<DayFigure> {
  const { db } = target.handle;
  const bossSchema = `pgboss_bench_${randomBytes(4).toString('hex')}`;
  const script = join(import.meta.dirname, '..', '..', 'test', 'support', 'processes', 'queue-worker-process.ts');
  const workers: ChildProcess[] = Array.from({ length: workerCount }, () =>
    fork(script, [], {
      env: {
        ...process.env,
        QUEUE_WORKER_DATABASE_URL: target.postgres!.url,
        QUEUE_WORKER_SCHEMA: target.postgres!.schema,
        QUEUE_WORKER_BOSS_SCHEMA: bossSchema,
        QUEUE_WORKER_SANDBOX_URL: sandboxUrl,
        QUEUE_WORKER_SANDBOX_SECRET: SECRET,
        // The day's jobs are enqueued by the pass; a sweep would also queue the requested payments
        // earlier scenarios leave behind (fake tokens) and spend the workers on them.
        SWEEP_CRON: '0 0 1 1 *',
      },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    }),
  );
  const boss = createBoss(target.handle, { schema: bossSchema, sendOnly: true });
  boss.on('error', (error) => log(`autopay-day boss: ${error.message}`));
  try {
    await Promise.all(workers.map((w) => new Promise<void>((resolve) => w.once('message', () => resolve()))));
    await boss.start();
    const started = performance.now();
    await boss.send(autopaySchedules.pass, {});
    let posted = 0;
    let lastLog = started;
    while (posted < invoices) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      posted = await postedCount(db, agency.id);
      if (performance.now() - lastLog > 10_000) {
        lastLog = performance.now();
        log(
          `autopay-day ${workerCount} worker(s): ${posted}/${invoices} posted after ${((lastLog - started) / 1000).toFixed(0)} s`,
        );
      }
      if (performance.now() - started > 4 * 3600_000) throw new Error(`only ${posted} of ${invoices} posted after 4 h`);
    }
    const seconds = (performance.now() - started) / 1000;
    const jobs = await boss.findJobs<{ paymentId: string }>(paymentQueues.execute);
    const distinct = new Set(jobs.map((j) => j.data.paymentId)).size;
    const figure: DayFigure = {
      workers: workerCount,
      invoices,
      seconds: Math.round(seconds * 10) / 10,
      invoicesPerSecond: Math.round((invoices / seconds) * 10) / 10,
      posted,
      executionJobs: jobs.length,
      duplicateJobs: jobs.length - distinct,
      loadAverage: os.loadavg().map((l) => Math.round(l * 10) / 10),
    };
    log(`autopay-day ${workerCount} worker(s): ${JSON.stringify(figure)}`);
    return figure;
  } finally {
    for (const w of workers) w.send('stop');
    await Promise.all(
      workers.map((w) =>
        w.exitCode === null
          ? Promise.race([new Promise((r) => w.once('exit', r)), new Promise((r) => setTimeout(r, 15_000))])
          : null,
      ),
    );
    for (const w of workers) if (w.exitCode === null) w.kill('SIGKILL');
    await boss.stop({ graceful: false }).catch(() => {});
    await sql.raw(`DROP SCHEMA IF EXISTS ${bossSchema} CASCADE`).execute(db);
  }
}

async function postedCount(db: Db, agencyId: string): Promise<number> {
  const rows = await sql<{ n: string }>`SELECT count(*) AS n FROM payments
    WHERE agency_id = ${agencyId} AND state = 'posted'`.execute(db);
  return Number(rows.rows[0]!.n);
}

async function tokenizeMany(url: string, count: number): Promise<string[]> {
  const tokens = new Array<string>(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < count) {
        const n = next++;
        tokens[n] = await tokenize(url);
      }
    }),
  );
  return tokens;
}

async function tokenize(url: string): Promise<string> {
  const response = await fetch(`${url}/v1/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      kind: 'card',
      number: CARD_SUCCEEDS,
      expMonth: 12,
      expYear: 2031,
      cvc: '737',
      holderName: 'Bench Payer',
    }),
  });
  const body = (await response.json()) as { token: string };
  if (!response.ok) throw new Error(`tokenize failed: ${JSON.stringify(body)}`);
  return body.token;
}

async function startSandboxProcess(): Promise<{ url: string; stop(): Promise<void> }> {
  const child = fork(join(import.meta.dirname, '..', 'processes', 'sandbox-process.ts'), [], {
    env: { ...process.env, BENCH_SANDBOX_SECRET: SECRET },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('message', (m) => resolve((m as { url: string }).url));
    child.once('exit', (code) => reject(new Error(`sandbox process exited with ${code}`)));
  });
  return {
    url,
    async stop() {
      child.send('stop');
      await Promise.race([new Promise((r) => child.once('exit', r)), new Promise((r) => setTimeout(r, 5_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}
