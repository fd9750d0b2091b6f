import { createHash } from 'node:crypto';
import { type RawBuilder, sql } from 'kysely';
import pg from 'pg';

// PostgreSQL parses and plans an unnamed statement on every execution: for a receipt's three
// statements that was ~0.5 ms of server CPU, a quarter of what the receipt cost the server. A
// hot statement whose text is fixed by its shape is marked with `prepared` (Kysely `modifyEnd`)
// and runs as a named prepared statement instead: parsed once per connection, and planned once
// when PostgreSQL settles on a generic plan.
//
// Marked statements list their columns (no `select *`), so adding a column to a table does not
// change their result type under a cached plan.

const MARK = '/* prepared */';
/** Per connection, so that unusual shapes (a receipt for 300 invoices) cannot grow it without end. */
export const MAX_PREPARED_PER_CONNECTION = 100;

/** Append to a query with `.modifyEnd(prepared)` to run it as a named prepared statement on PostgreSQL. */
export const prepared: RawBuilder<unknown> = sql.raw(MARK);

/** A `pg` client that runs marked statements as named prepared statements (the pool's `Client`). */
export class PreparingClient extends pg.Client {}

type Query = (this: pg.Client, ...args: unknown[]) => unknown;
const baseQuery = pg.Client.prototype.query as unknown as Query;
const preparedNames = new WeakMap<pg.Client, Set<string>>();

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

// Patched on the prototype rather than declared: pg's typings overload `query` a dozen ways.
(PreparingClient.prototype as unknown as { query: Query }).query = function (this: pg.Client, ...args: unknown[]) {
  const [text, values, callback] = args;
  if (typeof text === 'string' && text.endsWith(MARK) && Array.isArray(values)) {
    const name = statementName(text);
    let names = preparedNames.get(this);
    if (!names) {
      names = new Set();
      preparedNames.set(this, names);
    }
    if (names.has(name) || names.size < MAX_PREPARED_PER_CONNECTION) {
      names.add(name);
      return baseQuery.call(this, { name, text, values }, ...(callback === undefined ? [] : [callback]));
    }
  }
  return baseQuery.apply(this, args);
};
