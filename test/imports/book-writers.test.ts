// The set-based batch writes record what the single-row use cases would: an audit row per
// creation (two for a policy imported canceled), customer numbers that skip the file's own, the
// primary-contact takeover in file order, and an invoice's autopay time from its policy's plan.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { createInstallmentPlan } from '../../src/agency/installment-plans.ts';
import { commitImport } from '../../src/imports/commit.ts';
import { textSource } from '../../src/imports/csv-rows.ts';
import { previewImport } from '../../src/imports/preview.ts';
import type { ImportKind } from '../../src/imports/rules/import-kinds.ts';
import { planAutopayTimes } from '../../src/ledger/installments.ts';
import type { DatabaseHandle } from '../../src/platform/db/database.ts';
import { inTransaction } from '../../src/platform/db/transaction.ts';
import { databaseTargets, openTestDatabase } from '../support/db.ts';
import { createTestAgency, type TestAgency } from '../support/fixtures.ts';

const NOW = new Date('2026-03-20T15:00:00Z');

for (const target of databaseTargets()) {
  describe(`book import batch writes on ${target}`, () => {
    let database: DatabaseHandle;
    let agency: TestAgency;
    before(async () => {
      database = await openTestDatabase(target);
      agency = await createTestAgency(database.db);
      await createInstallmentPlan(database.db, agency.actor, {
        name: 'Monthly',
        installments: 10,
        frequency: 'monthly',
        autopayLeadDays: 3,
      });
    });
    after(async () => database.close());

    const load = async (kind: ImportKind, text: string, batchSize: number) => {
      const shown = await previewImport(database.db, agency.actor, { kind, source: textSource(text), content: text });
      assert.equal(shown.problemCount, 0, JSON.stringify(shown.problems));
      const done = await commitImport(database.db, agency.actor, shown.id, { now: NOW, batchSize });
      assert.equal(done.status, 'committed');
    };
    const audits = async (action: string) =>
      (
        await sql<{ n: string }>`SELECT count(*)::text AS n FROM audit_log
          WHERE agency_id = ${agency.id} AND action = ${action}`.execute(database.db)
      ).rows[0]!.n;

    it('writes every kind in batches with the effects of the single-row use cases', async () => {
      await load('customers', 'externalId,customerNumber,name\nX-1,,One\nX-2,,Two\nX-3,900,Three\nX-4,,Four\n', 2);
      const numbers = await sql<{ external_id: string; customer_number: number }>`
        SELECT i.external_id, c.customer_number FROM imported_customers i JOIN customers c ON c.id = i.customer_id
        WHERE i.agency_id = ${agency.id} ORDER BY i.external_id`.execute(database.db);
      assert.deepEqual(
        numbers.rows.map((r) => [r.external_id, r.customer_number]),
        [
          ['X-1', 1],
          ['X-2', 2],
          ['X-3', 900],
          ['X-4', 901],
        ],
      );
      assert.equal(await audits('customer.created'), '4');

      await load('contacts', 'customer,name,primary\nX-1,Ann,yes\nX-1,Bob,\nX-1,Cat,yes\nX-2,Dan,\nX-2,Eve,\n', 10);
      const contacts = await sql<{ name: string; is_primary: boolean }>`
        SELECT name, is_primary FROM contacts WHERE agency_id = ${agency.id} ORDER BY name`.execute(database.db);
      assert.deepEqual(
        contacts.rows.map((c) => [c.name, c.is_primary]),
        [
          ['Ann', false],
          ['Bob', false],
          ['Cat', true],
          ['Dan', true],
          ['Eve', false],
        ],
      );
      assert.equal(await audits('contact.created'), '5');

      await load(
        'policies',
        'policyNumber,customer,lineOfBusiness,effectiveDate,expirationDate,premium,installmentPlan,status,cancellationReason,cancellationEffectiveDate\n' +
          'P-1,X-1,Auto,2026-01-01,2027-01-01,1200.00,Monthly,active,,\n' +
          'P-2,X-2,Home,2026-01-01,2027-01-01,800.00,,canceled,non_pay,2026-02-10\n',
        10,
      );
      const canceled = await sql<{ status: string; cancellation_reason: string; cancellation_effective_date: string }>`
        SELECT status, cancellation_reason, cancellation_effective_date FROM policies
        WHERE agency_id = ${agency.id} AND policy_number = 'P-2'`.execute(database.db);
      assert.deepEqual(canceled.rows, [
        { status: 'canceled', cancellation_reason: 'non_pay', cancellation_effective_date: '2026-02-10' },
      ]);
      assert.equal(await audits('policy.created'), '2');
      assert.equal(await audits('policy.transitioned'), '1');

      await load(
        'invoices',
        'invoiceNumber,customer,policyNumber,dueDate,amount,openBalance\n' +
          '70001,X-1,P-1,2026-04-15,100.00,100.00\n70002,X-2,P-2,2026-04-15,50.00,20.00\n',
        1,
      );
      const invoices = await sql<{ invoice_number: number; autopay_time: Date | null; policy_id: string }>`
        SELECT invoice_number, autopay_time, policy_id FROM invoices WHERE agency_id = ${agency.id}
        ORDER BY invoice_number`.execute(database.db);
      const plan = await sql<{ installment_plan_id: string }>`
        SELECT installment_plan_id FROM policies WHERE agency_id = ${agency.id} AND policy_number = 'P-1'`.execute(
        database.db,
      );
      const [expected] = await inTransaction(database.db, (tx) =>
        planAutopayTimes(tx, agency.id, plan.rows[0]!.installment_plan_id, ['2026-04-15']),
      );
      assert.ok(expected);
      assert.equal(invoices.rows[0]!.autopay_time?.toISOString(), expected.toISOString());
      assert.equal(invoices.rows[1]!.autopay_time, null);
      assert.equal(await audits('invoice.created'), '2');
      // Each invoice has one balanced opening entry: AR against opening_balance, for its open balance.
      const entries = await sql<{ invoice_number: number; ar: string; lines: string }>`
        SELECT i.invoice_number, sum(l.amount_cents) FILTER (WHERE l.account = 'accounts_receivable')::text AS ar,
               count(*)::text AS lines
        FROM invoices i JOIN journal_entries e ON e.source_id = i.id AND e.source_type = 'invoice'
        JOIN journal_lines l ON l.entry_id = e.id
        WHERE i.agency_id = ${agency.id} GROUP BY i.invoice_number HAVING sum(l.amount_cents) = 0
        ORDER BY i.invoice_number`.execute(database.db);
      assert.deepEqual(entries.rows, [
        { invoice_number: 70001, ar: '10000', lines: '2' },
        { invoice_number: 70002, ar: '2000', lines: '2' },
      ]);
      // The database kept each invoice's balance (migration 0026) from the batch's one statement.
      const kept = await sql<{ invoice_number: number; balance: string }>`
        SELECT i.invoice_number, b.balance_cents::text AS balance
        FROM invoices i JOIN invoice_balances b ON b.invoice_id = i.id
        WHERE i.agency_id = ${agency.id} ORDER BY i.invoice_number`.execute(database.db);
      assert.deepEqual(kept.rows, [
        { invoice_number: 70001, balance: '10000' },
        { invoice_number: 70002, balance: '2000' },
      ]);
    });
  });
}
