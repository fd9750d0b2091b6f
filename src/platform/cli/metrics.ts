import type { PgBoss } from 'pg-boss';
import type { Config } from '../config.ts';
import type { DatabaseHandle } from '../db/database.ts';
import { createMetrics, type Metrics } from '../metrics/metrics.ts';
import { type MetricsServer, startMetricsServer } from '../metrics/metrics-server.ts';

/**
 * The process's metrics when something exposes them (POLICYPAY_OPERATOR_TOKEN on the main port,
 * or METRICS_PORT); otherwise none are kept. `boss` is the process's pg-boss, for its queue counts.
 */
export function processMetrics(
  config: Config,
  database: DatabaseHandle,
  boss: PgBoss | undefined,
): Metrics | undefined {
  if (!config.POLICYPAY_OPERATOR_TOKEN && config.METRICS_PORT === undefined) return undefined;
  return createMetrics({ database, jobQueues: boss ? () => boss.getQueues() : undefined });
}

/** METRICS_PORT's server, when it is set. */
export async function serveMetricsPort(
  config: Config,
  metrics: Metrics | undefined,
): Promise<MetricsServer | undefined> {
  if (config.METRICS_PORT === undefined || !metrics) return undefined;
  return startMetricsServer(metrics, { port: config.METRICS_PORT, host: config.METRICS_HOST });
}

/** What `shutDown` gives pg-boss of the time left: the rest is for the processors and the database. */
export const workerStopTime = (remainingMs: number) => Math.max(0, remainingMs - 1000);
