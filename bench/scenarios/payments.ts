// Scenario 3: payments executed per second against the sandbox processor — requested card
// payments run through the execution service (attempt committed, charge over HTTP, outcome and cash
// receipt recorded) at the execution worker's concurrency. Each run executes a fresh set; the
// baseline does the same three steps with raw SQL on bench-only tables and the same HTTP charge.
import { randomUUID } from 'node:crypto';
import { runAutopayPass } from '../../src/autopay/autopay.ts';
import { systemActor } from '../../src/kernel/actor.ts';
import { executePayment } from '../../src/payments/execution.ts';
import { createProcessors } from '../../src/payments/processor-registry.ts';
import { type Sandbox, startSandbox } from '../../src/payments/processors/sandbox/server.ts';
import { tokenizeCard } from '../../test/support/payments.ts';
import { seedAutopayBook } from '../../test/support/worlds/autopay-book.ts';
import type { RawDriver } from '../baseline.ts';
import { createBenchAgency } from '../fixtures.ts';
import { Histogram, type LoadResult, RssSampler } from '../load.ts';
import type { BenchOptions } from '../options.ts';
import { log, ratio, type ScenarioResult, summarize } from '../report.ts';
import type { BenchTarget } from '../targets.ts';

const SECRET = 'whsec_bench_sandbox';
const SUCCEEDS = '4242424242424242';
const AMOUNT_CENTS = 12_345n;

export async function paymentsScenario(options: BenchOptions, target: BenchTarget): Promise<ScenarioResult> {
  const { db } = target.handle;
  const count = target.kind === 'postgres' ? options.payments : Math.min(options.payments, 500);
  // What the execution worker runs at once (src/payments/jobs.ts).
  const concurrency = target.kind === 'postgres' ? 8 : 1;
  const label = `payments/${target.kind}`;
  const sandbox = await startSandbox({ webhookSecret: SECRET });
  const processors = createProcessors({
    sandboxUrl: sandbox.url,
    sandboxWebhookSecret: SECRET,
    sandboxTimeoutMs: 30_000,
  });
  try {
    await createBaselineTables(target.raw);
    // Requested payments as autopay leaves them: one per customer, for the invoice's balance.
    const requested = async (slug: string, size: number): Promise<string[]> => {
      const agency = await createBenchAgency(db, slug);
      const tokens = await tokenize(sandbox, size);
      await seedAutopayBook(db, agency.id, {
        customers: size,
        invoicesPerCustomer: 1,
        amountCents: AMOUNT_CENTS,
        autopayTime: new Date(Date.now() - 60_000),
        dueDate: agency.today,
        today: agency.today,
        tokens,
      });
      await runAutopayPass(db, systemActor(agency.id, 'autopay'), { concurrency });
      const rows = await db
        .selectFrom('payments')
        .select('id')
        .where('agency_id', '=', agency.id)
        .where('state', '=', 'requested')
        .execute();
      if (rows.length !== size) throw new Error(`expected ${size} requested payments, found ${rows.length}`);
      return rows.map((r) => r.id);
    };
    const appRun = async (slug: string, size: number) => {
      const ids = await requested(slug, size);
      const chargesBefore = sandbox.chargeCount();
      const result = await executeAll(ids, concurrency, async (id) => {
        const outcome = await executePayment(db, processors, id);
        if (outcome.status !== 'succeeded') throw new Error(`payment ${id}: ${JSON.stringify(outcome)}`);
      });
      const posted = await db
        .selectFrom('payments')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('id', 'in', ids)
        .where('state', '=', 'posted')
        .where('receipt_id', 'is not', null)
        .executeTakeFirstOrThrow();
      const charges = sandbox.chargeCount() - chargesBefore;
      if (Number(posted.n) !== size || charges !== size) {
        throw new Error(`${size} payments executed: ${posted.n} posted with a receipt, ${charges} sandbox charges`);
      }
      return result;
    };
    const baselineRun = async (size: number) => {
      const ids = await seedBaselinePayments(target.raw, await tokenize(sandbox, size));
      return executeAll(ids, concurrency, (id) => baselinePayment(target.raw, sandbox.url, id));
    };

    const warmup = Math.min(200, count);
    await appRun('bench-payments-warmup', warmup);
    await baselineRun(warmup);
    log(`${label}: warm-up of ${warmup} payments each way done`);
    const app: LoadResult[] = [];
    const baseline: LoadResult[] = [];
    const rss = new RssSampler();
    let peak = 0;
    for (let run = 0; run < options.runs; run += 1) {
      const measureApp = async () => {
        rss.start();
        app.push(await appRun(`bench-payments-${run}`, count));
        peak = Math.max(peak, rss.stop());
        log(`${label} policypay run ${run + 1}/${options.runs}: ${app.at(-1)!.opsPerSecond.toFixed(1)} payments/s`);
      };
      const measureBaseline = async () => {
        baseline.push(await baselineRun(count));
        log(`${label} baseline run ${run + 1}/${options.runs}: ${baseline.at(-1)!.opsPerSecond.toFixed(1)} payments/s`);
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
    return {
      id: 'payments',
      issueScenario: 3,
      name: 'payments executed per second against the sandbox processor',
      status: ours.errors > 0 ? 'failed' : 'ok',
      database: target.kind,
      databaseVersion: target.serverVersion,
      node: process.version,
      description:
        `${count.toLocaleString('en-US')} requested card payments per run executed by executePayment, ${concurrency} at ` +
        'a time (the execution worker’s concurrency): move to executing and commit the attempt, charge the sandbox ' +
        'processor over HTTP (its own server, in this process), record the outcome, post the cash receipt that ' +
        'applies the money to the invoice. Latency = one payment, start to posted',
      concurrency,
      runs: options.runs,
      operations: ours.operations,
      errors: ours.errors,
      opsPerSecond: ours.opsPerSecond,
      latencyMs: ours.latencyMs,
      peakRssMb: Math.round(peak / 1024 / 1024),
      baseline: {
        description:
          'the same three steps with raw SQL through the same driver on bench-only tables — lock the payment, ' +
          'mark it executing, insert the attempt (commit); POST the same charge to the sandbox with an ' +
          'Idempotency-Key; mark the attempt and payment done and insert a receipt with two ledger lines (commit) — ' +
          'without the receipt rules, balances, activity and audit policypay also writes',
        ...raw,
      },
      ratio: ratio(ours, raw),
      fixture: { paymentsPerRun: count, amountCents: Number(AMOUNT_CENTS), card: 'sandbox test card that succeeds' },
      checks: {
        note: 'every run asserts that each payment ended posted with a receipt and the sandbox made exactly one charge per payment',
      },
      ...(ours.firstError ? { firstError: ours.firstError } : {}),
    };
  } finally {
    await sandbox.close();
  }
}

async function tokenize(sandbox: Sandbox, size: number): Promise<string[]> {
  const tokens: string[] = [];
  for (let start = 0; start < size; start += 32) {
    const batch = Math.min(32, size - start);
    tokens.push(...(await Promise.all(Array.from({ length: batch }, () => tokenizeCard(sandbox, SUCCEEDS)))));
  }
  return tokens;
}

/** Runs `work` over `ids`, `concurrency` at a time, timing each. */
async function executeAll(
  ids: string[],
  concurrency: number,
  work: (id: string) => Promise<void>,
): Promise<LoadResult> {
  const histogram = new Histogram();
  let next = 0;
  let operations = 0;
  let errors = 0;
  let firstError: string | undefined;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < ids.length) {
        const id = ids[next++]!;
        const t0 = performance.now();
        try {
          await work(id);
          histogram.record((performance.now() - t0) * 1000);
          operations += 1;
        } catch (error) {
          errors += 1;
          firstError ??= error instanceof Error ? error.message : String(error);
        }
      }
    }),
  );
  const elapsedMs = performance.now() - started;
  return {
    operations,
    errors,
    elapsedMs,
    opsPerSecond: operations / (elapsedMs / 1000),
    histogram,
    ...(firstError === undefined ? {} : { firstError }),
  };
}

async function createBaselineTables(raw: RawDriver): Promise<void> {
  await raw.query(`
    CREATE TABLE IF NOT EXISTS bench_pay (
      id uuid PRIMARY KEY, token text NOT NULL, amount_cents int8 NOT NULL, state text NOT NULL,
      attempts int NOT NULL DEFAULT 0, next_attempt_at timestamptz, receipt_id uuid, updated_at timestamptz
    )`);
  await raw.query(`
    CREATE TABLE IF NOT EXISTS bench_pay_attempt (
      id uuid PRIMARY KEY, pay_id uuid NOT NULL REFERENCES bench_pay (id), number int NOT NULL,
      idempotency_key text NOT NULL UNIQUE, status text NOT NULL, reference text, resolved_at timestamptz
    )`);
  await raw.query(`
    CREATE TABLE IF NOT EXISTS bench_pay_transition (
      id bigserial PRIMARY KEY, pay_id uuid NOT NULL REFERENCES bench_pay (id), from_state text, to_state text NOT NULL,
      at timestamptz NOT NULL DEFAULT now()
    )`);
  await raw.query(`
    CREATE TABLE IF NOT EXISTS bench_pay_receipt (
      id uuid PRIMARY KEY, pay_id uuid NOT NULL REFERENCES bench_pay (id), amount_cents int8 NOT NULL
    )`);
  await raw.query(`
    CREATE TABLE IF NOT EXISTS bench_pay_line (
      id bigserial PRIMARY KEY, receipt_id uuid NOT NULL REFERENCES bench_pay_receipt (id), account text NOT NULL,
      amount_cents int8 NOT NULL
    )`);
}

async function seedBaselinePayments(raw: RawDriver, tokens: string[]): Promise<string[]> {
  const ids = tokens.map(() => randomUUID());
  await raw.query(
    `INSERT INTO bench_pay (id, token, amount_cents, state, next_attempt_at)
     SELECT t.id, t.token, $3, 'requested', now() FROM unnest($1::uuid[], $2::text[]) AS t (id, token)`,
    [ids, tokens, AMOUNT_CENTS.toString()],
  );
  await raw.query('ANALYZE bench_pay');
  return ids;
}

async function baselinePayment(raw: RawDriver, sandboxUrl: string, id: string): Promise<void> {
  const attemptId = randomUUID();
  const started = await raw.transaction(async (query) => {
    const [pay] = await query<{ token: string; amount_cents: string; attempts: number }>(
      `SELECT token, amount_cents, attempts FROM bench_pay WHERE id = $1 AND state = 'requested' FOR UPDATE SKIP LOCKED`,
      [id],
    );
    if (!pay) throw new Error(`baseline payment ${id} is not requested`);
    await query(`UPDATE bench_pay SET state = 'executing', attempts = attempts + 1, updated_at = now() WHERE id = $1`, [
      id,
    ]);
    await query(
      `INSERT INTO bench_pay_transition (pay_id, from_state, to_state) VALUES ($1, 'requested', 'executing')`,
      [id],
    );
    await query(
      `INSERT INTO bench_pay_attempt (id, pay_id, number, idempotency_key, status) VALUES ($1, $2, $3, $4, 'started')`,
      [attemptId, id, pay.attempts + 1, `ppa_${attemptId}`],
    );
    return pay;
  });
  const response = await fetch(`${sandboxUrl}/v1/charges`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', 'idempotency-key': `ppa_${attemptId}` },
    body: JSON.stringify({ token: started.token, amountCents: String(started.amount_cents), currency: 'USD' }),
  });
  const charge = (await response.json()) as { id?: string; status?: string };
  if (!response.ok || !charge.id) throw new Error(`baseline charge failed: ${response.status}`);
  await raw.transaction(async (query) => {
    await query(
      `UPDATE bench_pay_attempt SET status = 'succeeded', reference = $2, resolved_at = now() WHERE id = $1`,
      [attemptId, charge.id],
    );
    const receiptId = randomUUID();
    await query(`INSERT INTO bench_pay_receipt (id, pay_id, amount_cents) VALUES ($1, $2, $3)`, [
      receiptId,
      id,
      started.amount_cents,
    ]);
    await query(
      `INSERT INTO bench_pay_line (receipt_id, account, amount_cents) VALUES ($1, 'cash', $2), ($1, 'accounts_receivable', -$2::int8)`,
      [receiptId, started.amount_cents],
    );
    await query(`UPDATE bench_pay SET state = 'posted', receipt_id = $2, updated_at = now() WHERE id = $1`, [
      id,
      receiptId,
    ]);
    await query(`INSERT INTO bench_pay_transition (pay_id, from_state, to_state) VALUES ($1, 'executing', 'posted')`, [
      id,
    ]);
  });
}
