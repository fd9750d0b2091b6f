import type { Actor } from '../kernel/actor.ts';
import { DomainError, notFound } from '../kernel/errors.ts';
import { isUuid } from '../kernel/ids.ts';
import { audit } from '../platform/db/audit.ts';
import { type Db, inTransaction, type Tx } from '../platform/db/transaction.ts';
import { hashToken, newToken } from './secrets/secrets.ts';

export interface ApiKeyInput {
  name: string;
  role: 'staff' | 'agent';
  /** Bank short names the key may deposit to; absent = all banks. */
  banks?: string[] | undefined;
  /** Use this key text instead of generating one (the demo agency's key from the environment). */
  presetKey?: string | undefined;
}

export interface CreatedApiKey {
  id: string;
  name: string;
  role: 'staff' | 'agent';
  banks: string[] | null;
  /** Shown once; only its hash is stored. */
  key: string;
}

export async function createApiKey(db: Db | Tx, actor: Actor, input: ApiKeyInput): Promise<CreatedApiKey> {
  return inTransaction(db, async (tx) => {
    let divisions: string[] | null = null;
    if (input.banks?.length) {
      const known = await tx
        .selectFrom('banks')
        .innerJoin('bank_divisions', 'bank_divisions.id', 'banks.division_id')
        .select(['banks.short_name', 'bank_divisions.name as division'])
        .where('banks.agency_id', '=', actor.agencyId)
        .where('banks.short_name', 'in', input.banks)
        .execute();
      divisions = [...new Set(known.map((b) => b.division))].sort();
      const knownNames = new Set(known.map((b) => b.short_name));
      const unknown = input.banks.filter((b) => !knownNames.has(b));
      if (unknown.length) {
        throw new DomainError('unprocessable', `unknown bank(s): ${unknown.join(', ')}`, {
          errors: unknown.map((b) => ({
            path: `banks/${input.banks!.indexOf(b)}`,
            message: `unknown bank ${b}`,
          })),
        });
      }
    }
    const key = input.presetKey ?? newToken('pp_live');
    const row = await tx
      .insertInto('api_keys')
      .values({
        agency_id: actor.agencyId,
        name: input.name,
        role: input.role,
        key_hash: hashToken(key),
        key_prefix: key.slice(0, 12),
        banks: input.banks ?? null,
        divisions,
      })
      .returning(['id', 'name', 'role', 'banks'])
      .executeTakeFirstOrThrow();
    await audit(
      tx,
      actor,
      'api_key.created',
      { type: 'api_key', id: row.id },
      { role: input.role, banks: input.banks },
    );
    return { id: row.id, name: row.name, role: row.role, banks: row.banks, key };
  });
}

export async function revokeApiKey(db: Db | Tx, actor: Actor, id: string): Promise<void> {
  await inTransaction(db, async (tx) => {
    const validId = isUuid(id);
    const row = validId
      ? await tx
          .updateTable('api_keys')
          .set({ revoked_at: new Date() })
          .where('agency_id', '=', actor.agencyId)
          .where('id', '=', id)
          .where('revoked_at', 'is', null)
          .returning('id')
          .executeTakeFirst()
      : undefined;
    if (!row) throw notFound('api key', id);
    await audit(tx, actor, 'api_key.revoked', { type: 'api_key', id });
  });
  // After the commit: a request authenticating now reads the revoked row.
  forgetApiKey(id);
}

/**
 * How long a successful authentication is remembered. Revoking a key through this process forgets
 * it at once; a key revoked by another process (another server on the same database) keeps
 * working here for at most this long.
 */
export const API_KEY_CACHE_MS = 5_000;
const MAX_CACHED_KEYS = 10_000;

interface CachedKey {
  db: Db;
  actor: Actor;
  expiresAt: number;
}

// By key hash. Each entry remembers its database, so two databases in one process (tests, the
// demo key in PGlite and PostgreSQL) never answer for each other.
const cachedKeys = new Map<string, CachedKey>();
// Bumped by every revocation: a lookup that started before it does not store its answer.
let revocations = 0;

/**
 * Resolves a bearer key to the actor it stands for; revoked or unknown keys resolve to nothing.
 * Every request authenticates, so a found key is remembered for API_KEY_CACHE_MS (one query less
 * per request); unknown keys are not remembered.
 */
export async function authenticateApiKey(db: Db, key: string, now = Date.now()): Promise<Actor | undefined> {
  const hash = hashToken(key);
  const cached = cachedKeys.get(hash);
  if (cached && cached.db === db && cached.expiresAt > now) {
    await noteUse(db, cached.actor, now);
    return { ...cached.actor };
  }
  const revocationsBefore = revocations;
  const row = await db
    .selectFrom('api_keys')
    .select(['id', 'agency_id', 'role', 'banks', 'divisions', 'name'])
    .where('key_hash', '=', hash)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  if (!row) {
    if (cached?.db === db) cachedKeys.delete(hash);
    return undefined;
  }
  const actor: Actor = {
    agencyId: row.agency_id,
    role: row.role,
    apiKeyId: row.id,
    banks: row.banks,
    divisions: row.divisions,
    label: `api_key:${row.name}`,
  };
  if (revocations === revocationsBefore) {
    if (cachedKeys.size >= MAX_CACHED_KEYS) cachedKeys.clear();
    cachedKeys.set(hash, { db, actor, expiresAt: now + API_KEY_CACHE_MS });
  }
  await noteUse(db, actor, now);
  return { ...actor };
}

/** A key's last use is written at most this often: not one write per request. */
export const API_KEY_LAST_USED_MS = 60_000;
// By key id: when this process last wrote the key's last use.
const lastUseWritten = new Map<string, number>();

/**
 * Records that a key was used, at most once a minute per key: this process skips the write within
 * the minute, and the statement itself skips it when another process wrote within the minute.
 */
async function noteUse(db: Db, actor: Actor, now: number): Promise<void> {
  const id = actor.apiKeyId;
  if (!id) return;
  const written = lastUseWritten.get(id);
  if (written !== undefined && now - written < API_KEY_LAST_USED_MS && now >= written) return;
  if (lastUseWritten.size >= MAX_CACHED_KEYS) lastUseWritten.clear();
  lastUseWritten.set(id, now);
  await db
    .updateTable('api_keys')
    .set({ last_used_at: new Date(now) })
    .where('agency_id', '=', actor.agencyId)
    .where('id', '=', id)
    .where((eb) =>
      eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<=', new Date(now - API_KEY_LAST_USED_MS))]),
    )
    .execute();
}

export interface ApiKeyView {
  id: string;
  name: string;
  role: 'staff' | 'agent';
  /** Bank short names it may deposit to; null = all banks. */
  banks: string[] | null;
  /** The key's first characters, so a person can tell which key an app holds. */
  prefix: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

/** The agency's keys, newest first, revoked ones included (their history stays visible). */
export async function listApiKeys(db: Db, actor: Actor): Promise<ApiKeyView[]> {
  const rows = await db
    .selectFrom('api_keys')
    .select(['id', 'name', 'role', 'banks', 'key_prefix', 'created_at', 'last_used_at', 'revoked_at'])
    .where('agency_id', '=', actor.agencyId)
    .orderBy('created_at', 'desc')
    .orderBy('id')
    .execute();
  return rows.map((row) => ({
    id: row.id,
    name: row.name,
    role: row.role,
    banks: row.banks,
    prefix: row.key_prefix,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  }));
}

/** Forgets a revoked key's remembered authentication in this process. */
function forgetApiKey(id: string): void {
  revocations += 1;
  for (const [hash, cached] of cachedKeys) if (cached.actor.apiKeyId === id) cachedKeys.delete(hash);
}

/** Creates the key unless a key with the same text already exists (a preset key across restarts). */
export async function ensureApiKey(db: Db, actor: Actor, input: ApiKeyInput & { presetKey: string }): Promise<void> {
  const found = await db
    .selectFrom('api_keys')
    .select('id')
    .where('key_hash', '=', hashToken(input.presetKey))
    .executeTakeFirst();
  if (!found) await createApiKey(db, actor, input);
}
