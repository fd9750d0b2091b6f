import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { runAutopayPass } from '../../src/autopay/autopay.ts';
import { enrollAutopay } from '../../src/autopay/enrollment.ts';
import { getInvoiceAutopay } from '../../src/autopay/status.ts';
import { loadDemoAgency } from '../../src/demo/demo-agency.ts';
import { type Actor, systemActor } from '../../src/kernel/actor.ts';
import { executePayment } from '../../src/payments/execution.ts';
import { savePaymentMethod } from '../../src/payments/methods.ts';
import { createProcessors } from '../../src/payments/processor-registry.ts';
import type { Processors } from '../../src/payments/processors/processor.ts';
import { type Sandbox, startSandbox } from '../../src/payments/processors/sandbox/server.ts';
import { CARD_SUCCEEDS } from '../../src/payments/processors/sandbox/test-numbers.ts';
import type { DatabaseHandle } from '../../src/platform/db/database.ts';
import { databaseTargets, openTestDatabase } from '../support/db.ts';
import { tokenizeCard } from '../support/payments.ts';

const SECRET = 'whsec_demo_autopay_0001';

// The demo agency has three banks: autopay must deposit to its default autopay bank (issue 15).
for (const target of databaseTargets()) {
  describe(`autopay in the demo agency on ${target}`, () => {
    let database: DatabaseHandle;
    let sandbox: Sandbox;
    let processors: Processors;
    const loadedAt = new Date('2026-11-21T15:00:00Z');

    before(async () => {
      database = await openTestDatabase(target);
      sandbox = await startSandbox({ webhookSecret: SECRET });
      processors = createProcessors({ sandboxUrl: sandbox.url, sandboxWebhookSecret: SECRET });
    });
    after(async () => {
      await sandbox?.close();
      await database?.close();
    });

    it('enrolls a customer, runs a pass and pulls the due invoice into the default autopay bank', async () => {
      const db = database.db;
      const load = await loadDemoAgency(db, { now: loadedAt });
      const actor: Actor = systemActor(load.agency.id, 'test');
      // An installment of an active policy with an autopay time and an open balance.
      const due = await sql<{ invoice_number: number; customer_number: number; autopay_time: Date }>`
        SELECT i.invoice_number, c.customer_number, i.autopay_time FROM invoices i
          JOIN customers c ON c.id = i.customer_id JOIN policies p ON p.id = i.policy_id
         WHERE i.agency_id = ${load.agency.id} AND i.autopay_time IS NOT NULL AND p.status = 'active'
           AND (SELECT coalesce(sum(amount_cents), 0) FROM journal_lines l
                 WHERE l.invoice_id = i.id AND l.account = 'accounts_receivable') > 0
         ORDER BY i.autopay_time, i.invoice_number LIMIT 1`.execute(db);
      const invoice = due.rows[0];
      assert.ok(invoice, 'the demo has an autopay installment of an active policy');

      const method = await savePaymentMethod(db, processors, actor, invoice.customer_number, {
        processor: 'sandbox',
        token: await tokenizeCard(sandbox, CARD_SUCCEEDS),
      });
      await enrollAutopay(db, actor, invoice.customer_number, { paymentMethodId: method.id });

      const run = await runAutopayPass(db, systemActor(load.agency.id, 'autopay'), {
        now: invoice.autopay_time,
        trigger: 'manual',
      });
      assert.ok(run.paymentsCreated >= 1, JSON.stringify(run));
      assert.equal(run.failed, 0, JSON.stringify(run));
      const status = await getInvoiceAutopay(db, actor, invoice.invoice_number);
      assert.equal(status.firing?.status, 'payment_created', JSON.stringify(status));
      const payment = await db
        .selectFrom('payments')
        .innerJoin('banks', 'banks.id', 'payments.bank_id')
        .select(['payments.id', 'banks.short_name'])
        .where('payments.id', '=', status.firing!.paymentId!)
        .executeTakeFirstOrThrow();
      assert.equal(payment.short_name, 'OPER');

      const executed = await executePayment(db, processors, payment.id, { now: invoice.autopay_time });
      assert.equal(executed.status, 'succeeded');
      const balance = await sql<{ cents: bigint }>`SELECT coalesce(sum(l.amount_cents), 0)::int8 AS cents
        FROM journal_lines l JOIN invoices i ON i.id = l.invoice_id
       WHERE i.agency_id = ${load.agency.id} AND i.invoice_number = ${invoice.invoice_number}
         AND l.account = 'accounts_receivable'`.execute(db);
      assert.equal(balance.rows[0]!.cents, 0n);
      const receipt = await db
        .selectFrom('receipts')
        .innerJoin('banks', 'banks.id', 'receipts.bank_id')
        .innerJoin('payments', 'payments.receipt_id', 'receipts.id')
        .select('banks.short_name')
        .where('payments.id', '=', payment.id)
        .executeTakeFirstOrThrow();
      assert.equal(receipt.short_name, 'OPER');
    });
  });
}
