import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { createBank } from '../../src/agency/banks.ts';
import { createCustomer } from '../../src/customers/customers.ts';
import { createInvoice } from '../../src/ledger/invoices.ts';
import { createPayment } from '../../src/payments/creation/create.ts';
import { duePaymentIds, executePayment } from '../../src/payments/execution.ts';
import { runPaymentJanitor } from '../../src/payments/janitor.ts';
import { savePaymentMethod } from '../../src/payments/methods.ts';
import { createProcessors } from '../../src/payments/processor-registry.ts';
import type { Processors } from '../../src/payments/processors/processor.ts';
import { type Sandbox, startSandbox } from '../../src/payments/processors/sandbox/server.ts';
import {
  CARD_DECLINED_INSUFFICIENT_FUNDS,
  CARD_DECLINED_STOLEN,
  CARD_LOST_RESPONSE,
  CARD_SUCCEEDS,
} from '../../src/payments/processors/sandbox/test-numbers.ts';
import type { DatabaseHandle } from '../../src/platform/db/database.ts';
import { openTestDatabase } from '../support/db.ts';
import { createTestAgency } from '../support/fixtures.ts';
import { tokenizeCard } from '../support/payments.ts';

const SECRET = 'whsec_crash_test_secret_0001';
const PAYMENTS = 500;

// Several worker processes are killed with SIGKILL at random moments while they execute payments.
// PGlite is one process's database, so this runs on PostgreSQL (CI sets TEST_DATABASE_URL).
describe('payment execution survives SIGKILL', {
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
    processors = createProcessors({ sandboxUrl: sandbox.url, sandboxWebhookSecret: SECRET, sandboxTimeoutMs: 1_000 });
  });
  after(async () => {
    await sandbox?.close();
    await database?.close();
  });

  it(`charges each of ${PAYMENTS} payments at most once, and every payment ends posted, failed or retry-scheduled`, async (t) => {
    const db = database.db;
    const agency = await createTestAgency(db);
    await createBank(db, agency.actor, { shortName: 'OPER', name: 'Operating', division: 'Main' });
    const cards = [
      ...Array(16).fill(CARD_SUCCEEDS),
      CARD_DECLINED_INSUFFICIENT_FUNDS,
      CARD_DECLINED_INSUFFICIENT_FUNDS,
      CARD_DECLINED_STOLEN,
      CARD_LOST_RESPONSE,
    ] as string[];
    const customers: { number: number; invoices: number[]; methods: string[] }[] = [];
    for (let c = 0; c < 25; c++) {
      const customer = await createCustomer(db, agency.actor, { type: 'individual', name: `Crash ${c}` });
      const invoices: number[] = [];
      // One invoice per payment: a second payment for an invoice is refused while one is in flight.
      for (let i = 0; i < PAYMENTS / 25; i++) {
        invoices.push(
          (
            await createInvoice(db, agency.actor, {
              customerNumber: customer.customerNumber,
              dueDate: '2026-12-01',
              amountCents: 10_000_000n,
            })
          ).invoiceNumber,
        );
      }
      const methods: string[] = [];
      for (const card of cards) {
        const token = await tokenizeCard(sandbox, card);
        methods.push(
          (
            await savePaymentMethod(db, processors, agency.actor, customer.customerNumber, {
              processor: 'sandbox',
              token,
            })
          ).id,
        );
      }
      customers.push({ number: customer.customerNumber, invoices, methods });
    }
    for (let p = 0; p < PAYMENTS; p++) {
      const customer = customers[p % customers.length]!;
      const amountCents = BigInt(1_000 + ((p * 7919) % 20_000));
      await createPayment(db, agency.actor, {
        customerNumber: customer.number,
        type: 'card',
        amountCents,
        currency: 'USD',
        paymentMethodId: customer.methods[p % customer.methods.length]!,
        targets: [{ invoiceNumber: customer.invoices[Math.floor(p / customers.length)]!, amountCents }],
        channel: 'secure_checkout',
      });
    }

    // Workers killed at random moments, several times.
    const script = join(import.meta.dirname, '..', 'support', 'processes', 'payment-worker-process.ts');
    let kills = 0;
    for (let run = 0; run < 6; run++) {
      const child = fork(script, [], {
        env: {
          ...process.env,
          CRASH_DATABASE_URL: process.env.TEST_DATABASE_URL!,
          CRASH_SCHEMA: database.searchPath!,
          CRASH_SANDBOX_URL: sandbox.url,
          CRASH_SANDBOX_SECRET: SECRET,
        },
        stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      });
      await new Promise<void>((resolve) => child.once('message', () => resolve()));
      await new Promise((resolve) => setTimeout(resolve, 150 + Math.floor(Math.random() * 600)));
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
      kills++;
    }
    assert.equal(kills, 6);

    // Recovery: the janitor and the executor finish the rest, on a clock that moves 10 minutes a
    // round so each janitor check time comes due.
    let later = new Date(Date.now());
    for (let round = 0; round < 30; round++) {
      later = new Date(later.getTime() + 10 * 60_000);
      await runPaymentJanitor(db, processors, { now: later, limit: 1_000 });
      const due = await duePaymentIds(db, later, 1_000);
      for (let i = 0; i < due.length; i += 8) {
        await Promise.all(due.slice(i, i + 8).map((id) => executePayment(db, processors, id, { now: later })));
      }
      const open = await sql<{ n: bigint }>`SELECT count(*) AS n FROM payments WHERE state = 'executing'
        OR (state = 'requested' AND next_attempt_at <= ${later})`.execute(db);
      if (open.rows[0]!.n === 0n) break;
    }

    const payments = await sql<{
      id: string;
      state: string;
      next_attempt_at: Date | null;
      amount: bigint;
      charged: bigint;
    }>`
      SELECT p.id, p.state, p.next_attempt_at, p.amount_cents AS amount, 0::int8 AS charged FROM payments p`.execute(
      db,
    );
    const attempts = await sql<{
      payment_id: string;
      key: string;
    }>`SELECT payment_id, idempotency_key AS key FROM payment_attempts`.execute(db);
    const chargesByPayment = new Map<string, number>();
    for (const attempt of attempts.rows) {
      const count = sandbox.chargeCount(attempt.key);
      assert.ok(count <= 1, `attempt key ${attempt.key} charged ${count} times`);
      chargesByPayment.set(attempt.payment_id, (chargesByPayment.get(attempt.payment_id) ?? 0) + count);
    }
    const states: Record<string, number> = {};
    let postedCents = 0n;
    for (const payment of payments.rows) {
      const charges = chargesByPayment.get(payment.id) ?? 0;
      assert.ok(charges <= 1, `payment ${payment.id} charged ${charges} times`);
      states[payment.state] = (states[payment.state] ?? 0) + 1;
      if (payment.state === 'posted') {
        assert.equal(charges, 1);
        postedCents += payment.amount;
      } else if (payment.state === 'failed') {
        assert.equal(charges, 0);
      } else {
        if (payment.state !== 'requested') {
          const detail =
            await sql`SELECT status, checks, next_check_at, message FROM payment_attempts WHERE payment_id = ${payment.id}`.execute(
              db,
            );
          assert.fail(`payment ${payment.id} ended ${payment.state}: ${JSON.stringify(detail.rows)}`);
        }
        assert.ok(
          payment.next_attempt_at && payment.next_attempt_at > later,
          'a requested payment has its retry scheduled',
        );
        assert.equal(charges, 0);
      }
    }
    assert.equal(payments.rows.length, PAYMENTS);
    const interrupted = await sql<{
      status: string;
      n: bigint;
    }>`SELECT status, count(*) AS n FROM payment_attempts GROUP BY status`.execute(db);
    t.diagnostic(
      `payments by state ${JSON.stringify(states)}; attempts by status ${JSON.stringify(Object.fromEntries(interrupted.rows.map((r) => [r.status, Number(r.n)])))}`,
    );
    assert.ok((states.posted ?? 0) > PAYMENTS / 2, JSON.stringify(states));

    // Every charge the sandbox made is a posted payment, and the ledger balances.
    const sandboxCents = sandbox
      .charges()
      .filter((charge) => sandbox.chargeCount(charge.idempotencyKey) === 1)
      .reduce((total, charge) => total + charge.amountCents, 0n);
    assert.equal(sandboxCents, postedCents);
    const ledger = await sql<{ net: bigint; cash: bigint }>`SELECT coalesce(sum(amount_cents), 0)::int8 AS net,
      coalesce(sum(amount_cents) FILTER (WHERE account = 'cash'), 0)::int8 AS cash FROM journal_lines`.execute(db);
    assert.equal(ledger.rows[0]!.net, 0n);
    assert.equal(ledger.rows[0]!.cash, postedCents);
  });
});
