import { sql } from 'kysely';
import type { Db } from './transaction.ts';

/**
 * Gathers planner statistics for policypay's tables (those of the current schema). PostgreSQL's
 * autovacuum does this on a server; embedded PGlite has no background workers, so its maintenance
 * job calls this. Without statistics the planner keeps plans made for empty tables — foreign-key
 * checks among them — and they turn into scans as the tables grow.
 */
export async function analyzeDatabase(db: Db): Promise<number> {
  const { rows } = await sql<{ name: string }>`
    SELECT quote_ident(tablename) AS name FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename
  `.execute(db);
  if (rows.length > 0) await sql.raw(`ANALYZE ${rows.map((r) => r.name).join(', ')}`).execute(db);
  return rows.length;
}
