import { CompiledQuery, type DialectAdapter, type QueryResult } from 'kysely';
import type { Tx } from '../services/transaction.ts';
import { BATCH, type BatchOptions, type BatchStatement } from './pg-client.ts';

// Statements that do not need each other's answers can share a round trip: on PostgreSQL they are
// written together and answered in order (`pg-client.ts`); on PGlite, which has no network, they
// simply run one after the other. Each statement still runs on its own, in order, with its own
// snapshot: a statement after one that waited for a lock sees what was committed during the wait.
// If one fails, the transaction is aborted and its error is thrown.

/** The adapters of databases whose client writes batches together (PostgreSQL's pool). */
const batchingAdapters = new WeakSet<DialectAdapter>();

export function enableBatches(adapter: DialectAdapter): void {
  batchingAdapters.add(adapter);
}

/** A query builder or a `sql` template: anything Kysely compiles against a transaction. */
export interface Statement<R> {
  compile(tx: Tx): CompiledQuery<R>;
}

type Rows<Q> = Q extends Statement<infer R> ? R[] : never;

/** Runs `queries` in order inside `tx`, in one round trip where the database allows. */
export function pipelined<const Q extends readonly Statement<unknown>[]>(
  tx: Tx,
  queries: Q,
): Promise<{ -readonly [K in keyof Q]: Rows<Q[K]> }> {
  return run(tx, queries, { commit: false });
}

/**
 * Runs `queries` as the last statements of `tx` and, on PostgreSQL, COMMIT with them: one round
 * trip for the final write and the commit. Only for a transaction's owner that knows nothing else
 * runs in it afterwards: another statement on `tx` is refused, and an error thrown after this
 * cannot undo what was committed. On PGlite the commit happens when the transaction ends, as usual.
 */
export function pipelinedThenCommit<const Q extends readonly Statement<unknown>[]>(
  tx: Tx,
  queries: Q,
): Promise<{ -readonly [K in keyof Q]: Rows<Q[K]> }> {
  return run(tx, queries, { commit: true });
}

async function run(tx: Tx, queries: readonly Statement<unknown>[], options: BatchOptions): Promise<never> {
  const compiled = queries.map((q) => q.compile(tx));
  if (!batchingAdapters.has(tx.getExecutor().adapter)) {
    const results: unknown[][] = [];
    for (const query of compiled) results.push((await tx.executeQuery(query)).rows as unknown[]);
    return results as never;
  }
  const statements: BatchStatement[] = compiled.map((q) => ({ sql: q.sql, parameters: q.parameters }));
  const batch: QueryResult<{ rows: unknown[] }> = await tx.executeQuery(
    CompiledQuery.raw(BATCH, [statements, options]),
  );
  return batch.rows.map((r) => r.rows) as never;
}
