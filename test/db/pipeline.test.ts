import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import type { DatabaseHandle } from '../../src/db/database.ts';
import { pipelined, pipelinedThenCommit } from '../../src/db/pipeline.ts';
import { databaseTargets, openTestDatabase } from '../support/db.ts';

// Statements written together (`db/pipeline.ts`) and BEGIN sent with the first statement
// (`db/pg-client.ts`): the same answers and the same transaction semantics as one at a time, in
// fewer round trips on PostgreSQL.

/**
 * Counts writes to any socket while `work` runs (pg writes each round trip's messages at once).
 * Node funnels `write` and corked `writev` alike through `_writeGeneric`.
 */
async function countWrites(work: () => Promise<void>): Promise<number> {
  const socket = net.Socket.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
  const original = socket._writeGeneric as (...args: unknown[]) => unknown;
  let writes = 0;
  socket._writeGeneric = function (this: unknown, ...args: unknown[]) {
    writes += 1;
    return original.apply(this, args);
  };
  try {
    await work();
  } finally {
    socket._writeGeneric = original;
  }
  return writes;
}

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
      const [updated, read, missing] = await database.db
        .transaction()
        .execute((tx) =>
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
        database.db
          .transaction()
          .execute((tx) =>
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
        database.db.transaction().execute(async () => {
          throw new Error('refused before any statement');
        }),
        /refused before any statement/,
      );
      await database.db.transaction().execute(async () => {});
      // The session is usable and not left inside a transaction.
      assert.deepEqual((await value(1).execute(database.db)).rows, [{ value: 11 }]);
    });

    it('BEGIN written with the first statement still makes one transaction', async () => {
      await assert.rejects(
        database.db.transaction().execute(async (tx) => {
          await sql`UPDATE pipeline_probe SET value = 0 WHERE id = 1`.execute(tx);
          throw new Error('undo');
        }),
        /undo/,
      );
      assert.deepEqual((await value(1).execute(database.db)).rows, [{ value: 11 }]);
    });

    it('a final batch commits with its statements, and nothing may follow it', async () => {
      const [updated] = await database.db
        .transaction()
        .execute((tx) =>
          pipelinedThenCommit(tx, [
            sql<{ value: number }>`UPDATE pipeline_probe SET value = 30 WHERE id = 2 RETURNING value`,
          ]),
        );
      assert.deepEqual(updated, [{ value: 30 }]);
      assert.deepEqual((await value(2).execute(database.db)).rows, [{ value: 30 }]);
      await assert.rejects(
        database.db.transaction().execute(async (tx) => {
          await pipelinedThenCommit(tx, [sql`INSERT INTO pipeline_probe VALUES (1, 0)`]);
        }),
        /duplicate key/,
      );
      if (target === 'postgres') {
        await assert.rejects(
          database.db.transaction().execute(async (tx) => {
            await pipelinedThenCommit(tx, [sql`UPDATE pipeline_probe SET value = 31 WHERE id = 2`]);
            await value(2).execute(tx);
          }),
          /no statement may follow it/,
        );
      }
      // The session is back to normal for the next transaction.
      const [read] = await database.db.transaction().execute((tx) => pipelined(tx, [value(2)]));
      assert.equal(read.length, 1);
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
        const holder = database.db.transaction().execute(async (tx) => {
          await sql`SELECT id FROM pipeline_probe WHERE id = 2 FOR UPDATE`.execute(tx);
          locked();
          await released;
          await sql`UPDATE pipeline_probe SET value = 21 WHERE id = 2`.execute(tx);
        });
        await lockTaken;
        const waiter = database.db
          .transaction()
          .execute((tx) => pipelined(tx, [sql`SELECT id FROM pipeline_probe WHERE id = 2 FOR UPDATE`, value(2)]));
        await new Promise((resolve) => setTimeout(resolve, 50));
        release();
        await holder;
        const [, read] = await waiter;
        assert.deepEqual(read, [{ value: 21 }]);
      });

      it('saves round trips: BEGIN rides with the first statement, a batch is one write', async () => {
        // Warm a connection so that connecting is not counted.
        await value(1).execute(database.db);
        const oneAtATime = await countWrites(() =>
          database.db.transaction().execute(async (tx) => {
            await value(1).execute(tx);
            await value(2).execute(tx);
          }),
        );
        assert.equal(oneAtATime, 3, 'BEGIN + first statement, second statement, COMMIT');
        const batched = await countWrites(() =>
          database.db.transaction().execute(async (tx) => {
            await pipelined(tx, [value(1), value(2)]);
          }),
        );
        assert.equal(batched, 2, 'BEGIN + both statements, COMMIT');
        const empty = await countWrites(() => database.db.transaction().execute(async () => {}));
        assert.equal(empty, 0, 'a transaction without statements never reaches the server');
        const final = await countWrites(() =>
          database.db.transaction().execute(async (tx) => {
            await pipelined(tx, [value(1), value(2)]);
            await pipelinedThenCommit(tx, [sql`UPDATE pipeline_probe SET value = value WHERE id = 1`]);
          }),
        );
        assert.equal(final, 2, 'BEGIN + both reads, the write + COMMIT');
      });
    }
  });
}
