import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { createBenchAgency, seedReceiptCustomers } from '../../bench/fixtures.ts';
import { postCustomerReceipt } from '../../src/ledger/receipt-posting.ts';
import type { DatabaseHandle } from '../../src/platform/db/database.ts';
import { analyzeDatabase } from '../../src/platform/db/statistics.ts';
import { databaseTargets, openTestDatabase } from '../support/db.ts';

// A receipt's prepared statements keep PostgreSQL's generic plan after the fifth execution, so
// they are not planned again on every receipt. An `= ANY(array)` parameter once kept the invoice
// balances on a custom plan (planned each time): its generic plan assumed ten invoices. Only
// PostgreSQL prepares statements; on PGlite the mark is a comment, so there is nothing to check.
for (const target of databaseTargets().filter((t) => t === 'postgres')) {
  describe(`receipt statement plans on ${target}`, () => {
    let database: DatabaseHandle;
    before(async () => {
      database = await openTestDatabase(target);
    });
    after(async () => database.close());

    it('runs the lock, the invoice balances and the write on generic plans after five receipts', async () => {
      const db = database.db;
      // The bench's book (500 customers with two invoices each, their ledger lines) and fresh
      // statistics: on near-empty tables every plan costs about the same and the difference hides.
      const agency = await createBenchAgency(db, 'plans');
      await seedReceiptCustomers(db, agency, 500);
      await analyzeDatabase(db);
      const customer = { customerNumber: 7 };
      const invoices = [13, 14];
      const receipts = 8;
      const plans = await db.connection().execute(async (conn) => {
        for (let i = 0; i < receipts; i++) {
          await postCustomerReceipt(conn, agency.actor, {
            customerNumber: customer.customerNumber,
            items: invoices.map((invoiceNumber) => ({ invoiceNumber, amountCents: 100n + BigInt(i) })),
            receiptAmountCents: 200n + 2n * BigInt(i),
            receiptDate: agency.today,
            receiptDateTimeZone: 'America/Chicago',
            bankShortName: agency.bankShortName,
            paymentCheckType: 'Check',
            payerCheckNumber: String(1000 + i),
          });
        }
        return (
          await sql<{ statement: string; generic_plans: string; custom_plans: string }>`
            SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements`.execute(conn)
        ).rows;
      });
      const receiptStatements = plans.filter(
        (p) =>
          /FOR UPDATE OF c|invoice_number IN|INSERT INTO receipts/.test(p.statement) &&
          /\bprepared\b/.test(p.statement),
      );
      assert.equal(receiptStatements.length, 3, 'the lock, the balances and the write are prepared');
      for (const p of receiptStatements) {
        const label = p.statement.replace(/\s+/g, ' ').slice(0, 60);
        assert.equal(Number(p.custom_plans), 5, `${label}: custom plans only for the first five`);
        assert.equal(Number(p.generic_plans), receipts - 5, `${label}: generic plan afterwards`);
      }
    });
  });
}
