import { createHash } from 'node:crypto';
import { DomainError } from '../domain/errors.ts';
import type { Db, Tx } from './transaction.ts';

/**
 * Stripe's Idempotency-Key semantics. A key is claimed in its own short transaction; the use case
 * then records its response in *its* transaction, so a committed change always has its stored
 * response and a crash leaves a claim that a retry may safely take over.
 */
export interface IdempotencyClaim {
  agencyId: string;
  key: string;
}

export type ClaimResult =
  | { kind: 'claimed'; claim: IdempotencyClaim }
  | { kind: 'replay'; status: number; body: unknown };

/** A claim older than this was left by a process that died; its change never committed. */
const STALE_CLAIM_MS = 60_000;
/** Keys are kept at least 24 hours (Stripe's window); the purge job removes older ones. */
export const IDEMPOTENCY_RETENTION_HOURS = 24;

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

export async function claimIdempotencyKey(
  db: Db,
  input: { agencyId: string; key: string; fingerprint: string; method: string; path: string },
  now = new Date(),
): Promise<ClaimResult> {
  const claim = { agencyId: input.agencyId, key: input.key };
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
    })
    .onConflict((oc) => oc.columns(['agency_id', 'key']).doNothing())
    .returning('key')
    .executeTakeFirst();
  if (inserted) return { kind: 'claimed', claim };

  const existing = await db
    .selectFrom('idempotency_keys')
    .selectAll()
    .where('agency_id', '=', input.agencyId)
    .where('key', '=', input.key)
    .executeTakeFirst();
  if (!existing) return claimIdempotencyKey(db, input, now); // purged in between: claim again
  if (existing.request_hash !== input.fingerprint) {
    throw new DomainError(
      'idempotency_key_reused',
      `Idempotency-Key "${input.key}" was used with a different request (${existing.method} ${existing.path}); use a new key for a new request`,
    );
  }
  if (existing.state === 'completed') {
    return { kind: 'replay', status: existing.response_status ?? 200, body: existing.response_body };
  }
  // In progress: take it over only if the claim is stale, atomically, so one retry wins.
  const takenOver = await db
    .updateTable('idempotency_keys')
    .set({ locked_at: now })
    .where('agency_id', '=', input.agencyId)
    .where('key', '=', input.key)
    .where('state', '=', 'in_progress')
    .where('locked_at', '<', new Date(now.getTime() - STALE_CLAIM_MS))
    .returning('key')
    .executeTakeFirst();
  if (takenOver) return { kind: 'claimed', claim };
  throw new DomainError(
    'idempotency_key_in_use',
    `a request with Idempotency-Key "${input.key}" is still being processed; retry later`,
  );
}

export async function completeIdempotencyKey(
  db: Db | Tx,
  claim: IdempotencyClaim,
  status: number,
  body: unknown,
): Promise<void> {
  await db
    .updateTable('idempotency_keys')
    .set({
      state: 'completed',
      response_status: status,
      response_body: JSON.stringify(body ?? null),
      locked_at: null,
    })
    .where('agency_id', '=', claim.agencyId)
    .where('key', '=', claim.key)
    .execute();
}

export async function releaseIdempotencyKey(db: Db, claim: IdempotencyClaim): Promise<void> {
  await db
    .deleteFrom('idempotency_keys')
    .where('agency_id', '=', claim.agencyId)
    .where('key', '=', claim.key)
    .where('state', '=', 'in_progress')
    .execute();
}

export async function purgeIdempotencyKeys(db: Db, now = new Date()): Promise<number> {
  const cutoff = new Date(now.getTime() - IDEMPOTENCY_RETENTION_HOURS * 2 * 3_600_000);
  const result = await db.deleteFrom('idempotency_keys').where('created_at', '<', cutoff).executeTakeFirst();
  return Number(result.numDeletedRows ?? 0n);
}
