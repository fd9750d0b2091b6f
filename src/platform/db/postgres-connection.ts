import type { CompiledQuery, DatabaseConnection, QueryResult } from 'kysely';
import type pg from 'pg';
import { preparedName } from './prepared-statements.ts';

// One pooled `pg` client as Kysely sees it (`postgres-dialect.ts`). On the benchmark's two cores
// a round trip costs more than most statements a request runs (pgbench: BEGIN, four `SELECT 1`
// and COMMIT take 0.20 ms of machine CPU one round trip at a time, 0.06 ms in one), so:
//
// - **BEGIN waits for the transaction's first statement** and is sent with it. Nothing observable
//   moves: PostgreSQL takes a transaction's snapshot at its first statement, not at BEGIN. A
//   transaction that ends before any statement never reaches the server.
// - **A batch** (`executeBatch`, reached through `platform/db/pipeline.ts`) sends several statements
//   without waiting for each answer. Each still runs on its own, in order, with its own snapshot.
// - **Marked statements run prepared** (`prepared-statements.ts`), by pg's `{ name, text, values }`.
//
// All of it is pg's public API: the pool's clients run in pg's documented pipeline mode
// (`pipeline: true`), in which `client.query` calls issued without awaiting each other go out
// at once and are answered in order. Pipeline mode refuses cursors; policypay reads none.

type Row = Record<string, unknown>;

export class PostgresConnection implements DatabaseConnection {
  readonly #client: pg.PoolClient;
  /** A BEGIN asked for that waits for the transaction's first statement. */
  #pendingBegin: string | undefined;
  /** Named statements this session has prepared (at most MAX_PREPARED_PER_CONNECTION). */
  readonly #preparedNames = new Set<string>();
  #discarded = false;

  constructor(client: pg.PoolClient) {
    this.#client = client;
  }

  get client(): pg.PoolClient {
    return this.#client;
  }

  /** Opens a transaction: `text` is sent with its first statement. */
  begin(text: string): void {
    this.#pendingBegin = text;
  }

  /**
   * Ends the transaction with `command`, or does nothing when no statement ran since BEGIN (there
   * is no transaction on the server). Resolves with the command PostgreSQL answered.
   */
  async end(command: 'commit' | 'rollback'): Promise<string> {
    if (this.#pendingBegin !== undefined) {
      this.#pendingBegin = undefined;
      return command.toUpperCase();
    }
    try {
      return (await this.#client.query(command)).command;
    } catch (error) {
      // A session whose ROLLBACK failed may still be inside a transaction: never reuse it.
      if (command === 'rollback') this.#discarded = true;
      throw error;
    }
  }

  /** Whether the pool must close this session rather than hand it out again. */
  get discarded(): boolean {
    return this.#discarded;
  }

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    const [result] = await this.executeBatch<R>([compiledQuery]);
    return result as QueryResult<R>;
  }

  /**
   * Sends `queries` (after a pending BEGIN) without waiting for each answer, and resolves with
   * their results in order once all are answered. The first error, in the order they ran, is
   * thrown; inside a transaction it has aborted the transaction, so the ones after it failed too.
   */
  async executeBatch<R>(queries: readonly CompiledQuery[]): Promise<QueryResult<R>[]> {
    if (this.#discarded) throw new Error('the database connection was discarded after a failed ROLLBACK');
    const begin = this.#pendingBegin;
    this.#pendingBegin = undefined;
    const sent: Promise<pg.QueryResult<Row>>[] = [];
    if (begin !== undefined) sent.push(this.#client.query(begin));
    for (const query of queries) sent.push(this.#client.query<Row>(this.#config(query)));
    const settled = await Promise.allSettled(sent);
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
    const results = settled.map((s) => toQueryResult<R>((s as PromiseFulfilledResult<pg.QueryResult<Row>>).value));
    return begin === undefined ? results : results.slice(1);
  }

  // biome-ignore lint/correctness/useYield: streaming is refused, as pg's pipeline mode refuses cursors
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming queries is not supported on this connection (pg pipeline mode has no cursors)');
  }

  #config(query: CompiledQuery): pg.QueryConfig {
    const values = [...query.parameters];
    const name = preparedName(query.sql, this.#preparedNames);
    return name ? { name, text: query.sql, values } : { text: query.sql, values };
  }
}

function toQueryResult<R>(result: pg.QueryResult<Row>): QueryResult<R> {
  const { command, rowCount, rows } = result;
  const affects = command === 'INSERT' || command === 'UPDATE' || command === 'DELETE' || command === 'MERGE';
  return {
    ...(affects ? { numAffectedRows: BigInt(rowCount ?? 0) } : {}),
    rows: (rows ?? []) as R[],
  };
}
