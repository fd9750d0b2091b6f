import { sql } from 'kysely';
import type { Db } from './transaction.ts';

export interface AnalyzeReport {
  /** Tables whose statistics were gathered. */
  analyzed: number;
  /** Tables left alone because they hold no rows. */
  empty: number;
}

/**
 * Gathers planner statistics for policypay's tables (those of the current schema) that hold rows.
 * PostgreSQL's autovacuum does this on a server; embedded PGlite has no background workers, so
 * its maintenance job calls this. Without statistics the planner keeps plans made for empty
 * tables — foreign-key checks among them — and they turn into scans as the tables grow.
 *
 * Empty tables are skipped, as autovacuum skips a table nothing was written to: a table never
 * analyzed is assumed to be at least 10 pages, so a key lookup in it is planned as an index scan,
 * while an analyzed empty one is taken at its word. Planned then, a foreign-key check into it
 * (cached for the connection's life) scans the whole table for every row that refers to it: the
 * first run of the receipts benchmark did that for every receipt application.
 */
export async function analyzeDatabase(db: Db): Promise<AnalyzeReport> {
  const { rows: tables } = await sql<{ name: string }>`
    SELECT quote_ident(tablename) AS name FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename
  `.execute(db);
  if (tables.length === 0) return { analyzed: 0, empty: 0 };
  const { rows: withRows } = await sql<{ name: string }>`${sql.raw(
    tables
      .map((t) => `SELECT '${t.name.replaceAll("'", "''")}' AS name WHERE EXISTS (SELECT 1 FROM ${t.name})`)
      .join(' UNION ALL '),
  )}`.execute(db);
  if (withRows.length > 0) await sql.raw(`ANALYZE ${withRows.map((r) => r.name).join(', ')}`).execute(db);
  return { analyzed: withRows.length, empty: tables.length - withRows.length };
}

/**
 * Gathers statistics for the named tables now, as autovacuum would a while after a bulk write:
 * until then the planner keeps sizing them by what they held at their last analysis (an import's
 * tables: nothing), and plans its lookups into them, and the ledger trigger's, as scans.
 */
export async function analyzeTables(db: Db, tables: readonly string[]): Promise<void> {
  if (tables.length === 0) return;
  await sql`ANALYZE ${sql.join(tables.map((t) => sql.table(t)))}`.execute(db);
}
