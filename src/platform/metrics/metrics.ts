import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { DatabaseHandle, PoolStats } from '../db/database.ts';
import { withTimeLimit } from '../time-limit.ts';
import { type DatabaseFigures, loadDatabaseFigures } from './database-figures.ts';
import { registerDatabaseMetrics } from './database-metrics.ts';

/** A queue's counts as pg-boss's public `getQueues()` reports them (kept up to date by its supervisor). */
interface JobQueueCounts {
  name: string;
  readyCount: number;
  deferredCount: number;
  activeCount: number;
  failedCount: number;
}

export interface MetricsOptions {
  database: DatabaseHandle;
  /** This process's pg-boss queues (`boss.getQueues()`), when it has a pg-boss instance. */
  jobQueues?: (() => Promise<readonly JobQueueCounts[]>) | undefined;
  clock?: () => Date;
  /** How long a scrape waits for the database; past it the scrape answers without those figures. */
  databaseTimeoutMs?: number;
}

export interface Metrics {
  registry: Registry;
  observeRequest(labels: { method: string; route: string; statusCode: number }, seconds: number): void;
  /** The Prometheus text exposition of everything registered. */
  scrape(): Promise<{ contentType: string; body: string }>;
}

const DATABASE_TIMEOUT_MS = 5_000;

/**
 * One registry per app (or worker process), never prom-client's global one: several apps in one
 * test process each count their own requests. Process metrics come from prom-client's defaults.
 */
export function createMetrics(options: MetricsOptions): Metrics {
  const registry = new Registry();
  const registers = [registry];
  const clock = options.clock ?? (() => new Date());
  collectDefaultMetrics({ register: registry });

  const requests = new Histogram({
    name: 'policypay_http_request_duration_seconds',
    help: 'HTTP requests by method, route template and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    registers,
  });

  const figures = sharedFigures(options.database, clock, options.databaseTimeoutMs ?? DATABASE_TIMEOUT_MS);
  new Gauge({
    name: 'policypay_database_up',
    help: '1 when this scrape read its figures from the database, 0 when the database failed or was too slow',
    registers,
    async collect() {
      this.set((await figures()) ? 1 : 0);
    },
  });
  registerDatabaseMetrics(registry, figures, clock);

  const { poolStats } = options.database;
  if (poolStats) {
    const pool = (name: string, help: string, read: (stats: PoolStats) => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read(poolStats()));
        },
      });
    pool('policypay_database_pool_connections', 'Open PostgreSQL connections of this process’s pool', (s) => s.total);
    pool('policypay_database_pool_idle', 'Idle connections of the pool', (s) => s.idle);
    pool('policypay_database_pool_waiting', 'Queries waiting for a pooled connection', (s) => s.waiting);
  }

  const { jobQueues } = options;
  if (jobQueues) {
    new Gauge({
      name: 'policypay_job_queue_jobs',
      help: 'pg-boss jobs by queue and state (ready: runnable now; deferred: scheduled later)',
      labelNames: ['queue', 'state'] as const,
      registers,
      async collect() {
        const queues = await withTimeLimit(jobQueues(), DATABASE_TIMEOUT_MS, 'pg-boss').catch(() => []);
        this.reset();
        for (const q of queues) {
          this.set({ queue: q.name, state: 'ready' }, q.readyCount);
          this.set({ queue: q.name, state: 'deferred' }, q.deferredCount);
          this.set({ queue: q.name, state: 'active' }, q.activeCount);
          this.set({ queue: q.name, state: 'failed' }, q.failedCount);
        }
      },
    });
  }

  return {
    registry,
    observeRequest(labels, seconds) {
      requests.observe({ method: labels.method, route: labels.route, status_code: labels.statusCode }, seconds);
    },
    async scrape() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}

/**
 * The database figures, loaded once per scrape: the registry collects every metric at once, and
 * they all share the load in flight. A load that outlives its scrape's timeout is reused by the
 * next scrape rather than started again beside it, so a slow database never piles scrapes up.
 */
function sharedFigures(
  database: DatabaseHandle,
  clock: () => Date,
  timeoutMs: number,
): () => Promise<DatabaseFigures | undefined> {
  let loading: Promise<DatabaseFigures> | undefined;
  let shared: Promise<DatabaseFigures | undefined> | undefined;
  const load = () => {
    loading ??= loadDatabaseFigures(database.db, clock()).finally(() => {
      loading = undefined;
    });
    return loading;
  };
  return () => {
    shared ??= withTimeLimit(load(), timeoutMs, 'the database')
      .catch(() => undefined)
      .finally(() => {
        shared = undefined;
      });
    return shared;
  };
}
