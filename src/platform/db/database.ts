import { mkdirSync } from 'node:fs';
import { PGlite, types as pgliteTypes } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { Kysely, PGliteDialect } from 'kysely';
import pg from 'pg';
import { defaultLogger } from '../log/logger.ts';
import { lockDataDir } from './embedded-lock.ts';
import { PolicypayPostgresDialect } from './postgres-dialect.ts';
import type { Database } from './schema.ts';

export type DatabaseKind = 'pglite' | 'postgres';

export interface DatabaseHandle {
  db: Kysely<Database>;
  kind: DatabaseKind;
  /** The PGlite instance when embedded (pg-boss and snapshots use it directly). */
  pglite?: PGlite;
  /** The server's URL when on PostgreSQL (pg-boss opens its own pool to it). */
  connectionString?: string;
  /** The schema policypay's tables live in on PostgreSQL, when not the default. */
  searchPath?: string;
  /** The PostgreSQL pool's connections (the metrics' gauges); PGlite is one in-process session and has none. */
  poolStats?(): PoolStats;
  close(): Promise<void>;
}

export interface PoolStats {
  /** Open connections, idle ones included. */
  total: number;
  idle: number;
  /** Queries waiting for a connection because every one is busy. */
  waiting: number;
}

export interface OpenOptions {
  /** `memory://`, a directory path / `file://` URL for PGlite, or `postgres://…`. */
  url: string;
  /** A PGlite data dir tarball to start from (tests restore a migrated snapshot). */
  loadDataDir?: Blob;
  /** PostgreSQL schema to put first on search_path (tests use one per file). */
  searchPath?: string;
  /** Maximum PostgreSQL pool size. */
  poolSize?: number;
  /** PostgreSQL's application_name for this pool's connections (seen in pg_stat_activity). */
  applicationName?: string;
  /** How long to wait for a PostgreSQL connection before failing (0: no limit). */
  connectTimeoutMs?: number;
  /**
   * PGlite's shared_buffers (PostgreSQL syntax, e.g. `16MB`). PGlite's own default, 128MB, is
   * sized for a server; the embedded database is one agency's book in one process, and the
   * operating system's page cache already holds its files.
   */
  pgliteSharedBuffers?: string;
  /** Told of a pooled connection that broke while idle (the pool has already dropped it). */
  onConnectionError?: (error: Error) => void;
}

export const DEFAULT_POOL_SIZE = 10;
const DEFAULT_PGLITE_SHARED_BUFFERS = '16MB';
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

// The same type mapping on both drivers: int8 → bigint, date → 'YYYY-MM-DD', timestamptz → Date.
const INT8 = 20;
const DATE = 1082;
const NUMERIC = 1700;

export function isPostgresUrl(url: string): boolean {
  return url.startsWith('postgres://') || url.startsWith('postgresql://');
}

export async function openDatabase(options: OpenOptions): Promise<DatabaseHandle> {
  if (isPostgresUrl(options.url)) return openPostgres(options);
  return openPglite(options);
}

async function openPglite(options: OpenOptions): Promise<DatabaseHandle> {
  const dataDir = pgliteDataDir(options.url);
  let unlock = () => {};
  if (dataDir) {
    mkdirSync(dataDir, { recursive: true });
    unlock = lockDataDir(dataDir);
  }
  const pglite = new PGlite({
    ...(dataDir ? { dataDir } : {}),
    ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
    // The customer search's trigram indexes (migration 0027): every cluster made or loaded here
    // (the embedded template, test snapshots) must be able to load the extension.
    extensions: { pg_trgm },
    startParams: [
      ...PGlite.defaultStartParams,
      '-c',
      `shared_buffers=${options.pgliteSharedBuffers ?? DEFAULT_PGLITE_SHARED_BUFFERS}`,
    ],
    parsers: {
      [pgliteTypes.INT8]: (value: string) => BigInt(value),
      [pgliteTypes.DATE]: (value: string) => value,
    },
  });
  try {
    await pglite.waitReady;
  } catch (error) {
    unlock();
    throw error;
  }
  // Kysely's own PGlite dialect serialises transactions on the single PGlite session; the
  // kysely-pglite 0.6 dialect does not, and one transaction's ROLLBACK can discard another's rows.
  const db = new Kysely<Database>({ dialect: new PGliteDialect({ pglite }) });
  return {
    db,
    kind: 'pglite',
    pglite,
    async close() {
      await db.destroy();
      if (!pglite.closed) await pglite.close();
      unlock();
    },
  };
}

/** `memory://` → in-memory; `file:///x` or a plain path → that directory. */
export function pgliteDataDir(url: string): string | undefined {
  if (url === 'memory://' || url === '') return undefined;
  if (url.startsWith('file://')) return new URL(url).pathname;
  return url;
}

async function openPostgres(options: OpenOptions): Promise<DatabaseHandle> {
  const typeParsers = {
    getTypeParser(oid: number, format?: 'text' | 'binary') {
      if (oid === INT8) return (value: string) => BigInt(value);
      if (oid === DATE) return (value: string) => value;
      if (oid === NUMERIC) return (value: string) => value;
      return pg.types.getTypeParser(oid, format);
    },
  };
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize ?? DEFAULT_POOL_SIZE,
    connectionTimeoutMillis: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    application_name: options.applicationName ?? 'policypay',
    types: typeParsers as pg.CustomTypesConfig,
    // pg's pipeline mode: queries issued without awaiting each other share a round trip
    // (postgres-connection.ts).
    pipeline: true,
    ...(options.searchPath ? { options: `-c search_path=${options.searchPath}` } : {}),
  });
  // A checked-out client whose connection breaks emits 'error' besides failing its queries, and
  // the pool listens only while the client is idle: unheard, that event would end the process.
  // The failed query already tells its caller; on release the pool drops the broken client.
  pool.on('connect', (client) => client.on('error', () => {}));
  // An idle connection that breaks (a server restart, failover, pg_terminate_backend) is removed
  // by the pool, which then emits 'error': without a listener that would end the process. The
  // next checkout simply opens a new connection once the server is back.
  const onConnectionError =
    options.onConnectionError ??
    ((error: Error) => defaultLogger().warn({ err: error }, 'database: idle connection lost'));
  pool.on('error', (error) => onConnectionError(error));
  const db = new Kysely<Database>({ dialect: new PolicypayPostgresDialect(pool) });
  return {
    db,
    kind: 'postgres',
    connectionString: options.url,
    ...(options.searchPath ? { searchPath: options.searchPath } : {}),
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    async close() {
      await db.destroy();
    },
  };
}
