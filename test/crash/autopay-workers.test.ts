import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { createBank } from '../../src/agency/banks.ts';
import type { AutopayRunView } from '../../src/autopay/runs.ts';
import { dateInZone } from '../../src/kernel/calendar.ts';
import { duePaymentIds, executePayment } from '../../src/payments/execution.ts';
import { runPaymentJanitor } from '../../src/payments/janitor.ts';
import { createProcessors } from '../../src/payments/processor-registry.ts';
import type { Processors } from '../../src/payments/processors/processor.ts';
import { type Sandbox, startSandbox } from '../../src/payments/processors/sandbox/server.ts';
import { CARD_SUCCEEDS } from '../../src/payments/processors/sandbox/test-numbers.ts';
import type { DatabaseHandle } from '../../src/platform/db/database.ts';
import { openTestDatabase } from '../support/db.ts';
import { createTestAgency } from '../support/fixtures.ts';
import { tokenizeCard } from '../support/payments.ts';
import { seedAutopayBook } from '../support/worlds/autopay-book.ts';

const SECRET = 'whsec_autopay_workers_0001';
const CUSTOMERS = 200;
const PER_CUSTOMER = 10;
const INVOICES = CUSTOMERS * PER_CUSTOMER;

// Two worker processes run the autopay pass over the same 2,000 due invoices at the same moment,
// then execute the payments. PGlite is one process's database, so this runs on PostgreSQL.
describe('autopay with two worker processes', {
  skip: process.env.TEST_DATABASE_URL
    ? false
    : 'needs PostgreSQL (TEST_DATABASE_URL): the worker processes share the database',
}, () => {
  let database: DatabaseHandle;
  let sandbox: Sandbox;
  let processors: Processors;

  before(async () => {
    database = await openTestDatabase('postgres');
    sandbox = await startSandbox({ webhookSecret: SECRET });
    processors = createProcessors({ sandboxUrl: sandbox.url, sandboxWebhookSecret: SECRET, sandboxTimeoutMs: 5_000 });
  });
  after(async () => {
    await sandbox?.close();
    await database?.close();
  });

  it(`fires each of ${INVOICES} due invoices exactly once, and the sandbox charges each once`, async (t) => {
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
      // Different amounts would be nicer, but one amount lets the sum check stay exact and simple.
      amountCents: 12_345n,
      tokens,
    });
    assert.equal(book.invoices, INVOICES);

    const script = join(import.meta.dirname, '..', 'support', 'processes', 'autopay-worker-process.ts');
    const workers = [0, 1].map(() =>
      fork(script, [], {
        env: {
          ...process.env,
          AUTOPAY_DATABASE_URL: process.env.TEST_DATABASE_URL!,
          AUTOPAY_SCHEMA: database.searchPath!,
          AUTOPAY_SANDBOX_URL: sandbox.url,
          AUTOPAY_SANDBOX_SECRET: SECRET,
          AUTOPAY_AGENCY_ID: agency.id,
          AUTOPAY_NOW: now.toISOString(),
        },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      }),
    );
    await Promise.all(workers.map((w) => new Promise<void>((resolve) => w.once('message', () => resolve()))));
    const reports = workers.map(
      (w) =>
        new Promise<{ run: AutopayRunView; executed: number }>((resolve, reject) => {
          w.once('message', (message) => resolve(message as { run: AutopayRunView; executed: number }));
          w.once('exit', (code) => reject(new Error(`worker exited with ${code} before reporting`)));
        }),
    );
    for (const w of workers) w.send('go');
    const results = await Promise.all(reports);
    await Promise.all(workers.map((w) => (w.exitCode === null ? new Promise((r) => w.once('exit', r)) : null)));
    t.diagnostic(
      results
        .map(
          ({ run, executed }, i) =>
            `worker ${i + 1}: examined ${run.examined}, fired ${run.fired}, already fired ${run.alreadyFired}, executed ${executed}`,
        )
        .join('; '),
    );

    // Whatever the workers left (none, normally) is executed here.
    for (let round = 0; round < 5; round++) {
      const due = await duePaymentIds(db, new Date(), 1_000);
      if (due.length === 0) break;
      for (const id of due) await executePayment(db, processors, id);
    }

    // Fired once: the plugin ran 2,000 times in all, and there is one firing and one payment per invoice.
    const fired = results.reduce((total, r) => total + r.run.fired, 0);
    assert.equal(fired, INVOICES);
    assert.ok(
      results.every((r) => r.run.fired > 0),
      'both workers fired some invoices (the race was real)',
    );
    assert.equal(
      results.reduce((total, r) => total + r.run.failed, 0),
      0,
    );
    const firings = await sql<{ firings: bigint; invoices: bigint; created: bigint }>`
      SELECT count(*) AS firings, count(DISTINCT invoice_id) AS invoices,
             count(*) FILTER (WHERE status = 'payment_created') AS created
        FROM autopay_firings WHERE agency_id = ${agency.id}`.execute(db);
    assert.deepEqual(firings.rows[0], {
      firings: BigInt(INVOICES),
      invoices: BigInt(INVOICES),
      created: BigInt(INVOICES),
    });
    const perInvoice = await sql<{ payments: bigint; n: bigint }>`
      SELECT payments, count(*) AS n FROM (
        SELECT i.id, count(t.id) AS payments FROM invoices i
          LEFT JOIN payment_targets t ON t.invoice_id = i.id
         WHERE i.agency_id = ${agency.id} GROUP BY i.id) x
       GROUP BY payments`.execute(db);
    assert.deepEqual(perInvoice.rows, [{ payments: 1n, n: BigInt(INVOICES) }]);

    // Charged once: from the sandbox's side, every payment's attempts charged exactly once in all.
    const attempts = await sql<{ payment_id: string; key: string }>`
      SELECT a.payment_id, a.idempotency_key AS key FROM payment_attempts a
        JOIN payments p ON p.id = a.payment_id WHERE p.agency_id = ${agency.id}`.execute(db);
    const chargesByPayment = new Map<string, number>();
    for (const attempt of attempts.rows) {
      chargesByPayment.set(
        attempt.payment_id,
        (chargesByPayment.get(attempt.payment_id) ?? 0) + sandbox.chargeCount(attempt.key),
      );
    }
    assert.equal(chargesByPayment.size, INVOICES);
    assert.ok([...chargesByPayment.values()].every((n) => n === 1));
    const charged = sandbox.charges().filter((charge) => charge.status !== 'declined');
    assert.equal(charged.length, INVOICES);
    assert.equal(
      charged.reduce((total, charge) => total + charge.amountCents, 0n),
      book.totalCents,
    );

    // And the books agree: every payment posted, every invoice paid, the cash equal to the charges.
    const states = await sql<{ state: string; n: bigint }>`SELECT state, count(*) AS n FROM payments
      WHERE agency_id = ${agency.id} GROUP BY state`.execute(db);
    assert.deepEqual(states.rows, [{ state: 'posted', n: BigInt(INVOICES) }]);
    const ledger = await sql<{ ar: bigint; cash: bigint }>`SELECT
        coalesce(sum(amount_cents) FILTER (WHERE account = 'accounts_receivable'), 0)::int8 AS ar,
        coalesce(sum(amount_cents) FILTER (WHERE account = 'cash'), 0)::int8 AS cash
      FROM journal_lines WHERE agency_id = ${agency.id}`.execute(db);
    assert.deepEqual(ledger.rows[0], { ar: 0n, cash: book.totalCents });
  });

  it('pulls every due invoice exactly once when workers are killed after a claim, after payment creation and mid-execution', async (t) => {
    const db = database.db;
    const agency = await createTestAgency(db, 'Autopay Kill Agency');
    await createBank(db, agency.actor, { shortName: 'OPER', name: 'Operating', division: 'Main' });
    const customers = 100;
    const perCustomer = 3;
    const total = customers * perCustomer;
    const tokens: string[] = [];
    for (let c = 0; c < customers; c++) tokens.push(await tokenizeCard(sandbox, CARD_SUCCEEDS));
    const now = new Date();
    const today = dateInZone(now, 'America/Chicago');
    const book = await seedAutopayBook(db, agency.id, {
      customers,
      invoicesPerCustomer: perCustomer,
      autopayTime: new Date(now.getTime() - 60_000),
      dueDate: today,
      today,
      amountCents: 4_321n,
      tokens,
    });
    assert.equal(book.invoices, total);

    const script = join(import.meta.dirname, '..', 'support', 'processes', 'autopay-worker-process.ts');
    // One worker at a time, each told where to die; the last one is left alone.
    const runWorker = async (killAt: string | undefined) => {
      const child = fork(script, [], {
        env: {
          ...process.env,
          AUTOPAY_DATABASE_URL: process.env.TEST_DATABASE_URL!,
          AUTOPAY_SCHEMA: database.searchPath!,
          AUTOPAY_SANDBOX_URL: sandbox.url,
          AUTOPAY_SANDBOX_SECRET: SECRET,
          AUTOPAY_AGENCY_ID: agency.id,
          AUTOPAY_NOW: now.toISOString(),
          AUTOPAY_PAGE_SIZE: '40',
          AUTOPAY_KILL_AT: killAt ?? '',
        },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      await new Promise<void>((resolve) => child.once('message', () => resolve()));
      const report = new Promise<{ run: AutopayRunView; executed: number } | null>((resolve) => {
        child.once('message', (message) => resolve(message as { run: AutopayRunView; executed: number }));
        child.once('exit', () => resolve(null));
      });
      const exited = new Promise<NodeJS.Signals | null>((resolve) =>
        child.once('exit', (_code, signal) => resolve(signal)),
      );
      child.send('go');
      const result = await report;
      return { result, signal: await exited };
    };

    // 1. Dies right after its second page's claims committed: 40 invoices claimed, none decided.
    const claimed = await runWorker('claimed:2');
    assert.equal(claimed.signal, 'SIGKILL');
    const stranded = await sql<{ n: bigint }>`SELECT count(*) AS n FROM autopay_firings
      WHERE agency_id = ${agency.id} AND status = 'claimed'`.execute(db);
    assert.equal(stranded.rows[0]!.n, 40n, 'the kill left a page of claims behind');
    // 2. Dies right after its third page's payments committed (its run's figures not yet saved).
    const created = await runWorker('payments_created:3');
    assert.equal(created.signal, 'SIGKILL');
    // 3. Finishes the pass, then dies mid-execution: the sandbox charged, policypay recorded nothing.
    const charged = await runWorker('charged:25');
    assert.equal(charged.signal, 'SIGKILL');
    // 4. Left alone: a pass (nothing left to fire) and the due payments.
    const last = await runWorker(undefined);
    assert.ok(last.result, 'the last worker reported');
    t.diagnostic(`kills: 3; last worker: fired ${last.result.run.fired}, executed ${last.result.executed}`);

    // The janitor resolves the attempt the third worker died in (by idempotency key: found charged).
    let later = new Date();
    for (let round = 0; round < 10; round++) {
      later = new Date(later.getTime() + 10 * 60_000);
      await runPaymentJanitor(db, processors, { now: later, limit: 1_000 });
      for (const id of await duePaymentIds(db, later, 1_000)) await executePayment(db, processors, id, { now: later });
      const open = await sql<{ n: bigint }>`SELECT count(*) AS n FROM payments WHERE agency_id = ${agency.id}
        AND state IN ('requested', 'executing')`.execute(db);
      if (open.rows[0]!.n === 0n) break;
    }

    // Every due invoice fired once and pulled once: one firing, one payment, one charge each.
    const firings = await sql<{ status: string; n: bigint }>`SELECT status, count(*) AS n FROM autopay_firings
      WHERE agency_id = ${agency.id} GROUP BY status`.execute(db);
    assert.deepEqual(firings.rows, [{ status: 'payment_created', n: BigInt(total) }]);
    const perInvoice = await sql<{ payments: bigint; n: bigint }>`
      SELECT payments, count(*) AS n FROM (
        SELECT i.id, count(t.id) AS payments FROM invoices i
          LEFT JOIN payment_targets t ON t.invoice_id = i.id
         WHERE i.agency_id = ${agency.id} GROUP BY i.id) x
       GROUP BY payments`.execute(db);
    assert.deepEqual(perInvoice.rows, [{ payments: 1n, n: BigInt(total) }]);
    const attempts = await sql<{ payment_id: string; key: string }>`
      SELECT a.payment_id, a.idempotency_key AS key FROM payment_attempts a
        JOIN payments p ON p.id = a.payment_id WHERE p.agency_id = ${agency.id}`.execute(db);
    const chargesByPayment = new Map<string, number>();
    for (const attempt of attempts.rows) {
      chargesByPayment.set(
        attempt.payment_id,
        (chargesByPayment.get(attempt.payment_id) ?? 0) + sandbox.chargeCount(attempt.key),
      );
    }
    assert.equal(chargesByPayment.size, total);
    assert.deepEqual(
      [...chargesByPayment.values()].filter((n) => n !== 1),
      [],
      'one charge per payment',
    );
    const states = await sql<{ state: string; n: bigint }>`SELECT state, count(*) AS n FROM payments
      WHERE agency_id = ${agency.id} GROUP BY state`.execute(db);
    assert.deepEqual(states.rows, [{ state: 'posted', n: BigInt(total) }]);
    const ledger = await sql<{ ar: bigint; cash: bigint }>`SELECT
        coalesce(sum(amount_cents) FILTER (WHERE account = 'accounts_receivable'), 0)::int8 AS ar,
        coalesce(sum(amount_cents) FILTER (WHERE account = 'cash'), 0)::int8 AS cash
      FROM journal_lines WHERE agency_id = ${agency.id}`.execute(db);
    assert.deepEqual(ledger.rows[0], { ar: 0n, cash: book.totalCents });

    // The dead passes' runs were closed and say so; none is left running.
    const runs = await sql<{ status: string; n: bigint }>`SELECT status, count(*) AS n FROM autopay_runs
      WHERE agency_id = ${agency.id} GROUP BY status ORDER BY status`.execute(db);
    assert.deepEqual(runs.rows, [
      { status: 'abandoned', n: 2n },
      { status: 'finished', n: 2n },
    ]);
  });
});
