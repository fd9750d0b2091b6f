import { type Kysely, sql } from 'kysely';
import { runScript } from './sql-script.ts';

// Issue 19.6: staff's customer search finds a term anywhere in a name, e-mail, phone or policy
// number (`ILIKE '%term%'`), which no B-tree can answer: on a book of 100,000 customers every
// search read the whole of customers, contacts and policies. Trigram GIN indexes answer such
// patterns (of three characters or more) from the index. The phone's index is on the very
// expression the search compares (its digits), so "(555) 010-2000" finds "555.010.2000".
//
// pg_trgm goes into `public`, not the schema policypay's tables live in: tests run one schema per
// file and drop it with CASCADE, which would drop an extension created there under every other
// file. Where the extension already exists (an operator installed it, in any schema) that one is
// used, and the operator class is named with its schema, since search_path may not include it.
// Kysely's migrator takes one advisory lock for the whole server today, but that is its private
// choice: two test files (each its own schema) or two deployments sharing a server must not race
// on CREATE EXTENSION's catalog rows (a unique violation), so our own transaction lock orders them.
const EXTENSION_LOCK = 0x7472676d; // 'trgm': keeps this key apart from other advisory locks

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(${sql.lit(EXTENSION_LOCK)}::int, 0)`.execute(db);
  const existing = await extensionSchema(db);
  if (existing === null) {
    const target = await creatableSchema(db);
    await sql`CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA ${sql.id(target)}`.execute(db);
  }
  const schema = (await extensionSchema(db)) ?? 'public';
  const ops = `${quoteIdent(schema)}.gin_trgm_ops`;
  const digits = (column: string) => `regexp_replace(coalesce(${column}, ''), '[^0-9]', '', 'g')`;
  await runScript(
    db,
    `
    CREATE INDEX customers_name_trgm_idx ON customers USING gin (name ${ops});
    CREATE INDEX customers_email_trgm_idx ON customers USING gin (email ${ops});
    CREATE INDEX customers_phone_digits_trgm_idx ON customers USING gin ((${digits('phone')}) ${ops});
    CREATE INDEX contacts_name_trgm_idx ON contacts USING gin (name ${ops});
    CREATE INDEX contacts_email_trgm_idx ON contacts USING gin (email ${ops});
    CREATE INDEX contacts_phone_digits_trgm_idx ON contacts USING gin ((${digits('phone')}) ${ops});
    CREATE INDEX policies_number_trgm_idx ON policies USING gin (policy_number ${ops});
    `,
  );
}

async function extensionSchema(db: Kysely<unknown>): Promise<string | null> {
  const { rows } = await sql<{ schema: string }>`
    SELECT n.nspname AS schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
     WHERE e.extname = 'pg_trgm'`.execute(db);
  return rows[0]?.schema ?? null;
}

/** `public` when it exists and we may create in it (PostgreSQL 15 revokes that by default), else our own schema. */
async function creatableSchema(db: Kysely<unknown>): Promise<string> {
  const { rows } = await sql<{ schema: string }>`
    SELECT CASE
             WHEN EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'public')
              AND has_schema_privilege('public', 'CREATE') THEN 'public'
             ELSE current_schema()
           END AS schema`.execute(db);
  return rows[0]?.schema ?? 'public';
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
