import { randomUUID } from 'node:crypto';
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

let lastMs = 0;
let sequence = 0;

/**
 * A time-ordered id (UUID version 7: milliseconds, then a counter, then random bits) for the rows a
 * batch creates. A random (version 4) key lands on any page of its primary-key index, and of every
 * index that names it (an invoice's journal lines, a customer's policies): once those indexes
 * outgrow shared buffers, a large import reads and rewrites pages all over them. Ordered keys are
 * appended at the right edge instead. They are still uuids: nothing reads meaning into an id.
 */
export function orderedId(): string {
  let ms = Date.now();
  if (ms <= lastMs) {
    sequence += 1;
    if (sequence > 0xfff) {
      lastMs += 1;
      sequence = 0;
    }
    ms = lastMs;
  } else {
    lastMs = ms;
    sequence = 0;
  }
  // The random bits from randomUUID (drawn from a cached pool of entropy; randomBytes per id cost
  // more than the ids' rows took to write), under the time and counter: version 7, variant kept.
  const random = randomUUID();
  const time = ms.toString(16).padStart(12, '0');
  const counter = (0x7000 | sequence).toString(16);
  return `${time.slice(0, 8)}-${time.slice(8)}-${counter}-${random.slice(19)}`;
}
