import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import type { DatabaseHandle } from '../../../src/platform/db/database.ts';
import { MAX_PREPARED_PER_CONNECTION, prepared } from '../../../src/platform/db/prepared-statements.ts';
import { databaseTargets, openTestDatabase } from '../../support/db.ts';

// Statements marked with `prepared` run as named prepared statements on PostgreSQL (parsed and
// planned once per connection); on PGlite the mark is only a comment.
for (const target of databaseTargets()) {
  describe(`prepared statements on ${target}`, () => {
    let database: DatabaseHandle;

    before(async () => {
      database = await openTestDatabase(target);
      await sql`CREATE TABLE prepared_probe (id integer PRIMARY KEY, label text NOT NULL)`.execute(database.db);
      await sql`INSERT INTO prepared_probe VALUES (1, 'one'), (2, 'two')`.execute(database.db);
    });
    after(async () => database.close());

    const names = async (conn: DatabaseHandle['db']) =>
      (await sql<{ statement: string }>`SELECT statement FROM pg_prepared_statements`.execute(conn)).rows.map(
        (r) => r.statement,
      );

    it('runs a marked statement prepared, with fresh parameters each time, and leaves others unnamed', async () => {
      await database.db.connection().execute(async (conn) => {
        const probe = (id: number) =>
          conn
            .selectFrom('prepared_probe' as never)
            .select(sql<string>`label`.as('label'))
            .where(sql.ref('id'), '=', id)
            .modifyEnd(prepared)
            .executeTakeFirst();
        assert.deepEqual(await probe(1), { label: 'one' });
        assert.deepEqual(await probe(2), { label: 'two' });
        assert.equal(await probe(3), undefined);
        await sql`SELECT label FROM prepared_probe WHERE id = ${1}`.execute(conn);
        const statements = await names(conn);
        if (target === 'postgres') {
          assert.equal(statements.filter((s) => s.includes('prepared_probe')).length, 1);
          assert.match(statements.find((s) => s.includes('prepared_probe')) ?? '', /\/\* prepared \*\/$/);
        } else {
          assert.equal(statements.filter((s) => s.includes('prepared_probe')).length, 0);
        }
      });
    });

    it('keeps working when a column is added under a prepared statement that lists its columns', async () => {
      await database.db.connection().execute(async (conn) => {
        const probe = () =>
          conn
            .selectFrom('prepared_probe' as never)
            .select([sql<number>`id`.as('id'), sql<string>`label`.as('label')])
            .where(sql.ref('id'), '=', 1)
            .modifyEnd(prepared)
            .executeTakeFirst();
        assert.deepEqual(await probe(), { id: 1, label: 'one' });
        await sql`ALTER TABLE prepared_probe ADD COLUMN note text`.execute(conn);
        assert.deepEqual(await probe(), { id: 1, label: 'one' });
      });
    });

    it(`prepares at most ${MAX_PREPARED_PER_CONNECTION} statements per connection`, async () => {
      await database.db.connection().execute(async (conn) => {
        for (let i = 0; i < MAX_PREPARED_PER_CONNECTION + 5; i++) {
          const row = await sql<{ n: number }>`SELECT ${i}::int + ${sql.raw(String(i))} AS n ${prepared}`.execute(conn);
          assert.equal(row.rows[0]?.n, 2 * i);
        }
        const count = (await names(conn)).filter((s) => s.endsWith('/* prepared */')).length;
        assert.ok(count <= MAX_PREPARED_PER_CONNECTION, `${count} prepared`);
        if (target === 'postgres') assert.ok(count >= MAX_PREPARED_PER_CONNECTION - 5, `${count} prepared`);
      });
    });
  });
}
