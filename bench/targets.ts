// The databases the scenarios run on: a migrated in-memory PGlite, or a fresh schema on the
// PostgreSQL server of BENCH_DATABASE_URL (dropped at the end), each with policypay's HTTP app
// listening on loopback and a raw driver for the baselines.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { buildApp } from '../src/platform/app/app.ts';
import { type DatabaseHandle, type DatabaseKind, openDatabase } from '../src/platform/db/database.ts';
import { migrateToLatest } from '../src/platform/db/migrate.ts';
import type { App } from '../src/platform/http/types.ts';
import { pgliteDriver, postgresDriver, type RawDriver } from './baseline.ts';

export const APP_NAME = 'policypay-bench-app';
export const BASELINE_NAME = 'policypay-bench-baseline';

export interface BenchTarget {
  kind: DatabaseKind;
  handle: DatabaseHandle;
  /** The baselines' driver: the same PGlite instance, or a `pg` Pool of the app's size. */
  raw: RawDriver;
  app: App;
  url: string;
  poolSize: number;
  serverVersion: string;
  /** PostgreSQL only: the server and the bench schema, for scenarios that run work in a child process. */
  postgres?: { url: string; schema: string };
  /** PostgreSQL only: samples what the app's / the baseline's backends are doing. */
  sampleWaits?: (applicationName: string) => WaitSampler;
  close(): Promise<void>;
}

async function listen(handle: DatabaseHandle): Promise<{ app: App; url: string }> {
  const app = await buildApp({ database: handle, logger: false });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, url };
}

export async function openPgliteTarget(): Promise<BenchTarget> {
  const handle = await openDatabase({ url: 'memory://' });
  await migrateToLatest(handle.db);
  const pglite = handle.pglite!;
  const version = await pglite.query<{ version: string }>('SELECT version() AS version');
  const { app, url } = await listen(handle);
  return {
    kind: 'pglite',
    handle,
    raw: pgliteDriver(pglite),
    app,
    url,
    poolSize: 1,
    serverVersion: `PGlite (${(version.rows[0]?.version ?? 'unknown').split(' on ')[0]})`,
    async close() {
      await app.close();
      await handle.close();
    },
  };
}

function withApplicationName(url: string, name: string): string {
  // Ours wins: the wait sampler finds the pool's backends by it.
  const base = url.replace(/([?&])application_name=[^&]*&?/, '$1').replace(/[?&]$/, '');
  return `${base}${base.includes('?') ? '&' : '?'}application_name=${encodeURIComponent(name)}`;
}

/** The URL without its password, for the report. */
export function redactUrl(url: string): string {
  return url.replace(/^(\w+:\/\/[^:/@]+):[^@]*@/, '$1:***@');
}

export async function openPostgresTarget(databaseUrl: string, poolSize: number): Promise<BenchTarget> {
  const admin = new pg.Client({ connectionString: withApplicationName(databaseUrl, 'policypay-bench-admin') });
  await admin.connect();
  const schema = `bench_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  await admin.query(`CREATE SCHEMA ${schema}`);
  let dropped = false;
  const dropSchema = async () => {
    if (dropped) return;
    dropped = true;
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
  };
  // An interrupted run still leaves the server as it found it.
  const onSignal = (signal: NodeJS.Signals) => {
    process.stderr.write(`\n${signal}: dropping schema ${schema}\n`);
    dropSchema().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const handle = await openDatabase({
    url: withApplicationName(databaseUrl, APP_NAME),
    searchPath: schema,
    poolSize,
  });
  await migrateToLatest(handle.db, schema);
  const raw = postgresDriver({ url: withApplicationName(databaseUrl, BASELINE_NAME), searchPath: schema, poolSize });
  const version = await admin.query<{ server_version: string }>('SHOW server_version');
  const { app, url } = await listen(handle);
  return {
    kind: 'postgres',
    handle,
    raw,
    app,
    url,
    poolSize,
    serverVersion: `PostgreSQL ${version.rows[0]?.server_version ?? 'unknown'}`,
    postgres: { url: databaseUrl, schema },
    sampleWaits: (applicationName) => new WaitSampler(admin, applicationName),
    async close() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      try {
        await app.close();
        await raw.close();
        await handle.close();
      } finally {
        await dropSchema();
        await admin.end();
      }
    },
  };
}

export interface WaitReport {
  samples: number;
  /** Mean number of the pool's backends inside a statement or a transaction at a sample. */
  meanBusyBackends: number;
  /** Where busy backends were, most frequent first: share of all busy-backend samples. */
  top: { state: string; wait: string; query: string; share: number }[];
}

/**
 * Samples pg_stat_activity for one application name: which statement each busy backend is in and
 * what it waits on (`Lock:transactionid` = a row lock held by another transaction, `Client:ClientRead`
 * while idle in transaction = waiting for Node to send the next statement, `IO:WALSync` = commit).
 */
class WaitSampler {
  readonly #client: pg.Client;
  readonly #applicationName: string;
  #timer: NodeJS.Timeout | undefined;
  #pending = false;
  #samples = 0;
  #busy = 0;
  readonly #counts = new Map<string, number>();

  constructor(client: pg.Client, applicationName: string) {
    this.#client = client;
    this.#applicationName = applicationName;
  }

  start(intervalMs = 100): void {
    this.#timer = setInterval(() => void this.#sample().catch(() => {}), intervalMs);
    this.#timer.unref();
  }

  async #sample(): Promise<void> {
    if (this.#pending) return;
    this.#pending = true;
    try {
      const result = await this.#client.query<{ state: string; wait: string; query: string }>(
        `SELECT state,
                coalesce(wait_event_type || ':' || wait_event, 'CPU') AS wait,
                left(regexp_replace(query, '\\s+', ' ', 'g'), 90) AS query
           FROM pg_stat_activity
          WHERE application_name = $1 AND state IS NOT NULL AND state <> 'idle'`,
        [this.#applicationName],
      );
      this.#samples += 1;
      for (const row of result.rows) {
        this.#busy += 1;
        const key = JSON.stringify([row.state, row.wait, row.query]);
        this.#counts.set(key, (this.#counts.get(key) ?? 0) + 1);
      }
    } finally {
      this.#pending = false;
    }
  }

  /** Stops sampling; `report` still has everything sampled so far, and `start` resumes. */
  pause(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  report(): WaitReport {
    this.pause();
    const top = [...this.#counts.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 8)
      .map(([key, count]) => {
        const [state, wait, query] = JSON.parse(key) as [string, string, string];
        return { state, wait, query, share: Math.round((count / Math.max(1, this.#busy)) * 1000) / 1000 };
      });
    return {
      samples: this.#samples,
      meanBusyBackends: Math.round((this.#busy / Math.max(1, this.#samples)) * 100) / 100,
      top,
    };
  }
}
