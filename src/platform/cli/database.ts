import { ConfigError, loadConfig } from '../config.ts';
import { type DatabaseHandle, isPostgresUrl, openDatabase, pgliteDataDir } from '../db/database.ts';
import { copyEmbeddedTemplate, isNewDataDir } from '../db/embedded-template.ts';
import { migrateToLatest } from '../db/migrate.ts';
import type { Logger } from '../log/logger.ts';
import { outboundPolicy } from '../outbound.ts';
import { resolveKeyring, setupSecrets } from './secrets.ts';

/** Opens the configured database, brings its schema up to date and sets up the secrets' keyring. */
export async function openConfiguredDatabase(options: { logger: Logger }): Promise<DatabaseHandle> {
  const { logger } = options;
  const config = loadConfig();
  try {
    outboundPolicy(); // a bad allow-list fails here, not at the first connector call
  } catch (error) {
    throw new ConfigError(`invalid configuration: ${(error as Error).message}`);
  }
  // Before the database opens: a missing key on PostgreSQL fails without touching it.
  const keys = resolveKeyring(config, logger);
  // A new embedded database starts as a copy of the migrated template rather than a fresh initdb.
  const dataDir = isPostgresUrl(config.DATABASE_URL) ? undefined : pgliteDataDir(config.DATABASE_URL);
  if (dataDir && isNewDataDir(dataDir)) await copyEmbeddedTemplate(dataDir);
  const database = await openDatabase({
    url: config.DATABASE_URL,
    pgliteSharedBuffers: config.PGLITE_SHARED_BUFFERS,
    poolSize: config.DATABASE_POOL_SIZE,
    connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS,
    onConnectionError: (error) => logger.warn({ err: error }, 'database: idle connection lost'),
  });
  try {
    await migrateToLatest(database.db);
    const sweep = await setupSecrets(keys, database);
    if (sweep.encrypted > 0) logger.warn(`encrypted ${sweep.encrypted} stored secret(s) that were in clear`);
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
