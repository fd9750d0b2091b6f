// Migration 0027 (the customer search's trigram indexes): pg_trgm lives outside the schema
// policypay's tables are in, so dropping one test file's schema leaves it to the others; an
// extension that already exists is used from its own schema; two schemas migrating at once both
// succeed.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { type Kysely, sql } from 'kysely';
import type { DatabaseHandle } from '../../../src/platform/db/database.ts';
import { up } from '../../../src/platform/db/migrations/0027_customer_search.ts';
import { databaseTargets, openTestDatabase } from '../../support/db.ts';

const INDEXES = [
  'contacts_email_trgm_idx',
  'contacts_name_trgm_idx',
  'contacts_phone_digits_trgm_idx',
  'customers_email_trgm_idx',
  'customers_name_trgm_idx',
  'customers_phone_digits_trgm_idx',
  'policies_number_trgm_idx',
];

/** The schema's indexes whose first column uses pg_trgm's GIN operator class, with that class's schema. */
async function trigramIndexes(
  db: Kysely<any>,
  schema: string,
): Promise<{ name: string; definition: string; opclassSchema: string }[]> {
  const { rows } = await sql<{ name: string; definition: string; opclassSchema: string }>`
    SELECT c.relname AS name, pg_get_indexdef(c.oid) AS definition,
           o.opcnamespace::regnamespace::text AS "opclassSchema"
      FROM pg_index i
      JOIN pg_class c ON c.oid = i.indexrelid
      JOIN pg_opclass o ON o.oid = i.indclass[0]
     WHERE c.relnamespace = ${schema}::regnamespace AND o.opcname = 'gin_trgm_ops'
     ORDER BY c.relname`.execute(db);
  return rows;
}

async function extensionSchema(db: Kysely<any>): Promise<string | undefined> {
  const { rows } = await sql<{ schema: string }>`
    SELECT extnamespace::regnamespace::text AS schema FROM pg_extension WHERE extname = 'pg_trgm'`.execute(db);
  return rows[0]?.schema;
}

for (const target of databaseTargets()) {
  describe(`the customer search's migration on ${target}`, () => {
    let database: DatabaseHandle;
    before(async () => {
      database = await openTestDatabase(target);
    });
    after(async () => database.close());

    it("puts pg_trgm outside policypay's schema and indexes every searched text with it", async () => {
      const { rows } = await sql<{ schema: string }>`SELECT current_schema() AS schema`.execute(database.db);
      const ours = rows[0]!.schema;
      const extension = await extensionSchema(database.db);
      assert.ok(extension, 'pg_trgm is installed');
      if (target === 'postgres') assert.notEqual(extension, ours, 'not in the schema a test drops');
      const indexes = await trigramIndexes(database.db, ours);
      assert.deepEqual(
        indexes.map((index) => index.name),
        INDEXES,
      );
      for (const index of indexes) assert.equal(index.opclassSchema, extension, index.name);
      // The phone indexes are on the expression the search compares.
      assert.match(
        indexes.find((index) => index.name === 'customers_phone_digits_trgm_idx')!.definition,
        /regexp_replace\(COALESCE\(phone, ''::text\), '\[\^0-9\]'::text, ''::text, 'g'::text\)/,
      );
    });

    it('uses the extension where it already is, for schemas migrating at once, and keeps it when one is dropped', async () => {
      const extension = await extensionSchema(database.db);
      const schemas = [1, 2].map(() => `scratch_trgm_${randomBytes(4).toString('hex')}`);
      try {
        await Promise.all(
          schemas.map((schema) =>
            database.db.transaction().execute(async (tx) => {
              await sql.raw(`CREATE SCHEMA ${schema}`).execute(tx);
              await sql.raw(`SET LOCAL search_path = ${schema}`).execute(tx);
              await sql`CREATE TABLE customers (name text NOT NULL, email text, phone text)`.execute(tx);
              await sql`CREATE TABLE contacts (name text NOT NULL, email text, phone text)`.execute(tx);
              await sql`CREATE TABLE policies (policy_number text NOT NULL)`.execute(tx);
              await up(tx as unknown as Kysely<unknown>);
            }),
          ),
        );
        for (const schema of schemas) {
          assert.deepEqual(
            (await trigramIndexes(database.db, schema)).map((index) => index.name),
            INDEXES,
          );
        }
      } finally {
        for (const schema of schemas) await sql.raw(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).execute(database.db);
      }
      assert.equal(await extensionSchema(database.db), extension, 'dropping a schema left the extension in place');
    });
  });
}
