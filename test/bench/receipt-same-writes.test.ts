import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { pgliteDriver, postgresDriver, type RawDriver } from '../../bench/baseline.ts';
import { createSameWritesAgency, type SameWritesAgency, sameWritesReceipt } from '../../bench/receipt-same-writes.ts';
import type { DatabaseHandle } from '../../src/platform/db/database.ts';
import { databaseTargets, openTestDatabase } from '../support/db.ts';

// The receipts scenario's diagnostic baseline posts receipts with raw copies of policypay's
// statements: they must keep working on the current schema and keep the books as a receipt does.
for (const target of databaseTargets()) {
  describe(`same-writes receipt baseline on ${target}`, () => {
    let database: DatabaseHandle;
    let driver: RawDriver;
    let agency: SameWritesAgency;

    before(async () => {
      database = await openTestDatabase(target);
      driver = database.pglite
        ? pgliteDriver(database.pglite)
        : postgresDriver({ url: database.connectionString!, searchPath: database.searchPath!, poolSize: 2 });
      agency = await createSameWritesAgency(database.db, 'same-writes', 3);
    });
    after(async () => {
      await driver.close();
      await database.close();
    });

    it("writes policypay's rows for each receipt: numbered, applied to both invoices, balanced", async () => {
      for (const customer of [1, 3, 3]) await sameWritesReceipt(driver, agency, customer);
      const { rows } = await sql<{
        receipts: number[];
        applications: number;
        activities: number;
        audits: number;
        unbalanced: number;
        open: string[];
      }>`
        SELECT (SELECT array_agg(receipt_number ORDER BY receipt_number) FROM receipts WHERE agency_id = ${agency.id}::uuid) AS receipts,
               (SELECT count(*)::int FROM receipt_applications WHERE agency_id = ${agency.id}::uuid) AS applications,
               (SELECT count(*)::int FROM activities WHERE agency_id = ${agency.id}::uuid) AS activities,
               (SELECT count(*)::int FROM audit_log
                 WHERE agency_id = ${agency.id}::uuid AND action = 'receipt.posted') AS audits,
               (SELECT count(*)::int FROM (SELECT entry_id FROM journal_lines WHERE agency_id = ${agency.id}::uuid
                                           GROUP BY entry_id HAVING sum(amount_cents) <> 0) u) AS unbalanced,
               (SELECT array_agg(i.invoice_number || ':' || (SELECT sum(l.amount_cents) FROM journal_lines l
                                  WHERE l.invoice_id = i.id AND l.account = 'accounts_receivable') ORDER BY i.invoice_number)
                  FROM invoices i WHERE i.agency_id = ${agency.id}::uuid) AS open
      `.execute(database.db);
      const row = rows[0]!;
      assert.deepEqual(row.receipts, [1, 2, 3]);
      assert.equal(row.applications, 6);
      assert.equal(row.activities, 3);
      assert.equal(row.audits, 3);
      assert.equal(row.unbalanced, 0);
      // Each invoice bills $1,000,000.00; customer 1's two lose $1.25 and $2.50, customer 3's twice.
      assert.deepEqual(row.open, [
        '1:99999875',
        '2:99999750',
        '3:100000000',
        '4:100000000',
        '5:99999750',
        '6:99999500',
      ]);
    });
  });
}
