import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createCustomer } from '../../../src/customers/customers.ts';
import type { DatabaseHandle } from '../../../src/platform/db/database.ts';
import { databaseTargets, openTestDatabase } from '../../support/db.ts';
import { createTestAgency, type TestAgency } from '../../support/fixtures.ts';

// PGlite is one session. A dialect that let two transactions share it would let one's ROLLBACK
// discard the other's committed rows (measured with kysely-pglite 0.6.1). These run many
// transactions at once, half of them failing, and count what survives.
for (const target of databaseTargets()) {
  describe(`concurrent transactions on ${target}`, () => {
    let database: DatabaseHandle;
    let agency: TestAgency;

    before(async () => {
      database = await openTestDatabase(target);
      agency = await createTestAgency(database.db);
    });
    after(async () => database.close());

    it('never loses a committed row to another transaction’s rollback', async () => {
      const attempts = Array.from({ length: 20 }, (_, i) => i);
      const results = await Promise.allSettled(
        attempts.map((i) =>
          database.db.transaction().execute(async (tx) => {
            await tx
              .insertInto('customers')
              .values({
                agency_id: agency.id,
                customer_number: 10_000 + i,
                type: 'individual',
                name: `C${i}`,
              })
              .execute();
            // Yield so the other transactions interleave with this one if they can.
            await new Promise((resolve) => setTimeout(resolve, 2));
            if (i % 2 === 1) throw new Error(`fail ${i}`);
          }),
        ),
      );
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 10);
      const rows = await database.db
        .selectFrom('customers')
        .select('customer_number')
        .where('agency_id', '=', agency.id)
        .where('customer_number', '>=', 10_000)
        .orderBy('customer_number')
        .execute();
      assert.deepEqual(
        rows.map((r) => r.customer_number),
        attempts.filter((i) => i % 2 === 0).map((i) => 10_000 + i),
      );
    });

    it('gives concurrent creates distinct customer numbers', async () => {
      const created = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          createCustomer(database.db, agency.actor, { type: 'group', name: `Group ${i}` }),
        ),
      );
      const numbers = new Set(created.map((c) => c.customerNumber));
      assert.equal(numbers.size, 10);
    });
  });
}
