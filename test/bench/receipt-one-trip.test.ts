import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { pgliteDriver, postgresDriver, type RawDriver } from '../../bench/baseline.ts';
import {
  createOneTripBook,
  type OneTripBook,
  oneTripReceipt,
  oneTripReceiptScript,
  withLiterals,
} from '../../bench/receipt-one-trip.ts';
import type { DatabaseHandle } from '../../src/platform/db/database.ts';
import { databaseTargets, openTestDatabase } from '../support/db.ts';

// The receipts target's baseline writes policypay's rows in one simple-query string: it must keep
// working on the current schema, keep the books as a receipt does, and leave nothing behind when
// a statement in it fails.
describe('one-trip receipt script', () => {
  it('writes parameters as literals outside quoted text only', () => {
    assert.equal(
      withLiterals("SELECT $1::text, '$3.75 by $2', $2, $3", ["O'Brien", 7, null]),
      "SELECT 'O''Brien'::text, '$3.75 by $2', 7, NULL",
    );
    assert.throws(() => withLiterals('SELECT $2', [1]), /no value for \$2/);
  });
});

for (const target of databaseTargets()) {
  describe(`one-trip receipt baseline on ${target}`, () => {
    let database: DatabaseHandle;
    let driver: RawDriver;
    let book: OneTripBook;

    before(async () => {
      database = await openTestDatabase(target);
      driver = database.pglite
        ? pgliteDriver(database.pglite)
        : postgresDriver({ url: database.connectionString!, searchPath: database.searchPath!, poolSize: 2 });
      book = await createOneTripBook(database.db, 'one-trip', 3);
    });
    after(async () => {
      await driver.close();
      await database.close();
    });

    const books = async () => {
      const { rows } = await sql<{
        receipts: number[] | null;
        applications: number;
        audits: number;
        unbalanced: number;
        open: string[];
      }>`
        SELECT (SELECT array_agg(receipt_number ORDER BY receipt_number) FROM receipts WHERE agency_id = ${book.agency.id}::uuid) AS receipts,
               (SELECT count(*)::int FROM receipt_applications WHERE agency_id = ${book.agency.id}::uuid) AS applications,
               (SELECT count(*)::int FROM audit_log
                 WHERE agency_id = ${book.agency.id}::uuid AND action = 'receipt.posted') AS audits,
               (SELECT count(*)::int FROM (SELECT entry_id FROM journal_lines WHERE agency_id = ${book.agency.id}::uuid
                                           GROUP BY entry_id HAVING sum(amount_cents) <> 0) u) AS unbalanced,
               (SELECT array_agg(i.invoice_number || ':' || (SELECT sum(l.amount_cents) FROM journal_lines l
                                  WHERE l.invoice_id = i.id AND l.account = 'accounts_receivable') ORDER BY i.invoice_number)
                  FROM invoices i WHERE i.agency_id = ${book.agency.id}::uuid) AS open
      `.execute(database.db);
      return rows[0]!;
    };

    it("writes policypay's rows for each receipt in one string: numbered, applied to both invoices, balanced", async () => {
      assert.match(oneTripReceiptScript(book, 1), /^BEGIN;[\s\S]*;\nCOMMIT$/);
      for (const customer of [1, 3, 3]) await oneTripReceipt(driver, book, customer);
      const row = await books();
      assert.deepEqual(row.receipts, [1, 2, 3]);
      assert.equal(row.applications, 6);
      assert.equal(row.audits, 3);
      assert.equal(row.unbalanced, 0);
      assert.deepEqual(row.open, [
        '1:99999875',
        '2:99999750',
        '3:100000000',
        '4:100000000',
        '5:99999750',
        '6:99999500',
      ]);
    });

    it('rolls the whole receipt back when a statement in the string fails, and the session stays usable', async () => {
      const failing = oneTripReceiptScript(book, 2).replace(/\nCOMMIT$/, '\nSELECT 1 / 0;\nCOMMIT');
      await assert.rejects(driver.script(failing), /division by zero/);
      await oneTripReceipt(driver, book, 2);
      const row = await books();
      assert.equal(row.applications, 8, 'only the second receipt of customer 2 was written');
      assert.equal(row.audits, 4);
    });
  });
}
