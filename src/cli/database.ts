import { loadConfig } from '../config.ts';
import { type DatabaseHandle, isPostgresUrl, openDatabase } from '../db/database.ts';
import { migrateToLatest } from '../db/migrate.ts';

/** Opens the configured database and brings its schema up to date. */
export async function openConfiguredDatabase(): Promise<DatabaseHandle> {
  const config = loadConfig();
  const database = await openDatabase({
    url: config.DATABASE_URL,
    poolSize: config.DATABASE_POOL_SIZE,
    connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS,
  });
  try {
    await migrateToLatest(database.db);
  } catch (error) {
    await database.close();
    throw error;
  }
  return database;
}

export function describeDatabase(url: string): string {
  if (isPostgresUrl(url)) return `PostgreSQL at ${url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@')}`;
  return url === 'memory://' ? 'embedded PGlite in memory' : `embedded PGlite in ${url}`;
}
