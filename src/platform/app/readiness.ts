import { sql } from 'kysely';
import { migrationStatus } from '../db/migrate.ts';
import type { Db } from '../db/transaction.ts';
import { TimeLimitExceeded, withTimeLimit } from '../time-limit.ts';

/** What a process's workers are doing: `serve --no-workers` has none to report. */
export type WorkersState = 'running' | 'stopping' | 'stopped';

interface ReadinessChecks {
  database: 'ok' | 'failed';
  /** `unknown` when the database could not be asked. */
  migrations: 'ok' | 'failed' | 'unknown';
  workers: 'ok' | 'failed' | 'not-run';
}

export interface Readiness {
  ready: boolean;
  checks: ReadinessChecks;
  /** One line per failed check, for the problem's detail (no addresses or driver messages: the route is public). */
  failures: string[];
}

/** Each check's limit: a probe should answer within the orchestrator's timeout (set Kubernetes' `timeoutSeconds` above it). */
const READINESS_TIME_LIMIT_MS = 2_000;

/**
 * Whether this process should get traffic: the database answers, its schema is the one this build
 * expects (every migration applied, none from a newer build), and the workers run when this
 * process runs workers.
 */
export async function checkReadiness(
  db: Db,
  options: { workers?: (() => WorkersState) | undefined; timeLimitMs?: number } = {},
): Promise<Readiness> {
  const limit = options.timeLimitMs ?? READINESS_TIME_LIMIT_MS;
  const failures: string[] = [];
  const checks: ReadinessChecks = { database: 'ok', migrations: 'unknown', workers: 'not-run' };
  try {
    await withTimeLimit(sql`select 1`.execute(db), limit, 'select 1');
  } catch (error) {
    checks.database = 'failed';
    failures.push(
      error instanceof TimeLimitExceeded
        ? `database: no answer within ${limit} ms`
        : 'database: unreachable or refusing queries',
    );
  }
  if (checks.database === 'ok') {
    try {
      const status = await withTimeLimit(migrationStatus(db), limit, 'the migrations table');
      checks.migrations = status.pending.length === 0 && status.unknown.length === 0 ? 'ok' : 'failed';
      if (status.pending.length > 0) failures.push(`migrations: not applied: ${status.pending.join(', ')}`);
      if (status.unknown.length > 0)
        failures.push(`migrations: applied by a newer build: ${status.unknown.join(', ')}`);
    } catch {
      checks.migrations = 'failed';
      failures.push('migrations: the migrations table could not be read');
    }
  }
  if (options.workers) {
    const state = options.workers();
    checks.workers = state === 'running' ? 'ok' : 'failed';
    if (state !== 'running') failures.push(`workers: ${state}`);
  }
  return { ready: failures.length === 0, checks, failures };
}
