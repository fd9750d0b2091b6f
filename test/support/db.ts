import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { type DatabaseHandle, openDatabase } from '../../src/platform/db/database.ts';
import { migrateToLatest } from '../../src/platform/db/migrate.ts';

export type Target = 'pglite' | 'postgres';

/**
 * Every database test runs on PGlite, and also on PostgreSQL when TEST_DATABASE_URL is set
 * (CI sets it). Test files loop over these.
 */
export function databaseTargets(): Target[] {
  return process.env.TEST_DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];
}

/**
 * A fresh, migrated database for one test file: PGlite restored from the migrated snapshot that
 * scripts/test.ts prepares (a fresh PGlite takes ~4 s to create, a restore ~0.4 s), or a new
 * schema on the PostgreSQL server, dropped on close.
 */
export async function openTestDatabase(target: Target): Promise<DatabaseHandle> {
  if (target === 'pglite') {
    const snapshot = process.env.POLICYPAY_TEST_SNAPSHOT;
    if (!snapshot) {
      const handle = await openDatabase({ url: 'memory://' });
      await migrateToLatest(handle.db);
      return handle;
    }
    const blob = new Blob([await readFile(snapshot)]);
    return openDatabase({ url: 'memory://', loadDataDir: blob });
  }
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('TEST_DATABASE_URL is not set');
  const schema = `test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  await adminQuery(url, `CREATE SCHEMA ${schema}`);
  const handle = await openDatabase({ url, searchPath: schema, poolSize: 12 });
  await migrateRetryingCatalogRaces(handle, schema);
  return {
    ...handle,
    async close() {
      await handle.close();
      await adminQuery(url, `DROP SCHEMA ${schema} CASCADE`);
    },
  };
}

/** One statement on the server as its own client (schemas are made and dropped outside any pool). */
export async function adminQuery(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/**
 * The migrator's first step lists every table of the database (Kysely's introspector), and on a
 * server shared by test files running at once another file may be dropping its schema at that
 * moment: PostgreSQL then answers `3F000 schema "…" does not exist`, `42P01` for a table or
 * `42703 column "…" of relation "…" does not exist` (from `pg_get_serial_sequence`, seen from a
 * parallel worker). Nothing was migrated when that happens, so the migration is simply run again;
 * a migration's own mistake fails the same way five times and is reported.
 */
const CATALOG_RACES = new Set(['3F000', '42P01', '42703']);

export async function migrateRetryingCatalogRaces(
  handle: DatabaseHandle,
  schema: string | undefined,
  migrate: () => Promise<unknown> = () => migrateToLatest(handle.db, schema),
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await migrate();
      return;
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (attempt >= 5 || !CATALOG_RACES.has(code ?? '')) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
    }
  }
}
