import {
  AbortedTransactionError,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type QueryCompiler,
  type TransactionSettings,
} from 'kysely';
import type pg from 'pg';
import { transactionBegun } from './pipeline.ts';
import { PostgresConnection } from './postgres-connection.ts';

// Kysely's PostgreSQL dialect with a driver of our own, written against Kysely's public Driver
// and DatabaseConnection interfaces around a `pg` pool (composed, not patched): its connections
// defer BEGIN to the first statement, send batches without waiting for each answer and run
// marked statements prepared (`postgres-connection.ts`). Compiler, adapter and introspector are
// Kysely's own.

export class PolicypayPostgresDialect implements Dialect {
  readonly #pool: pg.Pool;

  /** `pool` must be created with `pipeline: true` (pg's pipeline mode). */
  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  createDriver(): Driver {
    return new PipelinedPostgresDriver(this.#pool);
  }

  createQueryCompiler(): QueryCompiler {
    return new PostgresQueryCompiler();
  }

  createAdapter(): DialectAdapter {
    return new PostgresAdapter();
  }

  // biome-ignore lint/suspicious/noExplicitAny: Kysely's Dialect interface takes any database
  createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new PostgresIntrospector(db);
  }
}

class PipelinedPostgresDriver implements Driver {
  readonly #pool: pg.Pool;
  readonly #connections = new WeakMap<pg.PoolClient, PostgresConnection>();
  #destroyed = false;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<PostgresConnection> {
    const client = await this.#pool.connect();
    if (this.#destroyed) {
      client.release();
      throw new Error('the database driver has already been destroyed');
    }
    let connection = this.#connections.get(client);
    if (!connection) {
      connection = new PostgresConnection(client);
      this.#connections.set(client, connection);
    }
    return connection;
  }

  async beginTransaction(connection: PostgresConnection, settings: TransactionSettings): Promise<void> {
    let text = 'begin';
    if (settings.isolationLevel || settings.accessMode) {
      text = 'start transaction';
      if (settings.isolationLevel) text += ` isolation level ${settings.isolationLevel}`;
      if (settings.accessMode) text += ` ${settings.accessMode}`;
    }
    connection.begin(text);
    transactionBegun(connection);
  }

  async commitTransaction(connection: PostgresConnection): Promise<void> {
    // PostgreSQL answers COMMIT with ROLLBACK when an earlier statement had aborted the transaction.
    if ((await connection.end('commit')) === 'ROLLBACK') throw new AbortedTransactionError();
  }

  async rollbackTransaction(connection: PostgresConnection): Promise<void> {
    await connection.end('rollback');
  }

  async releaseConnection(connection: PostgresConnection): Promise<void> {
    // A broken session is dropped by the pool on release; a discarded one is closed.
    connection.client.release(connection.discarded);
  }

  async destroy(): Promise<void> {
    if (this.#destroyed) return;
    this.#destroyed = true;
    await this.#pool.end();
  }
}
