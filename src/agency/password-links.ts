import { DomainError } from '../kernel/errors.ts';
import { audit } from '../platform/db/audit.ts';
import { type Db, inTransaction, type Tx } from '../platform/db/transaction.ts';
import { hashPassword, hashToken, newToken } from './secrets/secrets.ts';

// A console user's single-use link to choose a password: sent with an invitation or a reset.
// 256 random bits in the link; only their SHA-256 is stored, with an expiry. A new link for a user
// replaces their unused ones, so only the latest e-mail works.

export type PasswordLinkPurpose = 'invite' | 'reset';

/** An invitation may sit in an inbox over a weekend. */
export const INVITE_LINK_HOURS = 72;
/** A reset is asked for when someone is locked out and waiting for it. */
export const RESET_LINK_MINUTES = 60;

export const MIN_PASSWORD_LENGTH = 10;

/** Issues a link in the caller's transaction; returns the URL the e-mail carries. */
export async function issuePasswordLink(
  tx: Tx,
  input: { agencyId: string; userId: string; purpose: PasswordLinkPurpose; consoleUrl: string },
  now: Date,
): Promise<string> {
  const token = newToken('ppw');
  const validMs = input.purpose === 'invite' ? INVITE_LINK_HOURS * 3_600_000 : RESET_LINK_MINUTES * 60_000;
  await tx
    .deleteFrom('password_links')
    .where('agency_id', '=', input.agencyId)
    .where('user_id', '=', input.userId)
    .where('used_at', 'is', null)
    .execute();
  await tx
    .insertInto('password_links')
    .values({
      token_hash: hashToken(token),
      agency_id: input.agencyId,
      user_id: input.userId,
      purpose: input.purpose,
      expires_at: new Date(now.getTime() + validMs),
    })
    .execute();
  return `${input.consoleUrl}/set-password?${new URLSearchParams({ token }).toString()}`;
}

export interface PasswordLinkView {
  purpose: PasswordLinkPurpose;
  email: string;
  name: string;
  agencyName: string;
}

const unusable = () =>
  new DomainError('not_found', 'this link is unknown, used or expired; ask your agency for a new one', {
    errors: [{ path: 'token', message: 'unknown, used or expired' }],
  });

/** Whom a link is for (the set-password page greets them), without using it. */
export async function inspectPasswordLink(db: Db, token: string, now = new Date()): Promise<PasswordLinkView> {
  const row = await db
    .selectFrom('password_links as l')
    .innerJoin('users as u', (join) => join.onRef('u.id', '=', 'l.user_id').onRef('u.agency_id', '=', 'l.agency_id'))
    .innerJoin('agencies as a', 'a.id', 'l.agency_id')
    .select(['l.purpose', 'u.email', 'u.name', 'a.name as agency_name'])
    .where('l.token_hash', '=', hashToken(token))
    .where('l.used_at', 'is', null)
    .where('l.expires_at', '>', now)
    .where('u.deactivated_at', 'is', null)
    .executeTakeFirst();
  if (!row) throw unusable();
  return {
    purpose: row.purpose as PasswordLinkPurpose,
    email: row.email,
    name: row.name,
    agencyName: row.agency_name,
  };
}

/**
 * Sets the password a link was sent for and uses the link up. The user's other sessions end: a
 * reset is often asked for because someone else may know the old password.
 */
export async function redeemPasswordLink(
  db: Db,
  input: { token: string; password: string },
  now = new Date(),
): Promise<{ email: string }> {
  if (input.password.length < MIN_PASSWORD_LENGTH) {
    throw new DomainError('validation_failed', `the password must be at least ${MIN_PASSWORD_LENGTH} characters`, {
      errors: [{ path: 'password', message: `must be at least ${MIN_PASSWORD_LENGTH} characters` }],
    });
  }
  // scrypt before the transaction: no row is locked while it runs.
  const passwordHash = await hashPassword(input.password);
  return inTransaction(db, async (tx) => {
    // One statement claims the link: two tabs submitting at once cannot both use it.
    const link = await tx
      .updateTable('password_links')
      .set({ used_at: now })
      .where('token_hash', '=', hashToken(input.token))
      .where('used_at', 'is', null)
      .where('expires_at', '>', now)
      .returning(['agency_id', 'user_id', 'purpose'])
      .executeTakeFirst();
    if (!link) throw unusable();
    const user = await tx
      .updateTable('users')
      .set({ password_hash: passwordHash })
      .where('agency_id', '=', link.agency_id)
      .where('id', '=', link.user_id)
      .where('deactivated_at', 'is', null)
      .returning(['id', 'email'])
      .executeTakeFirst();
    if (!user) throw unusable();
    await tx.deleteFrom('sessions').where('agency_id', '=', link.agency_id).where('user_id', '=', user.id).execute();
    const self = { agencyId: link.agency_id, role: 'staff' as const, banks: null, divisions: null };
    await audit(
      tx,
      { ...self, userId: user.id, label: `user:${user.email}` },
      link.purpose === 'invite' ? 'user.invitation_accepted' : 'user.password_reset',
      { type: 'user', id: user.id },
    );
    return { email: user.email };
  });
}
