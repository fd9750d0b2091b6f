import { createHash } from 'node:crypto';
import { type RawBuilder, sql } from 'kysely';

// PostgreSQL parses and plans an unnamed statement on every execution: for a receipt's three
// statements that was ~0.5 ms of server CPU, a quarter of what the receipt cost the server. A
// hot statement whose text is fixed by its shape is marked with `prepared` (Kysely `modifyEnd`)
// and runs as a named prepared statement instead: parsed once per connection, and planned once
// when PostgreSQL settles on a generic plan. The PostgreSQL connection (`postgres-connection.ts`) applies the mark.
//
// Marked statements list their columns (no `select *`), so adding a column to a table does not
// change their result type under a cached plan.

const MARK = '/* prepared */';
/** Per connection, so that unusual shapes (a receipt for 300 invoices) cannot grow it without end. */
export const MAX_PREPARED_PER_CONNECTION = 100;

/** Append to a query with `.modifyEnd(prepared)` to run it as a named prepared statement on PostgreSQL. */
export const prepared: RawBuilder<unknown> = sql.raw(MARK);

// Hashing a long statement on every execution showed in profiles: names are remembered by text.
const namesByText = new Map<string, string>();
function statementName(text: string): string {
  let name = namesByText.get(text);
  if (!name) {
    name = `pp_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`;
    if (namesByText.size >= 1_000) namesByText.clear();
    namesByText.set(text, name);
  }
  return name;
}

/**
 * The name a marked statement runs under on a connection that has prepared `preparedNames` so far
 * (updated here), or undefined: unmarked, or the connection is at its limit for new names.
 */
export function preparedName(text: string, preparedNames: Set<string>): string | undefined {
  if (!text.endsWith(MARK)) return undefined;
  const name = statementName(text);
  if (preparedNames.has(name)) return name;
  if (preparedNames.size >= MAX_PREPARED_PER_CONNECTION) return undefined;
  preparedNames.add(name);
  return name;
}
