import { fromPglite, PgBoss } from 'pg-boss';
import type { DatabaseHandle } from '../db/database.ts';

export const DEFAULT_JOBS_POOL_SIZE = 4;

/**
 * pg-boss over the same database as everything else. On PGlite it goes through the PGlite
 * instance, whose own locking makes its statements wait for an open Kysely transaction; on
 * PostgreSQL it has its own small pool and spreads jobs over all workers with SKIP LOCKED.
 * `sendOnly`: a process that only enqueues (an API process without workers) runs no
 * maintenance and no schedules.
 */
export function createBoss(
  database: DatabaseHandle,
  options: { schema?: string; poolSize?: number; sendOnly?: boolean } = {},
): PgBoss {
  const schema = options.schema ?? 'pgboss';
  const roles = options.sendOnly ? { supervise: false, schedule: false } : {};
  if (database.kind === 'pglite') {
    return new PgBoss({ db: fromPglite(database.pglite!), backend: 'pglite', schema, ...roles });
  }
  return new PgBoss({
    connectionString: database.connectionString!,
    schema,
    max: options.poolSize ?? DEFAULT_JOBS_POOL_SIZE,
    application_name: 'policypay-jobs',
    ...roles,
  });
}
