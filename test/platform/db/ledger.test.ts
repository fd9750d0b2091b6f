import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { createCustomer } from '../../../src/customers/customers.ts';
import { createInvoice } from '../../../src/ledger/invoices.ts';
import { customerBalances } from '../../../src/ledger/ledger.ts';
import type { LedgerAccount } from '../../../src/ledger/rules/ledger.ts';
import type { DatabaseHandle } from '../../../src/platform/db/database.ts';
import { databaseTargets, openTestDatabase } from '../../support/db.ts';
import { createTestAgency, type TestAgency } from '../../support/fixtures.ts';

for (const target of databaseTargets()) {
  describe(`ledger on ${target}`, () => {
    let database: DatabaseHandle;
    let agency: TestAgency;
    let customerId: string;

    before(async () => {
      database = await openTestDatabase(target);
      agency = await createTestAgency(database.db);
      const customer = await createCustomer(database.db, agency.actor, { type: 'individual', name: 'Lee' });
      customerId = customer.id;
      await createInvoice(database.db, agency.actor, {
        customerNumber: customer.customerNumber,
        dueDate: '2026-12-01',
        amountCents: 50_000n,
      });
    });
    after(async () => database.close());

    it('derives the customer AR balance from the invoice entry', async () => {
      const balances = await customerBalances(database.db, agency.id, customerId);
      assert.deepEqual(balances, { arCents: 50_000n, onAccountCents: 0n });
    });

    it('refuses UPDATE and DELETE of ledger rows', async () => {
      await assert.rejects(
        sql`UPDATE journal_lines SET amount_cents = amount_cents + 1`.execute(database.db),
        /append-only/,
      );
      await assert.rejects(sql`DELETE FROM journal_lines`.execute(database.db), /append-only/);
      await assert.rejects(sql`UPDATE journal_entries SET description = 'edited'`.execute(database.db), /append-only/);
      await assert.rejects(sql`DELETE FROM journal_entries`.execute(database.db), /append-only/);
      const balances = await customerBalances(database.db, agency.id, customerId);
      assert.equal(balances.arCents, 50_000n);
    });

    it('refuses an unbalanced journal entry in the database itself', async () => {
      const before = await countLines(database);
      await assert.rejects(
        writeEntry(database, agency.id, [
          { account: 'accounts_receivable', customer_id: customerId, amount_cents: 100n },
          { account: 'premium', amount_cents: -99n },
        ]),
        /does not balance/,
      );
      assert.equal(await countLines(database), before);
    });

    it('refuses a line added later to a balanced entry, and an entry of one line', async () => {
      const entryId = await writeEntry(database, agency.id, [
        { account: 'fees', customer_id: customerId, amount_cents: 500n },
        { account: 'premium', amount_cents: -500n },
      ]);
      const before = await countLines(database);
      await assert.rejects(
        database.db
          .insertInto('journal_lines')
          .values({ agency_id: agency.id, entry_id: entryId, account: 'premium', amount_cents: -1n })
          .execute(),
        /does not balance \(USD -1\)/,
      );
      await assert.rejects(
        writeEntry(database, agency.id, [{ account: 'premium', amount_cents: 1n }]),
        /has 1 line\(s\); an entry needs at least two/,
      );
      assert.equal(await countLines(database), before);
    });

    it("refuses lines whose entry does not exist or is another agency's", async () => {
      const other = await createTestAgency(database.db);
      const otherEntry = await writeEntry(database, other.id, [
        { account: 'fees', amount_cents: 1n },
        { account: 'premium', amount_cents: -1n },
      ]);
      for (const entryId of [otherEntry, '00000000-0000-4000-8000-000000000000']) {
        await assert.rejects(
          database.db
            .insertInto('journal_lines')
            .values([
              { agency_id: agency.id, entry_id: entryId, account: 'fees', amount_cents: 7n },
              { agency_id: agency.id, entry_id: entryId, account: 'premium', amount_cents: -7n },
            ])
            .execute(),
          (error: { code?: string; message?: string }) =>
            error.code === '23503' && /refer to entry .*, which agency .* does not have/.test(error.message ?? ''),
        );
      }
    });

    it('refuses an entry without lines', async () => {
      await assert.rejects(
        database.db.transaction().execute(async (tx) => {
          await tx
            .insertInto('journal_entries')
            .values({ agency_id: agency.id, kind: 'manual', description: 'empty', occurred_on: '2026-11-21' })
            .execute();
        }),
        /at least two/,
      );
    });

    it('maps types the same way on both drivers', async () => {
      const row = await sql<{
        big: bigint;
        day: string;
        at: Date;
      }>`SELECT 9007199254740993::int8 AS big, DATE '2026-02-28' AS day, TIMESTAMPTZ '2026-11-21T12:00:00Z' AS at`.execute(
        database.db,
      );
      assert.equal(row.rows[0]!.big, 9007199254740993n);
      assert.equal(row.rows[0]!.day, '2026-02-28');
      assert.ok(row.rows[0]!.at instanceof Date);
      assert.equal(row.rows[0]!.at.toISOString(), '2026-11-21T12:00:00.000Z');
    });
  });
}

async function countLines(database: DatabaseHandle): Promise<bigint> {
  const row = await sql<{ n: bigint }>`SELECT count(*) AS n FROM journal_lines`.execute(database.db);
  return row.rows[0]!.n;
}

type LineValues = { account: LedgerAccount; amount_cents: bigint; customer_id?: string };

/** Writes a manual entry and its lines as the services do (one statement for the lines), in one transaction. */
function writeEntry(database: DatabaseHandle, agencyId: string, lines: LineValues[]): Promise<string> {
  return database.db.transaction().execute(async (tx) => {
    const entry = await tx
      .insertInto('journal_entries')
      .values({ agency_id: agencyId, kind: 'manual', description: 'test', occurred_on: '2026-11-21' })
      .returning('id')
      .executeTakeFirstOrThrow();
    await tx
      .insertInto('journal_lines')
      .values(lines.map((line) => ({ agency_id: agencyId, entry_id: entry.id, ...line })))
      .execute();
    return entry.id;
  });
}
