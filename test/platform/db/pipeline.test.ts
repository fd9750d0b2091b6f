import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { type DatabaseHandle, openDatabase } from '../../../src/platform/db/database.ts';
import { pipelined, transaction } from '../../../src/platform/db/pipeline.ts';
import { databaseTargets, openTestDatabase } from '../../support/db.ts';
import { roundTripProxy } from '../../support/round-trips.ts';

// Statements sent together (`platform/db/pipeline.ts`) and BEGIN sent with the first statement
// (`platform/db/postgres-connection.ts`): the same answers and the same transaction semantics as one at a
// time, in fewer round trips on PostgreSQL.

for (const target of databaseTargets()) {
  describe(`pipelined statements on ${target}`, () => {
    let database: DatabaseHandle;

    before(async () => {
      database = await openTestDatabase(target);
      await sql`CREATE TABLE pipeline_probe (id integer PRIMARY KEY, value integer NOT NULL)`.execute(database.db);
      await sql`INSERT INTO pipeline_probe VALUES (1, 10), (2, 20)`.execute(database.db);
    });
    after(async () => database.close());

    const value = (id: number) => sql<{ value: number }>`SELECT value FROM pipeline_probe WHERE id = ${id}`;

    it('answers each statement in order, each seeing the ones before it', async () => {
      const [updated, read, missing] = await transaction(database.db, (tx) =>
        pipelined(tx, [
          sql<{ value: number }>`UPDATE pipeline_probe SET value = value + 1 WHERE id = 1 RETURNING value`,
          value(1),
          value(99),
        ]),
      );
      assert.deepEqual(updated, [{ value: 11 }]);
      assert.deepEqual(read, [{ value: 11 }]);
      assert.deepEqual(missing, []);
      assert.deepEqual((await value(1).execute(database.db)).rows, [{ value: 11 }]);
    });

    it('throws the failing statement’s error and rolls the whole transaction back', async () => {
      await assert.rejects(
        transaction(database.db, (tx) =>
          pipelined(tx, [
            sql`UPDATE pipeline_probe SET value = 1000 WHERE id = 2`,
            sql`INSERT INTO pipeline_probe VALUES (1, 0)`,
            sql`UPDATE pipeline_probe SET value = 2000 WHERE id = 2`,
          ]),
        ),
        /duplicate key/,
      );
      assert.deepEqual((await value(2).execute(database.db)).rows, [{ value: 20 }]);
    });

    it('a transaction that fails before its first statement leaves nothing behind', async () => {
      await assert.rejects(
        transaction(database.db, async () => {
          throw new Error('refused before any statement');
        }),
        /refused before any statement/,
      );
      await transaction(database.db, async () => {});
      // The session is usable and not left inside a transaction.
      assert.deepEqual((await value(1).execute(database.db)).rows, [{ value: 11 }]);
    });

    it('BEGIN written with the first statement still makes one transaction', async () => {
      await assert.rejects(
        transaction(database.db, async (tx) => {
          await sql`UPDATE pipeline_probe SET value = 0 WHERE id = 1`.execute(tx);
          throw new Error('undo');
        }),
        /undo/,
      );
      assert.deepEqual((await value(1).execute(database.db)).rows, [{ value: 11 }]);
    });

    it('an error in a later batch rolls back everything the transaction wrote before it', async () => {
      await assert.rejects(
        transaction(database.db, async (tx) => {
          await sql`UPDATE pipeline_probe SET value = 500 WHERE id = 1`.execute(tx);
          await pipelined(tx, [
            sql`UPDATE pipeline_probe SET value = 600 WHERE id = 2`,
            sql`SELECT 1 / 0`,
            sql`UPDATE pipeline_probe SET value = 700 WHERE id = 2`,
          ]);
        }),
        /division by zero/,
      );
      assert.deepEqual((await value(1).execute(database.db)).rows, [{ value: 11 }]);
      assert.deepEqual((await value(2).execute(database.db)).rows, [{ value: 20 }]);
    });

    it('BEGIN sent with the first statement still isolates: nothing is seen before COMMIT', async () => {
      let wrote!: () => void;
      const written = new Promise<void>((resolve) => {
        wrote = resolve;
      });
      let proceed!: () => void;
      const checked = new Promise<void>((resolve) => {
        proceed = resolve;
      });
      const writer = transaction(database.db, async (tx) => {
        await pipelined(tx, [sql`UPDATE pipeline_probe SET value = 12 WHERE id = 1`]);
        wrote();
        await checked;
      });
      await written;
      if (target === 'postgres') {
        // Another session (PGlite has one session, held by the open transaction).
        assert.deepEqual((await value(1).execute(database.db)).rows, [{ value: 11 }]);
      }
      proceed();
      await writer;
      assert.deepEqual((await value(1).execute(database.db)).rows, [{ value: 12 }]);
    });

    if (target === 'postgres') {
      it('a statement after a lock wait reads what the lock holder committed', async () => {
        let release!: () => void;
        const released = new Promise<void>((resolve) => {
          release = resolve;
        });
        let locked!: () => void;
        const lockTaken = new Promise<void>((resolve) => {
          locked = resolve;
        });
        const holder = transaction(database.db, async (tx) => {
          await sql`SELECT id FROM pipeline_probe WHERE id = 2 FOR UPDATE`.execute(tx);
          locked();
          await released;
          await sql`UPDATE pipeline_probe SET value = 21 WHERE id = 2`.execute(tx);
        });
        await lockTaken;
        const waiter = transaction(database.db, (tx) =>
          pipelined(tx, [sql`SELECT id FROM pipeline_probe WHERE id = 2 FOR UPDATE`, value(2)]),
        );
        await new Promise((resolve) => setTimeout(resolve, 50));
        release();
        await holder;
        const [, read] = await waiter;
        assert.deepEqual(read, [{ value: 21 }]);
      });

      it('a deferred START TRANSACTION keeps its isolation level: repeatable read sees one snapshot', async () => {
        const [before, after] = await database.db
          .transaction()
          .setIsolationLevel('repeatable read')
          .execute(async (tx) => {
            const first = (await value(2).execute(tx)).rows;
            await sql`UPDATE pipeline_probe SET value = value + 1 WHERE id = 2`.execute(database.db);
            return [first, (await value(2).execute(tx)).rows];
          });
        assert.deepEqual(after, before, 'the second read saw the first one’s snapshot');
        assert.notDeepEqual((await value(2).execute(database.db)).rows, before);
      });

      it('saves round trips: BEGIN rides with the first statement, a batch is one round trip', async () => {
        const proxy = await roundTripProxy(process.env.TEST_DATABASE_URL!);
        const counted = await openDatabase({ url: proxy.url, searchPath: database.searchPath!, poolSize: 1 });
        try {
          const roundTrips = async (work: () => Promise<unknown>) => {
            proxy.reset();
            await work();
            return proxy.roundTrips();
          };
          // Warm the one connection so that connecting is not counted.
          await value(1).execute(counted.db);
          const oneAtATime = await roundTrips(() =>
            transaction(counted.db, async (tx) => {
              await value(1).execute(tx);
              await value(2).execute(tx);
            }),
          );
          assert.equal(oneAtATime, 3, 'BEGIN + first statement, second statement, COMMIT');
          const batched = await roundTrips(() => transaction(counted.db, (tx) => pipelined(tx, [value(1), value(2)])));
          assert.equal(batched, 2, 'BEGIN + both statements, COMMIT');
          const empty = await roundTrips(() => transaction(counted.db, async () => {}));
          assert.equal(empty, 0, 'a transaction without statements never reaches the server');
          const elsewhere = await roundTrips(() =>
            counted.db.transaction().execute((tx) => pipelined(tx, [value(1), value(2)])),
          );
          assert.equal(elsewhere, 3, 'a transaction opened without `transaction` runs its batch one at a time');
        } finally {
          await counted.close();
          await proxy.close();
        }
      });
    }
  });
}
