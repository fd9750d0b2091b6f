// Importing the book from CSV through the use cases: the documented samples in order, problems
// that reject a file whole, re-imports and overlaps, a commit killed midway, and tenancy.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { commitImport } from '../../src/imports/commit.ts';
import { textSource } from '../../src/imports/csv-rows.ts';
import { getImport } from '../../src/imports/import-records.ts';
import { previewImport } from '../../src/imports/preview.ts';
import type { ImportKind } from '../../src/imports/rules/import-kinds.ts';
import { getCustomerAccount } from '../../src/ledger/accounts.ts';
import { getInvoice } from '../../src/ledger/invoices.ts';
import type { DatabaseHandle } from '../../src/platform/db/database.ts';
import { databaseTargets, openTestDatabase } from '../support/db.ts';
import { createTestAgency, type TestAgency } from '../support/fixtures.ts';

const samples = join(import.meta.dirname, '..', '..', 'docs', 'import', 'samples');
const NOW = new Date('2026-03-20T15:00:00Z');

for (const target of databaseTargets()) {
  describe(`book import on ${target}`, () => {
    let database: DatabaseHandle;
    let agency: TestAgency;
    before(async () => {
      database = await openTestDatabase(target);
      agency = await createTestAgency(database.db);
    });
    after(async () => database.close());

    const count = async (
      table: 'customers' | 'contacts' | 'policies' | 'invoices' | 'journal_lines',
      agencyId = agency.id,
    ) =>
      Number(
        (
          await sql<{ n: string }>`SELECT count(*) AS n FROM ${sql.table(table)} WHERE agency_id = ${agencyId}`.execute(
            database.db,
          )
        ).rows[0]!.n,
      );
    const preview = (kind: ImportKind, text: string, who = agency) =>
      previewImport(database.db, who.actor, { kind, source: textSource(text), content: text });
    const sample = (kind: ImportKind) => readFile(join(samples, `${kind}.csv`), 'utf8');

    it('imports the documented samples in order, with opening AR as the open balances', async () => {
      for (const kind of ['customers', 'contacts', 'policies', 'invoices'] as const) {
        const shown = await preview(kind, await sample(kind));
        assert.equal(shown.status, 'previewed', JSON.stringify(shown.problems));
        assert.equal(shown.problemCount, 0);
        const done = await commitImport(database.db, agency.actor, shown.id, { now: NOW });
        assert.equal(done.status, 'committed');
        assert.equal(done.rowsDone, done.rowsTotal);
      }
      assert.equal(await count('customers'), 3);
      assert.equal(await count('contacts'), 2);
      assert.equal(await count('policies'), 3);
      // 50003 was paid in full in the old system: nothing to collect, no invoice.
      assert.equal(await count('invoices'), 3);
      const jane = await sql<{ customer_number: number }>`
        SELECT c.customer_number FROM customers c JOIN imported_customers i ON i.customer_id = c.id
        WHERE i.agency_id = ${agency.id} AND i.external_id = 'AMS-1001'`.execute(database.db);
      const account = await getCustomerAccount(database.db, agency.actor, jane.rows[0]!.customer_number);
      assert.equal(account.arCents, 42_050n);
      const partly = await getInvoice(database.db, agency.actor, 50002);
      assert.equal(partly.amountCents, 12_050n);
      assert.equal(partly.balanceCents, 12_050n);
      assert.equal(partly.status, 'open');
      assert.match(partly.description ?? '', /billed \$300\.00 before import/);
      // Every opening entry balances AR against opening_balance, and the ledger sums to zero.
      const lines = await sql<{ account: string; total: string }>`
        SELECT account, sum(amount_cents)::text AS total FROM journal_lines WHERE agency_id = ${agency.id}
        GROUP BY account ORDER BY account`.execute(database.db);
      assert.deepEqual(lines.rows, [
        { account: 'accounts_receivable', total: '46550' },
        { account: 'opening_balance', total: '-46550' },
      ]);
      // The ledger model's invariant (test/ledger/ledger-model-invariants.ts): balance = amount − applied, ≥ 0.
      const unbalanced = await sql<{ invoice_number: number }>`
        SELECT i.invoice_number FROM invoices i WHERE i.agency_id = ${agency.id} AND i.amount_cents <>
          (SELECT coalesce(sum(j.amount_cents), 0) FROM journal_lines j
           WHERE j.invoice_id = i.id AND j.account = 'accounts_receivable')`.execute(database.db);
      assert.deepEqual(unbalanced.rows, []);
      const canceled = await sql<{ status: string; cancellation_reason: string; cancellation_effective_date: string }>`
        SELECT status, cancellation_reason, cancellation_effective_date FROM policies
        WHERE agency_id = ${agency.id} AND policy_number = 'PA-2025-220'`.execute(database.db);
      assert.deepEqual(canceled.rows, [
        { status: 'canceled', cancellation_reason: 'non_pay', cancellation_effective_date: '2026-02-10' },
      ]);
    });

    it('re-importing the same files finds the same imports and creates nothing', async () => {
      const before = await Promise.all(
        (['customers', 'contacts', 'policies', 'invoices'] as const).map((t) => count(t)),
      );
      const lines = await count('journal_lines');
      for (const kind of ['customers', 'contacts', 'policies', 'invoices'] as const) {
        const shown = await preview(kind, await sample(kind));
        assert.equal(shown.status, 'committed');
        assert.equal(shown.counts.create, 0, kind);
        assert.equal(shown.counts.unchanged + shown.counts.skipped, shown.counts.rows, kind);
        await commitImport(database.db, agency.actor, shown.id, { now: NOW });
      }
      assert.deepEqual(
        await Promise.all((['customers', 'contacts', 'policies', 'invoices'] as const).map((t) => count(t))),
        before,
      );
      assert.equal(await count('journal_lines'), lines);
    });

    it('an overlapping file creates only its new rows', async () => {
      const text = 'externalId,name\nAMS-1003,Luis Ortega\nAMS-1004,Nina Park\n';
      const shown = await preview('customers', text);
      assert.deepEqual(shown.counts, { rows: 2, create: 1, unchanged: 1, skipped: 0 });
      await commitImport(database.db, agency.actor, shown.id, { now: NOW });
      assert.equal(await count('customers'), 4);
    });

    it('a preview names the row, column and rule of every problem, and such a file writes nothing', async () => {
      const customers = await count('customers');
      const bad = await preview(
        'invoices',
        [
          'invoiceNumber,customer,policyNumber,dueDate,amount,openBalance',
          '60001,AMS-1001,,2026-13-01,10.00,10.00',
          '60002,AMS-1001,,2026-01-01,12.345,1.00',
          '60003,AMS-9999,,2026-01-01,10.00,10.00',
          '60004,AMS-1001,,2026-01-01,10.00,20.00',
          '60005,AMS-1001,,2026-01-01,10.00,10.00',
          '50001,AMS-1003,,2026-01-01,10.00,10.00',
        ].join('\n'),
      );
      assert.equal(bad.status, 'rejected');
      assert.deepEqual(
        bad.problems.map((p) => [p.row, p.column]),
        [
          [2, 'dueDate'],
          [3, 'amount'],
          [4, 'customer'],
          [5, 'openBalance'],
          [7, 'invoiceNumber'],
        ],
      );
      assert.match(bad.problems[4]!.rule, /already exists for another customer/);
      assert.match(bad.problems[0]!.rule, /must be a date YYYY-MM-DD or M\/D\/YYYY/);
      assert.match(bad.problems[1]!.rule, /at most 2 decimals/);
      assert.match(bad.problems[2]!.rule, /unknown customer/);
      assert.match(bad.problems[3]!.rule, /must not exceed amount/);
      await assert.rejects(commitImport(database.db, agency.actor, bad.id, { now: NOW }), {
        code: 'unprocessable',
      });
      assert.equal(await count('customers'), customers);
      assert.equal((await getInvoice(database.db, agency.actor, 60005).catch((e) => e)).code, 'not_found');

      const malformed = await preview('customers', 'externalId,name\nX-1,"Unclosed\nX-2,Two\n');
      assert.equal(malformed.status, 'rejected');
      assert.equal(malformed.problems[0]?.column, '*');
      assert.match(malformed.problems[0]!.rule, /not valid CSV/);
      // A row with too many or too few cells is that row's problem; the rows after it are still read.
      const ragged = await preview('customers', 'externalId,name\nX-1,One,extra\nX-2\nX-3,Three\nX-3,Again\n');
      assert.deepEqual(
        ragged.problems.map((p) => [p.row, p.column, p.rule]),
        [
          [2, '*', 'has 3 cell(s) where the header has 2'],
          [3, '*', 'has 1 cell(s) where the header has 2'],
          [5, 'externalId', 'repeats row 4'],
        ],
      );
      const headerless = await preview('policies', 'policyNumber,customer\nP-1,AMS-1001\n');
      assert.deepEqual(
        headerless.problems.filter((p) => p.row === 1).map((p) => p.column),
        ['lineOfBusiness', 'effectiveDate', 'expirationDate'],
      );
      assert.equal(await count('customers'), customers);
    });

    it('a commit killed after a batch is run again and finishes without duplicates', async () => {
      const rows = Array.from({ length: 10 }, (_, i) => `K-${i + 1},Killed ${i + 1}`);
      const text = ['externalId,name', ...rows].join('\n');
      const before = await count('customers');
      const shown = await preview('customers', text);
      await assert.rejects(
        commitImport(database.db, agency.actor, shown.id, {
          now: NOW,
          batchSize: 3,
          afterBatch: ({ batch }) => {
            if (batch === 2) throw new Error('killed');
          },
        }),
        /killed/,
      );
      const midway = await getImport(database.db, agency.actor, shown.id);
      assert.equal(midway.status, 'committing');
      assert.equal(midway.rowsDone, 6);
      assert.equal(await count('customers'), before + 6);
      // Previewed again (the CLI does) it is the same import, still under way.
      assert.equal((await preview('customers', text)).id, shown.id);
      const done = await commitImport(database.db, agency.actor, shown.id, { now: NOW, batchSize: 3 });
      assert.equal(done.status, 'committed');
      assert.equal(await count('customers'), before + 10);
      const keys = await sql<{ n: string }>`
        SELECT count(*) AS n FROM imported_customers WHERE agency_id = ${agency.id} AND external_id LIKE 'K-%'`.execute(
        database.db,
      );
      assert.equal(Number(keys.rows[0]!.n), 10);
    });

    it('another agency sees none of it', async () => {
      const other = await createTestAgency(database.db, 'Other Agency');
      const mine = await preview('customers', await sample('customers'));
      await assert.rejects(getImport(database.db, other.actor, mine.id), { code: 'not_found' });
      await assert.rejects(commitImport(database.db, other.actor, mine.id), { code: 'not_found' });
      const theirs = await preview('policies', await sample('policies'), other);
      assert.equal(theirs.status, 'rejected');
      assert.ok(theirs.problems.every((p) => p.column === 'customer' && /unknown customer/.test(p.rule)));
      const fresh = await preview('customers', await sample('customers'), other);
      assert.notEqual(fresh.id, mine.id);
      assert.equal(fresh.counts.create, 3);
      assert.equal(await count('customers', other.id), 0);
    });
  });
}
