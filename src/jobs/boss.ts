import { fromPglite, PgBoss } from 'pg-boss';
import type { DatabaseHandle } from '../db/database.ts';

/**
 * pg-boss over the same database as everything else. On PGlite it goes through the PGlite
 * instance, whose own locking makes its statements wait for an open Kysely transaction; on
 * PostgreSQL it has its own small pool and spreads jobs over all workers with SKIP LOCKED.
 */
export function createBoss(database: DatabaseHandle, options: { schema?: string } = {}): PgBoss {
  const schema = options.schema ?? 'pgboss';
  if (database.kind === 'pglite') {
    return new PgBoss({ db: fromPglite(database.pglite!), backend: 'pglite', schema });
  }
  return new PgBoss({ connectionString: database.connectionString!, schema, max: 4 });
}
