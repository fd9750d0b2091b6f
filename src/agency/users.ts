import type { Actor } from '../kernel/actor.ts';
import { DomainError } from '../kernel/errors.ts';
import { audit } from '../platform/db/audit.ts';
import type { Role } from '../platform/db/schema.ts';
import { type Db, inTransaction, isUniqueViolation, type Tx } from '../platform/db/transaction.ts';
import { type AgencyView, getAgency } from './agencies.ts';
import { hashPassword, hashToken, newToken, verifyPasswordOrDummy } from './secrets/secrets.ts';

export interface UserView {
  id: string;
  email: string;
  name: string;
  role: Role;
}

export async function createUser(
  db: Db | Tx,
  actor: Actor,
  input: { email: string; name: string; role: Role; password?: string | undefined },
): Promise<UserView> {
  const passwordHash = input.password ? await hashPassword(input.password) : null;
  return inTransaction(db, async (tx) => {
    try {
      const row = await tx
        .insertInto('users')
        .values({
          agency_id: actor.agencyId,
          email: input.email.toLowerCase(),
          name: input.name,
          role: input.role,
          password_hash: passwordHash,
        })
        .returning(['id', 'email', 'name', 'role'])
        .executeTakeFirstOrThrow();
      await audit(tx, actor, 'user.created', { type: 'user', id: row.id }, { email: row.email, role: row.role });
      return row;
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new DomainError('already_exists', `a user with e-mail ${input.email} already exists`, {
          errors: [{ path: 'email', message: 'already exists' }],
        });
      }
      throw error;
    }
  });
}

const SESSION_DAYS = 14;

export interface Session {
  token: string;
  expiresAt: Date;
  user: UserView;
  agency: AgencyView;
}

/** Signs a user in. The same answer for an unknown e-mail and a wrong password. */
export async function signIn(db: Db, email: string, password: string, now = new Date()): Promise<Session> {
  const user = await db
    .selectFrom('users')
    .select(['id', 'agency_id', 'email', 'name', 'role', 'password_hash', 'deactivated_at'])
    .where((eb) => eb(eb.fn('lower', ['email']), '=', email.toLowerCase()))
    .executeTakeFirst();
  // An unknown address costs the same scrypt as a known one: the timing says nothing.
  const ok = await verifyPasswordOrDummy(password, user?.password_hash);
  if (!user || !ok) throw new DomainError('unauthenticated', 'the e-mail or password is not right');
  // Said only to whoever knows the password: it tells them whom to ask.
  if (user.deactivated_at) {
    throw new DomainError('unauthenticated', 'this user is deactivated; ask a staff user of your agency');
  }
  const token = newToken('pps');
  const expiresAt = new Date(now.getTime() + SESSION_DAYS * 86_400_000);
  await db
    .insertInto('sessions')
    .values({
      token_hash: hashToken(token),
      agency_id: user.agency_id,
      user_id: user.id,
      expires_at: expiresAt,
    })
    .execute();
  await db
    .updateTable('users')
    .set({ last_sign_in_at: now })
    .where('agency_id', '=', user.agency_id)
    .where('id', '=', user.id)
    .execute();
  return {
    token,
    expiresAt,
    user: { id: user.id, email: user.email, name: user.name, role: user.role },
    agency: await getAgency(db, user.agency_id),
  };
}

export async function signOut(db: Db, token: string): Promise<void> {
  await db.deleteFrom('sessions').where('token_hash', '=', hashToken(token)).execute();
}

export async function authenticateSession(
  db: Db,
  token: string,
  now = new Date(),
): Promise<{ actor: Actor; user: UserView } | undefined> {
  const row = await db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .select(['users.id', 'users.agency_id', 'users.email', 'users.name', 'users.role'])
    .where('sessions.token_hash', '=', hashToken(token))
    .where('sessions.expires_at', '>', now)
    .where('users.deactivated_at', 'is', null)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    // A signed-in staff user has all banks; agents and clients are limited by later rules.
    actor: {
      agencyId: row.agency_id,
      role: row.role,
      userId: row.id,
      banks: null,
      divisions: null,
      label: `user:${row.email}`,
    },
    user: { id: row.id, email: row.email, name: row.name, role: row.role },
  };
}

/** The signed-in user behind an actor; API keys have none. */
export async function getSignedInUser(db: Db, actor: Actor): Promise<UserView> {
  const user = actor.userId
    ? await db
        .selectFrom('users')
        .select(['id', 'email', 'name', 'role'])
        .where('agency_id', '=', actor.agencyId)
        .where('id', '=', actor.userId)
        .executeTakeFirst()
    : undefined;
  if (!user) throw new DomainError('forbidden', 'only a signed-in user has a profile; API keys do not');
  return user;
}

export async function purgeExpiredSessions(db: Db, now = new Date()): Promise<number> {
  const result = await db.deleteFrom('sessions').where('expires_at', '<=', now).executeTakeFirst();
  return Number(result.numDeletedRows ?? 0n);
}
