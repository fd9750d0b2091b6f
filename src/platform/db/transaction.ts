import type { Kysely, Transaction } from 'kysely';
import { DomainError } from '../../kernel/errors.ts';
import { transaction } from './pipeline.ts';
import type { Database } from './schema.ts';

export type Db = Kysely<Database>;
export type Tx = Transaction<Database>;

/**
 * Runs `work` in a transaction, or inside the caller's when `db` already is one. Each use case
 * is one transaction; the HTTP layer may open it first so that the idempotency record commits
 * with the change it describes.
 */
export async function inTransaction<T>(db: Db | Tx, work: (tx: Tx) => Promise<T>): Promise<T> {
  if (db.isTransaction) return work(db as Tx);
  try {
    return await transaction(db, work);
  } catch (error) {
    throw translateDatabaseError(error);
  }
}

interface PgError {
  code?: string;
  constraint?: string;
  message?: string;
}

/** Unique violations and serialization failures become domain errors a client can act on. */
function translateDatabaseError(error: unknown): unknown {
  const pgError = error as PgError;
  if (pgError && typeof pgError === 'object' && typeof pgError.code === 'string') {
    if (pgError.code === '40001' || pgError.code === '40P01') {
      return new DomainError('database_busy', 'the request collided with another; retry it');
    }
  }
  return error;
}

export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const pgError = error as PgError;
  return pgError?.code === '23505' && (!constraint || pgError.constraint === constraint);
}
