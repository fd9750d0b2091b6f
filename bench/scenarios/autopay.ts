// Scenario 4: one autopay pass over a book of due invoices — 100,000 on PostgreSQL, 10,000 on
// PGlite — as the scheduler runs it (the default plugin, requested payments queued for execution),
// with the pass's peak memory. Each run gets a fresh book in a new agency; the baseline makes the
// same writes over an identical book with raw SQL, a page per transaction.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { runAutopayPass } from '../../src/autopay/autopay.ts';
import { systemActor } from '../../src/kernel/actor.ts';
import { analyzeDatabase } from '../../src/platform/db/statistics.ts';
import { seedAutopayBook } from '../../test/support/worlds/autopay-book.ts';
import type { RawDriver } from '../baseline.ts';
import { createBenchAgency } from '../fixtures.ts';
import { Histogram, type LoadResult, RssSampler } from '../load.ts';
import type { BenchOptions } from '../options.ts';
import { tenthsRecorder } from '../pass-progress.ts';
import { log, ratio, type ScenarioResult, summarize } from '../report.ts';
import type { BenchTarget } from '../targets.ts';

const PAGE = 500;
const execFileAsync = promisify(execFile);
const TARGET_SECONDS = 60;
const TARGET_RSS_MB = 300;

function autopayBookSize(options: BenchOptions, kind: BenchTarget['kind']): number {
  return kind === 'postgres' ? options.autopayInvoices : Math.min(options.autopayInvoices, 10_000);
}

export async function autopayScenario(options: BenchOptions, target: BenchTarget): Promise<ScenarioResult> {
  const { db } = target.handle;
  const invoices = autopayBookSize(options, target.kind);
  const concurrency = target.kind === 'postgres' ? 8 : 1; // what the scheduler uses (src/autopay/jobs.ts)
  const label = `autopay/${target.kind}`;
  const now = new Date();
  const book = async (slug: string, size = invoices) => {
    const agency = await createBenchAgency(db, slug);
    const started = performance.now();
    await seedAutopayBook(db, agency.id, {
      customers: size,
      invoicesPerCustomer: 1,
      amountCents: 12_345n,
      autopayTime: new Date(now.getTime() - 60_000),
      dueDate: agency.today,
      today: agency.today,
      tokens: Array.from({ length: size }, (_, n) => `tok_bench_${slug}_${n + 1}`),
    });
    log(`${label}: seeded ${size} due invoices for ${slug} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    return agency;
  };

  // Warm-up: a small pass each way, then fresh statistics, as a server that has run passes before
  // has them (autovacuum; PGlite's maintenance job). On never-analyzed payment tables PostgreSQL
  // caches foreign-key checks planned for an empty table, and each check then scans the table.
  const warmup = Math.min(2_000, invoices);
  const warm = await book('bench-autopay-warmup', warmup);
  await runAutopayPass(db, systemActor(warm.id, 'autopay'), { now, concurrency, trigger: 'manual' });
  const warmRaw = await book('bench-autopay-raw-warmup', warmup);
  await baselinePass(target.raw, warmRaw.id, warmRaw.bankId, now);
  await analyzeDatabase(db);
  log(`${label}: warm-up passes over ${warmup} invoices done; statistics gathered`);

  const app: LoadResult[] = [];
  const baseline: LoadResult[] = [];
  const rssPeaks: number[] = [];
  const rssStarts: number[] = [];
  const checks: {
    run: number;
    invoicesPerSecondByTenth: number[];
    paymentsCreated: number;
    fired: number;
    skipped: number;
  }[] = [];
  for (let run = 0; run < options.runs; run += 1) {
    const ours = await book(`bench-autopay-${run}`);
    const theirs = await book(`bench-autopay-raw-${run}`);
    const measureApp = async () => {
      const pass = target.postgres
        ? await passInChildProcess(target.postgres, ours.id, now, concurrency, invoices)
        : await passInProcess(db, ours.id, now, concurrency, invoices);
      rssPeaks.push(pass.peakRssMb);
      rssStarts.push(pass.rssAtStartMb);
      checks.push({
        run,
        invoicesPerSecondByTenth: pass.slices,
        paymentsCreated: pass.paymentsCreated,
        fired: pass.fired,
        skipped: pass.skipped,
      });
      if (pass.paymentsCreated !== invoices) {
        throw new Error(`the pass created ${pass.paymentsCreated} payments for ${invoices} due invoices`);
      }
      app.push(single(invoices, pass.elapsedMs));
      log(
        `${label} policypay run ${run + 1}/${options.runs}: ${invoices} invoices in ${(pass.elapsedMs / 1000).toFixed(1)} s, ` +
          `peak RSS ${pass.peakRssMb} MB (invoices/s by tenth: ${pass.slices.join(', ')})`,
      );
    };
    const measureBaseline = async () => {
      const t0 = performance.now();
      const done = await baselinePass(target.raw, theirs.id, theirs.bankId, now);
      const elapsedMs = performance.now() - t0;
      if (done !== invoices) throw new Error(`the baseline pass took ${done} payments for ${invoices} invoices`);
      baseline.push(single(invoices, elapsedMs));
      log(
        `${label} baseline run ${run + 1}/${options.runs}: ${invoices} invoices in ${(elapsedMs / 1000).toFixed(1)} s`,
      );
    };
    if (run % 2 === 0) {
      await measureApp();
      await measureBaseline();
    } else {
      await measureBaseline();
      await measureApp();
    }
  }
  const ours = summarize(app);
  const raw = summarize(baseline);
  const seconds = invoices / ours.opsPerSecond.median;
  const peakRssMb = Math.max(...rssPeaks);
  const fullBook = target.kind === 'postgres' && invoices === 100_000;
  return {
    id: 'autopay',
    issueScenario: 4,
    name: 'autopay pass over due invoices',
    status: 'ok',
    database: target.kind,
    databaseVersion: target.serverVersion,
    node: process.version,
    description:
      `one pass (runAutopayPass, default plugin, as the scheduler runs it: ${concurrency} invoice(s) at a time) ` +
      `over ${invoices.toLocaleString('en-US')} due invoices of enrolled customers, each firing once into a ` +
      'requested payment; ops = invoices',
    concurrency,
    runs: options.runs,
    operations: ours.operations,
    errors: 0,
    opsPerSecond: ours.opsPerSecond,
    latencyMs: null,
    peakRssMb,
    baseline: {
      description:
        'raw SQL through the same driver, one transaction per page of 500: read the due page (balances, ' +
        'enrollment), insert the firings, mark the invoices decided, insert the payments, their targets and ' +
        'transitions, the activities and audit rows, record the firings’ outcomes — policypay’s writes, without ' +
        'its checks (eligibility, skips, plugin, run figures)',
      ...raw,
    },
    ratio: ratio(ours, raw),
    ...(fullBook
      ? {
          target: {
            description: `100,000 invoices in under ${TARGET_SECONDS} s, peak RSS under ${TARGET_RSS_MB} MB`,
            met: seconds < TARGET_SECONDS && peakRssMb < TARGET_RSS_MB,
          },
        }
      : {}),
    fixture: { invoices, pageSize: PAGE, secondsPerPass: Math.round(seconds * 10) / 10 },
    checks: {
      runs: checks,
      rssAtPassStartMb: rssStarts.map((b) => Math.round(b / 1024 / 1024)),
      note:
        target.kind === 'postgres'
          ? 'the pass runs in a Node process of its own (bench/processes/autopay-pass-process.ts): peak RSS is that process’s maxRSS'
          : 'PGlite lives in the bench process, so the pass runs there: peak RSS is the whole bench process (PGlite’s heap, the HTTP app, earlier scenarios)',
    },
  };
}

function single(operations: number, elapsedMs: number): LoadResult {
  return {
    operations,
    errors: 0,
    elapsedMs,
    opsPerSecond: operations / (elapsedMs / 1000),
    histogram: new Histogram(),
  };
}

/** policypay's writes for the same book, set-based, a page per transaction. Returns payments taken. */
async function baselinePass(raw: RawDriver, agencyId: string, bankId: string, now: Date): Promise<number> {
  const [plan] = await raw.query<{ id: string }>('SELECT id FROM retry_plans WHERE agency_id = $1 LIMIT 1', [agencyId]);
  const [run] = await raw.query<{ id: string }>(
    `INSERT INTO autopay_runs (agency_id, trigger, as_of, status) VALUES ($1, 'manual', $2, 'running') RETURNING id`,
    [agencyId, now],
  );
  let cursor: { time: Date; id: string } | null = null;
  let taken = 0;
  for (;;) {
    const page = await raw.transaction(async (query) => {
      const rows = await query<{
        id: string;
        customer_id: string;
        autopay_time: Date;
        balance: string;
        method_id: string;
      }>(
        `SELECT i.id, i.customer_id, i.autopay_time, e.payment_method_id AS method_id,
                (SELECT coalesce(sum(l.amount_cents), 0) FROM journal_lines l
                  WHERE l.agency_id = i.agency_id AND l.invoice_id = i.id AND l.account = 'accounts_receivable') AS balance
           FROM invoices i
           JOIN autopay_enrollments e ON e.agency_id = i.agency_id AND e.customer_id = i.customer_id AND e.ended_at IS NULL
          WHERE i.agency_id = $1 AND i.autopay_time IS NOT NULL
            AND i.autopay_decided_time IS DISTINCT FROM i.autopay_time AND i.autopay_time <= $2
            AND ($3::timestamptz IS NULL OR (i.autopay_time, i.id) > ($3, $4::uuid))
          ORDER BY i.autopay_time, i.id LIMIT ${PAGE}`,
        [agencyId, now, cursor?.time ?? null, cursor?.id ?? null],
      );
      if (rows.length === 0) return rows;
      const ids = rows.map((r) => r.id);
      const payments = rows.map(() => randomUUID());
      const firings = await query<{ id: string; invoice_id: string }>(
        `INSERT INTO autopay_firings (agency_id, invoice_id, autopay_time, run_id, status)
         SELECT $1, t.id, t.time, $4, 'claimed' FROM unnest($2::uuid[], $3::timestamptz[]) AS t (id, time)
         ON CONFLICT (invoice_id, autopay_time) DO NOTHING RETURNING id, invoice_id`,
        [agencyId, ids, rows.map((r) => r.autopay_time), run!.id],
      );
      await query(
        'UPDATE invoices SET autopay_decided_time = autopay_time WHERE agency_id = $1 AND id = ANY($2::uuid[])',
        [agencyId, ids],
      );
      await query(
        `INSERT INTO payments (id, agency_id, customer_id, payment_method_id, type, amount_cents, channel, payer, state,
                               retry_plan_id, bank_id, next_attempt_at, created_by)
         SELECT t.id, $1, t.customer_id, t.method_id, 'card', t.amount, 'autopay', 'external', 'requested', $2, $3, $4, 'autopay'
           FROM unnest($5::uuid[], $6::uuid[], $7::uuid[], $8::int8[]) AS t (id, customer_id, method_id, amount)`,
        [
          agencyId,
          plan!.id,
          bankId,
          now,
          payments,
          rows.map((r) => r.customer_id),
          rows.map((r) => r.method_id),
          rows.map((r) => r.balance),
        ],
      );
      await query(
        `INSERT INTO payment_targets (agency_id, payment_id, sequence, invoice_id, amount_cents)
         SELECT $1, t.payment_id, 1, t.invoice_id, t.amount FROM unnest($2::uuid[], $3::uuid[], $4::int8[]) AS t (payment_id, invoice_id, amount)`,
        [agencyId, payments, ids, rows.map((r) => r.balance)],
      );
      await query(
        `INSERT INTO payment_transitions (agency_id, payment_id, from_state, to_state, actor, reason)
         SELECT $1, p, NULL, 'requested', 'autopay', 'created' FROM unnest($2::uuid[]) AS p`,
        [agencyId, payments],
      );
      await query(
        `INSERT INTO activities (agency_id, customer_id, kind, summary, data, actor)
         SELECT $1, c, 'payment_created', 'Payment of card requested', jsonb_build_object('paymentId', p), 'autopay'
           FROM unnest($2::uuid[], $3::uuid[]) AS t (c, p)`,
        [agencyId, rows.map((r) => r.customer_id), payments],
      );
      await query(
        `INSERT INTO audit_log (agency_id, actor, action, entity_type, entity_id, data)
         SELECT $1, 'autopay', 'payment.created', 'payment', p, '{"state":"requested"}' FROM unnest($2::uuid[]) AS p`,
        [agencyId, payments],
      );
      const paymentByInvoice = new Map(ids.map((id, index) => [id, payments[index]!]));
      await query(
        `UPDATE autopay_firings f SET status = 'payment_created', payment_id = t.payment_id, payment_state = 'requested',
                decided_at = now()
           FROM unnest($2::uuid[], $3::uuid[]) AS t (firing_id, payment_id)
          WHERE f.agency_id = $1 AND f.id = ANY($2::uuid[]) AND f.id = t.firing_id`,
        [agencyId, firings.map((f) => f.id), firings.map((f) => paymentByInvoice.get(f.invoice_id))],
      );
      return rows;
    });
    if (page.length === 0) break;
    taken += page.length;
    const last = page[page.length - 1]!;
    cursor = { time: last.autopay_time, id: last.id };
    if (page.length < PAGE) break;
  }
  return taken;
}

interface PassFigures {
  elapsedMs: number;
  paymentsCreated: number;
  fired: number;
  skipped: number;
  /** Invoices per second over each tenth of the pass: flat means the pass scales linearly. */
  slices: number[];
  rssAtStartMb: number;
  peakRssMb: number;
}

/** PostgreSQL: the pass in a fresh Node process, so its peak memory is the pass's own. */
async function passInChildProcess(
  postgres: { url: string; schema: string },
  agencyId: string,
  now: Date,
  concurrency: number,
  invoices: number,
): Promise<PassFigures> {
  const script = join(import.meta.dirname, '..', 'processes', 'autopay-pass-process.ts');
  const argument = JSON.stringify({ ...postgres, agencyId, now: now.toISOString(), concurrency, invoices });
  const { stdout } = await execFileAsync(process.execPath, [script, argument], { maxBuffer: 1 << 20 });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as PassFigures;
}

/** PGlite: the database lives in this process, so the pass runs here. */
async function passInProcess(
  db: BenchTarget['handle']['db'],
  agencyId: string,
  now: Date,
  concurrency: number,
  invoices: number,
): Promise<PassFigures> {
  const rss = new RssSampler();
  rss.start(20);
  const rssAtStart = rss.peak;
  const tenths = tenthsRecorder(invoices);
  const started = performance.now();
  const result = await runAutopayPass(db, systemActor(agencyId, 'autopay'), {
    now,
    concurrency,
    trigger: 'manual',
    onProgress: tenths.onProgress,
  });
  const elapsedMs = performance.now() - started;
  return {
    elapsedMs,
    paymentsCreated: result.paymentsCreated,
    fired: result.fired,
    skipped: Object.values(result.skipped).reduce((a, b) => a + b, 0),
    slices: tenths.slices,
    rssAtStartMb: Math.round(rssAtStart / 2 ** 20),
    peakRssMb: Math.round(rss.stop() / 2 ** 20),
  };
}
