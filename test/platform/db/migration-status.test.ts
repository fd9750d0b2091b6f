import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import type { DatabaseHandle } from '../../../src/platform/db/database.ts';
import { migrateToLatest, migrationStatus } from '../../../src/platform/db/migrate.ts';
import { databaseTargets, openTestDatabase } from '../../support/db.ts';

for (const target of databaseTargets()) {
  describe(`migration status and the start's quick check on ${target}`, () => {
    let database: DatabaseHandle;
    before(async () => {
      database = await openTestDatabase(target);
    });
    after(async () => database.close());

    it('reads a current schema as current, and a start then applies nothing', async () => {
      const status = await migrationStatus(database.db);
      assert.deepEqual([status.pending, status.unknown], [[], []]);
      assert.deepEqual(await migrateToLatest(database.db), { applied: [] });
    });

    it('names a migration the database has and this build does not, and a start still refuses it', async () => {
      await sql`insert into kysely_migration (name, timestamp) values ('9999_from_the_future', '2030-01-01T00:00:00Z')`.execute(
        database.db,
      );
      try {
        assert.deepEqual((await migrationStatus(database.db)).unknown, ['9999_from_the_future']);
        // The quick check does not wave it through: the Migrator sees it and refuses.
        await assert.rejects(migrateToLatest(database.db), /9999_from_the_future/);
      } finally {
        await sql`delete from kysely_migration where name = '9999_from_the_future'`.execute(database.db);
      }
    });

    it('lists what a start would apply when the last migration is missing', async () => {
      const { applied } = await migrationStatus(database.db);
      const last = applied.at(-1)!;
      const { rows } = await sql<{
        timestamp: string;
      }>`select timestamp from kysely_migration where name = ${last}`.execute(database.db);
      await sql`delete from kysely_migration where name = ${last}`.execute(database.db);
      try {
        const status = await migrationStatus(database.db);
        assert.deepEqual(status.pending, [last]);
        assert.equal(status.applied.length, applied.length - 1);
      } finally {
        await sql`insert into kysely_migration (name, timestamp) values (${last}, ${rows[0]!.timestamp})`.execute(
          database.db,
        );
      }
    });
  });
}
