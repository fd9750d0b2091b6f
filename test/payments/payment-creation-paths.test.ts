import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createBank } from '../../src/agency/banks.ts';
import { runAutopayPass } from '../../src/autopay/autopay.ts';
import { defaultAutopayPlugin } from '../../src/autopay/plugins/default-plugin.ts';
import type { AutopayPlugin } from '../../src/autopay/rules/autopay.ts';
import { systemActor } from '../../src/kernel/actor.ts';
import { createPayment } from '../../src/payments/creation/create.ts';
import type { DatabaseHandle } from '../../src/platform/db/database.ts';
import type { JobQueue } from '../../src/platform/jobs/job-queue.ts';
import { databaseTargets, openTestDatabase } from '../support/db.ts';
import { createTestAgency } from '../support/fixtures.ts';
import { seedAutopayBook } from '../support/worlds/autopay-book.ts';

// The autopay pass creates a page's plain payments together (autopay-batch.ts) and any other one
// alone through `createPayment`, the API's use case. Both must write the same rows, jobs and texts
// for the same plugin decision: here one customer's payment takes each path, in one pass.
const NOW = new Date('2026-11-21T15:00:00Z');

for (const target of databaseTargets()) {
  describe(`payment creation paths on ${target}`, () => {
    let database: DatabaseHandle;
    before(async () => {
      database = await openTestDatabase(target);
    });
    after(async () => database.close());

    it('writes the same payment, targets, transition, job, activity and audit row for the page and for createPayment', async () => {
      const db = database.db;
      const agency = await createTestAgency(db);
      await createBank(db, agency.actor, { shortName: 'OPER', name: 'Operating', division: 'Main' });
      await seedAutopayBook(db, agency.id, {
        customers: 2,
        invoicesPerCustomer: 1,
        autopayTime: new Date(NOW.getTime() - 60_000),
        dueDate: '2026-11-21',
        today: '2026-11-21',
        amountCents: 12_500n,
        tokens: ['tok_paths_1', 'tok_paths_2'],
      });
      const later = new Date(NOW.getTime() + 3_600_000);
      // Customer 2's payment names the bank the page would pick: a named bank takes the one-invoice path.
      const plugin: AutopayPlugin = async (invoice, context) => {
        const decision = (await defaultAutopayPlugin(invoice, context))!;
        return {
          ...decision,
          nextRequestTime: later,
          payment: {
            ...decision.payment!,
            extension: { plan: 'monthly' },
            ...(invoice.customerNumber === 2 ? { bankShortName: 'OPER' } : {}),
          },
        };
      };
      const jobs: { queue: string; data: object; startAfter: Date | undefined }[] = [];
      const recording: JobQueue = {
        async enqueue(_tx, queue, data, options) {
          jobs.push({ queue, data, startAfter: options?.startAfter });
        },
        async enqueueMany(_tx, queue, many) {
          for (const job of many) jobs.push({ queue, data: job.data, startAfter: job.startAfter });
        },
      };
      const steps: string[] = [];
      const run = await runAutopayPass(db, systemActor(agency.id, 'autopay'), {
        now: NOW,
        plugin,
        jobs: recording,
        onStep: (step) => {
          steps.push(step);
        },
      });
      assert.equal(run.paymentsCreated, 2);
      assert.ok(steps.includes('payments_created'), 'customer 1 took the page path');

      const payments = await db
        .selectFrom('payments as p')
        .innerJoin('customers as c', 'c.id', 'p.customer_id')
        .selectAll('p')
        .select('c.customer_number')
        .where('p.agency_id', '=', agency.id)
        .orderBy('c.customer_number')
        .execute();
      assert.equal(payments.length, 2);
      const written = async (payment: (typeof payments)[number]) => {
        const { id, customer_id, payment_method_id, customer_number, created_at, updated_at, ...row } = payment;
        const [targets, transitions, activities, audits] = await Promise.all([
          db.selectFrom('payment_targets').selectAll().where('payment_id', '=', id).execute(),
          db.selectFrom('payment_transitions').selectAll().where('payment_id', '=', id).execute(),
          db
            .selectFrom('activities')
            .selectAll()
            .where('customer_id', '=', customer_id)
            .where('kind', '=', 'payment_created')
            .execute(),
          db.selectFrom('audit_log').selectAll().where('entity_id', '=', id).execute(),
        ]);
        return {
          row,
          targets: targets.map(({ id: _, payment_id, invoice_id, ...t }) => t),
          transitions: transitions.map(({ id: _, payment_id, created_at, ...t }) => t),
          activities: activities.map(({ id: _, customer_id, created_at, data, ...a }) => ({
            ...a,
            data: { ...data, paymentId: data.paymentId === id },
          })),
          audits: audits.map(({ id: _, entity_id, created_at, ...a }) => a),
          jobs: jobs
            .filter((job) => (job.data as { paymentId: string }).paymentId === id)
            .map((job) => ({ ...job, data: Object.keys(job.data) })),
        };
      };
      const page = await written(payments[0]!);
      const alone = await written(payments[1]!);
      assert.deepEqual(page, alone);
      // What both wrote, so an empty comparison cannot pass.
      assert.equal(page.row.next_attempt_at?.getTime(), later.getTime());
      assert.deepEqual(page.row.extension, { plan: 'monthly' });
      assert.equal(page.targets.length, 1);
      assert.equal(page.transitions.length, 1);
      assert.deepEqual(
        page.activities.map((a) => a.summary),
        ['Card payment of $125.00 requested by autopay'],
      );
      assert.equal(page.audits.length, 1);
      assert.deepEqual(page.jobs, [{ queue: 'payments.charge', data: ['paymentId'], startAfter: later }]);
    });

    it('leaves a payment for an invoice already in flight to createPayment, which refuses it, as for the API', async () => {
      const db = database.db;
      const agency = await createTestAgency(db);
      await createBank(db, agency.actor, { shortName: 'OPER', name: 'Operating', division: 'Main' });
      await seedAutopayBook(db, agency.id, {
        customers: 2,
        invoicesPerCustomer: 2,
        autopayTime: new Date(NOW.getTime() - 60_000),
        dueDate: '2026-11-21',
        today: '2026-11-21',
        amountCents: 10_000n,
        tokens: ['tok_flight_1', 'tok_flight_2'],
      });
      // The pass takes invoices by autopay time, then id (random within one millisecond): invoice
      // 4 is made due last so that invoice 3's payment, which covers it, is created first.
      await db
        .updateTable('invoices')
        .set({ autopay_time: new Date(NOW.getTime() - 30_000) })
        .where('agency_id', '=', agency.id)
        .where('invoice_number', '=', 4)
        .execute();
      // Invoice 1: staff take a payment for it after the pass read its page (the plugin runs then).
      // Invoice 3: its payment covers invoice 4 too, whose own firing is then refused.
      const plugin: AutopayPlugin = async (invoice, context) => {
        const decision = (await defaultAutopayPlugin(invoice, context))!;
        if (invoice.invoiceNumber === 1) {
          await createPayment(db, agency.actor, {
            customerNumber: 1,
            type: 'card',
            amountCents: 10_000n,
            currency: 'USD',
            paymentMethodId: context.enrollment.paymentMethodId,
            targets: [{ invoiceNumber: 1, amountCents: 10_000n }],
            channel: 'secure_checkout',
          });
        }
        if (invoice.invoiceNumber !== 3) return decision;
        return {
          payment: {
            ...decision.payment!,
            amountCents: 20_000n,
            targets: [
              { invoiceNumber: 3, amountCents: 10_000n },
              { invoiceNumber: 4, amountCents: 10_000n },
            ],
          },
        };
      };
      const run = await runAutopayPass(db, systemActor(agency.id, 'autopay'), { now: NOW, plugin, concurrency: 1 });
      assert.equal(run.paymentsCreated, 2);
      assert.equal(run.failed, 2);
      const failures = await db
        .selectFrom('autopay_firings')
        .select('error')
        .where('agency_id', '=', agency.id)
        .where('status', '=', 'failed')
        .execute();
      assert.equal(failures.length, 2);
      for (const { error } of failures) assert.match(error ?? '', /already has payment .* in flight/);
      const perInvoice = await db
        .selectFrom('payment_targets as t')
        .innerJoin('invoices as i', 'i.id', 't.invoice_id')
        .select(['i.invoice_number', (eb) => eb.fn.countAll<string>().as('payments')])
        .where('t.agency_id', '=', agency.id)
        .groupBy('i.invoice_number')
        .orderBy('i.invoice_number')
        .execute();
      assert.deepEqual(
        perInvoice.map((r) => [r.invoice_number, Number(r.payments)]),
        [
          [1, 1],
          [2, 1],
          [3, 1],
          [4, 1],
        ],
      );
    });
  });
}
