import { AsyncLocalStorage } from 'node:async_hooks';
import type { CompiledQuery, Kysely, QueryExecutorProvider, Transaction } from 'kysely';
import type { PostgresConnection } from './postgres-connection.ts';

// Statements that do not need each other's answers can share a round trip: on PostgreSQL they
// are sent together on the transaction's connection and answered in order
// (`PostgresConnection.executeBatch`); on PGlite, which has no network, they simply run one after
// the other. Each statement still runs on its own, in order, with its own snapshot: a statement
// after one that waited for a lock sees what was committed during the wait. If one fails, the
// transaction is aborted and its error is thrown.
//
// Kysely runs a transaction's statements one at a time and does not hand out its connection, so
// `transaction` below opens a scope in which the driver, when it begins the transaction, records
// the connection it took; `pipelined(tx, …)` finds it there. A transaction opened any other way
// (or on PGlite) has none recorded and its batches run one statement at a time.

interface TransactionScope {
  connection?: PostgresConnection;
  tx?: unknown;
}

const scopes = new AsyncLocalStorage<TransactionScope>();

/** `db.transaction().execute(work)`, with `tx`'s connection findable by `pipelined`. */
export function transaction<DB, T>(db: Kysely<DB>, work: (tx: Transaction<DB>) => Promise<T>): Promise<T> {
  const scope: TransactionScope = {};
  return scopes.run(scope, () =>
    db.transaction().execute((tx) => {
      scope.tx = tx;
      return work(tx);
    }),
  );
}

/** Called by the PostgreSQL driver as it begins a transaction on `connection`. */
export function transactionBegun(connection: PostgresConnection): void {
  const scope = scopes.getStore();
  // The first transaction begun in a scope is the scope's own (a stray one opened inside it on
  // the root database comes later and must not take its place).
  if (scope && !scope.connection) scope.connection = connection;
}

/** A query builder or a `sql` template: anything Kysely compiles against a transaction. */
export interface Statement<R> {
  compile(tx: QueryExecutorProvider): CompiledQuery<R>;
}

type Rows<Q> = Q extends Statement<infer R> ? R[] : never;

/** Runs `queries` in order inside `tx`, in one round trip where the database allows. */
export async function pipelined<DB, const Q extends readonly Statement<unknown>[]>(
  tx: Transaction<DB>,
  queries: Q,
): Promise<{ -readonly [K in keyof Q]: Rows<Q[K]> }> {
  const compiled = queries.map((q) => q.compile(tx));
  const scope = scopes.getStore();
  if (scope?.tx === tx && scope.connection) {
    return (await scope.connection.executeBatch(compiled)).map((r) => r.rows) as never;
  }
  const results: unknown[][] = [];
  for (const query of compiled) results.push((await tx.executeQuery(query)).rows as unknown[]);
  return results as never;
}
