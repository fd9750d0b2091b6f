import { sql } from 'kysely';
import type { Tx } from '../platform/db/transaction.ts';

/** A column written by `insertUnnest`, and its PostgreSQL type (the array parameter's element type). */
export type Columns = Readonly<Record<string, string>>;

/** The audit log's columns that `auditRow` fills. */
export const auditColumns: Columns = {
  agency_id: 'uuid',
  actor: 'text',
  action: 'text',
  entity_type: 'text',
  entity_id: 'text',
  data: 'jsonb',
};

/**
 * `INSERT INTO table (columns) SELECT * FROM unnest($1::type[], …)`: one parameter per column
 * however many rows, where a multi-row VALUES list takes one per cell (a batch of journal lines,
 * ten thousand) that the driver binds and the server parses and plans one by one. Table and column
 * names come from code, never from a file.
 */
export async function insertUnnest(
  tx: Tx,
  table: string,
  columns: Columns,
  rows: readonly Readonly<Record<string, unknown>>[],
): Promise<void> {
  if (rows.length === 0) return;
  const names = Object.keys(columns);
  const arrays = names.map((name) => {
    const values = rows.map((row) => cell(row[name]));
    return sql`${values}::${sql.raw(columns[name]!)}[]`;
  });
  await sql`INSERT INTO ${sql.table(table)} (${sql.join(names.map((n) => sql.ref(n)))})
    SELECT * FROM unnest(${sql.join(arrays)})`.execute(tx);
}

/** A cell as the array parameter carries it: bigint cents and instants as text, the rest as is. */
function cell(value: unknown): unknown {
  if (value === undefined) return null;
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return value.toISOString();
  return value;
}
