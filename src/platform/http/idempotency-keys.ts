import { createHash, randomUUID } from 'node:crypto';
import { DomainError } from '../../kernel/errors.ts';
import { type Db, inTransaction, type Tx } from '../db/transaction.ts';

/**
 * Stripe's Idempotency-Key semantics. A key is claimed in its own short transaction by an owner
 * (a random token); the use case then records its response in *its* transaction, under the key
 * row's lock and only while it still owns the key, so a committed change always has its stored
 * response. No timer decides a takeover: a retry takes a key over only when its owner is not
 * running (not live in this process, and not holding the row's lock) and did not commit (an
 * effect always commits with the key marked, see `commitIdempotentEffect`).
 */
export interface IdempotencyClaim {
  agencyId: string;
  key: string;
  /** The claiming request's token: a transaction commits the key only while it still owns it. */
  owner: string;
}

export type ClaimResult =
  | { kind: 'claimed'; claim: IdempotencyClaim }
  | { kind: 'replay'; status: number; body: unknown }
  /** The effect committed before the answer was stored: the answer is read from what `ref` names. */
  | { kind: 'committed'; status: number; ref: string };

/**
 * The owners running in this process, by agency and key. On PGlite (one process, one session,
 * one transaction at a time) a row lock can never be seen held, so this is the whole truth about
 * liveness there; on PostgreSQL it also covers an owner between its claim and its transaction.
 */
export class LiveOwners {
  readonly #owners = new Map<string, string>();
  #id(claim: { agencyId: string; key: string }): string {
    return `${claim.agencyId}\u0000${claim.key}`;
  }
  add(claim: IdempotencyClaim): void {
    this.#owners.set(this.#id(claim), claim.owner);
  }
  has(claim: { agencyId: string; key: string }): boolean {
    return this.#owners.has(this.#id(claim));
  }
  delete(claim: IdempotencyClaim): void {
    if (this.#owners.get(this.#id(claim)) === claim.owner) this.#owners.delete(this.#id(claim));
  }
}

/** Keys are kept at least 24 hours (Stripe's window); the purge job removes older ones. */
const IDEMPOTENCY_RETENTION_HOURS = 24;

export function requestFingerprint(method: string, path: string, body: unknown): string {
  return createHash('sha256')
    .update(`${method} ${path}\n${canonicalJson(body)}`)
    .digest('hex');
}

function canonicalJson(value: unknown): string {
  if (value === undefined) return '';
  return JSON.stringify(value, (_key, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}

function inUse(key: string): DomainError {
  return new DomainError(
    'idempotency_key_in_use',
    `a request with Idempotency-Key "${key}" is still being processed; retry later`,
  );
}

export async function claimIdempotencyKey(
  db: Db,
  input: { agencyId: string; key: string; fingerprint: string; method: string; path: string },
  live: LiveOwners,
  now = new Date(),
): Promise<ClaimResult> {
  const claim = { agencyId: input.agencyId, key: input.key, owner: randomUUID() };
  const inserted = await db
    .insertInto('idempotency_keys')
    .values({
      agency_id: input.agencyId,
      key: input.key,
      request_hash: input.fingerprint,
      method: input.method,
      path: input.path,
      state: 'in_progress',
      locked_at: now,
      owner: claim.owner,
    })
    .onConflict((oc) => oc.columns(['agency_id', 'key']).doNothing())
    .returning('key')
    .executeTakeFirst();
  if (inserted) {
    live.add(claim);
    return { kind: 'claimed', claim };
  }

  const existing = await db
    .selectFrom('idempotency_keys')
    .select(['request_hash', 'method', 'path', 'state', 'response_status', 'response_body'])
    .where('agency_id', '=', input.agencyId)
    .where('key', '=', input.key)
    .executeTakeFirst();
  if (!existing) return claimIdempotencyKey(db, input, live, now); // purged in between: claim again
  if (existing.request_hash !== input.fingerprint) {
    throw new DomainError(
      'idempotency_key_reused',
      `Idempotency-Key "${input.key}" was used with a different request (${existing.method} ${existing.path}); use a new key for a new request`,
    );
  }
  if (existing.state === 'completed') {
    return { kind: 'replay', status: existing.response_status ?? 200, body: existing.response_body };
  }
  // Its owner is running in this process: never a second run, however long it takes.
  if (live.has(claim)) throw inUse(input.key);

  const decided = await inTransaction(db, async (tx) => {
    // The owner's transaction holds this row's lock while it runs (`lockIdempotencyClaim`); a lock
    // we cannot take means a live owner in another process.
    const row = await tx
      .selectFrom('idempotency_keys')
      .select(['state', 'owner', 'response_status', 'response_body', 'response_ref'])
      .where('agency_id', '=', input.agencyId)
      .where('key', '=', input.key)
      .forUpdate()
      .skipLocked()
      .executeTakeFirst();
    if (!row) return 'locked' as const;
    if (row.state === 'completed') {
      return { kind: 'replay', status: row.response_status ?? 200, body: row.response_body } as const;
    }
    if (row.state === 'committed') {
      return { kind: 'committed', status: row.response_status ?? 200, ref: row.response_ref ?? '' } as const;
    }
    // In progress, unlocked: its owner is not in a transaction, and it committed nothing (an effect
    // commits with the key marked). If that owner is still alive elsewhere, its own transaction
    // will find the key no longer its own and roll back: one effect, whoever makes it.
    await tx
      .updateTable('idempotency_keys')
      .set({ owner: claim.owner, locked_at: now })
      .where('agency_id', '=', input.agencyId)
      .where('key', '=', input.key)
      .execute();
    return { kind: 'claimed', claim } as const;
  });
  if (decided === 'locked') {
    const still = await db
      .selectFrom('idempotency_keys')
      .select('key')
      .where('agency_id', '=', input.agencyId)
      .where('key', '=', input.key)
      .executeTakeFirst();
    if (!still) return claimIdempotencyKey(db, input, live, now); // released in between: claim again
    throw inUse(input.key);
  }
  if (decided.kind === 'claimed') live.add(claim);
  return decided;
}

/**
 * First statement of the owner's use-case transaction: locks the key row for the transaction's
 * lifetime (a retry meanwhile gets 409) and proves the key is still this owner's. A lock only,
 * not an UPDATE: a new row version would make a retry's `INSERT … ON CONFLICT` wait for us.
 */
export async function lockIdempotencyClaim(tx: Tx, claim: IdempotencyClaim): Promise<void> {
  const row = await tx
    .selectFrom('idempotency_keys')
    .select('key')
    .where('agency_id', '=', claim.agencyId)
    .where('key', '=', claim.key)
    .where('owner', '=', claim.owner)
    .where('state', '=', 'in_progress')
    .forNoKeyUpdate()
    .executeTakeFirst();
  if (!row) throw inUse(claim.key);
}

/**
 * Stores the answer (the exact JSON text sent) in the caller's transaction. Only the key's owner
 * may; anyone else's transaction is rolled back by the error.
 */
export async function completeIdempotencyKey(
  db: Db | Tx,
  claim: IdempotencyClaim,
  status: number,
  bodyJson: string,
  options: { mustOwn?: boolean } = {},
): Promise<boolean> {
  const row = await db
    .updateTable('idempotency_keys')
    .set({ state: 'completed', response_status: status, response_body: bodyJson, locked_at: null })
    .where('agency_id', '=', claim.agencyId)
    .where('key', '=', claim.key)
    .where('owner', '=', claim.owner)
    .where('state', 'in', ['in_progress', 'committed'])
    .returning('key')
    .executeTakeFirst();
  if (!row && (options.mustOwn ?? true)) throw inUse(claim.key);
  return row !== undefined;
}

/**
 * For a use case that commits its effect before a network call (a charge, a refund): marks the
 * key in the effect's own transaction, naming what the answer is about (`ref`), so a retry after
 * a crash answers from that record's current state instead of acting again.
 */
export async function commitIdempotentEffect(
  tx: Tx,
  claim: IdempotencyClaim,
  status: number,
  ref: string,
): Promise<void> {
  const row = await tx
    .updateTable('idempotency_keys')
    .set({ state: 'committed', response_status: status, response_ref: ref })
    .where('agency_id', '=', claim.agencyId)
    .where('key', '=', claim.key)
    .where('owner', '=', claim.owner)
    .where('state', '=', 'in_progress')
    .returning('key')
    .executeTakeFirst();
  if (!row) throw inUse(claim.key);
}

/** Gives the key back after invalid input or a crash-free 5xx, unless an effect committed. */
export async function releaseIdempotencyKey(db: Db, claim: IdempotencyClaim): Promise<void> {
  await db
    .deleteFrom('idempotency_keys')
    .where('agency_id', '=', claim.agencyId)
    .where('key', '=', claim.key)
    .where('owner', '=', claim.owner)
    .where('state', '=', 'in_progress')
    .execute();
}

export async function purgeIdempotencyKeys(db: Db, now = new Date()): Promise<number> {
  const cutoff = new Date(now.getTime() - IDEMPOTENCY_RETENTION_HOURS * 2 * 3_600_000);
  const result = await db.deleteFrom('idempotency_keys').where('created_at', '<', cutoff).executeTakeFirst();
  return Number(result.numDeletedRows ?? 0n);
}
