import { queueEmail } from '../email/outbox.ts';
import { passwordResetEmail, staffInvitationEmail } from '../email/rules/templates.ts';
import type { Actor } from '../kernel/actor.ts';
import { DomainError, notFound } from '../kernel/errors.ts';
import { isUuid } from '../kernel/ids.ts';
import { audit } from '../platform/db/audit.ts';
import { type Db, isUniqueViolation, type Tx } from '../platform/db/transaction.ts';
import type { JobQueue } from '../platform/jobs/job-queue.ts';
import { INVITE_LINK_HOURS, issuePasswordLink, RESET_LINK_MINUTES } from './password-links.ts';

// The agency's console users as staff manage them in Settings → Users and roles: who they are,
// inviting one by e-mail, deactivating one, and sending one a password reset. Portal clients are
// not console users and are never listed here.

export type ConsoleRole = 'staff' | 'agent';
/** invited: has not chosen a password yet; deactivated: can no longer sign in. */
type UserStatus = 'active' | 'invited' | 'deactivated';

export interface ManagedUser {
  id: string;
  email: string;
  name: string;
  role: ConsoleRole;
  status: UserStatus;
  lastSignInAt: Date | null;
  createdAt: Date;
}

interface UserRow {
  id: string;
  email: string;
  name: string;
  role: string;
  password_hash: string | null;
  deactivated_at: Date | null;
  last_sign_in_at: Date | null;
  created_at: Date;
}

const columns = [
  'id',
  'email',
  'name',
  'role',
  'password_hash',
  'deactivated_at',
  'last_sign_in_at',
  'created_at',
] as const;

function view(row: UserRow): ManagedUser {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    role: row.role as ConsoleRole,
    status: row.deactivated_at ? 'deactivated' : row.password_hash ? 'active' : 'invited',
    lastSignInAt: row.last_sign_in_at,
    createdAt: row.created_at,
  };
}

export async function listUsers(db: Db, actor: Actor): Promise<ManagedUser[]> {
  const rows = await db
    .selectFrom('users')
    .select(columns)
    .where('agency_id', '=', actor.agencyId)
    .where('role', 'in', ['staff', 'agent'])
    .orderBy('name')
    .orderBy('email')
    .execute();
  return rows.map(view);
}

/** What an e-mail needs besides the user: where links point and how it is sent. */
export interface MailContext {
  consoleUrl: string;
  jobs: JobQueue;
  now: Date;
}

async function agencyName(tx: Tx, agencyId: string): Promise<string> {
  const row = await tx.selectFrom('agencies').select('name').where('id', '=', agencyId).executeTakeFirstOrThrow();
  return row.name;
}

/** Who invited: a signed-in user by name, an API key as the agency. */
async function inviterName(tx: Tx, actor: Actor, fallback: string): Promise<string> {
  if (!actor.userId) return fallback;
  const row = await tx
    .selectFrom('users')
    .select('name')
    .where('agency_id', '=', actor.agencyId)
    .where('id', '=', actor.userId)
    .executeTakeFirst();
  return row?.name ?? fallback;
}

/** Creates the user without a password and e-mails them a link to choose one, in one transaction. */
export async function inviteUser(
  tx: Tx,
  actor: Actor,
  input: { email: string; name: string; role: ConsoleRole },
  mail: MailContext,
): Promise<ManagedUser> {
  let row: UserRow;
  try {
    // A duplicate fails the statement and so the whole transaction: nothing is written.
    row = await tx
      .insertInto('users')
      .values({ agency_id: actor.agencyId, email: input.email.toLowerCase(), name: input.name, role: input.role })
      .returning(columns)
      .executeTakeFirstOrThrow();
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new DomainError('already_exists', `a user with e-mail ${input.email} already exists`, {
        errors: [{ path: 'email', message: 'already belongs to a user' }],
      });
    }
    throw error;
  }
  const link = await issuePasswordLink(
    tx,
    { agencyId: actor.agencyId, userId: row.id, purpose: 'invite', consoleUrl: mail.consoleUrl },
    mail.now,
  );
  const agency = await agencyName(tx, actor.agencyId);
  const email = staffInvitationEmail({
    agencyName: agency,
    name: row.name,
    invitedBy: await inviterName(tx, actor, agency),
    role: input.role,
    link,
    validHours: INVITE_LINK_HOURS,
  });
  await queueEmail(
    tx,
    actor.agencyId,
    { kind: 'user_invitation', to: row.email, ...email, related: { type: 'user', id: row.id } },
    mail.jobs,
  );
  await audit(tx, actor, 'user.invited', { type: 'user', id: row.id }, { email: row.email, role: row.role });
  return view(row);
}

/** The agency's user, locked for the change; another agency's id is not found. */
async function lockUser(tx: Tx, actor: Actor, id: string): Promise<UserRow> {
  const row = isUuid(id)
    ? await tx
        .selectFrom('users')
        .select(columns)
        .where('agency_id', '=', actor.agencyId)
        .where('id', '=', id)
        .where('role', 'in', ['staff', 'agent'])
        .forUpdate()
        .executeTakeFirst()
    : undefined;
  if (!row) throw notFound('user', id);
  return row;
}

/**
 * The user can no longer sign in; their sessions and unused links end now. Nobody deactivates
 * themselves, and the agency keeps at least one active staff user (else nobody could manage it).
 */
export async function deactivateUser(tx: Tx, actor: Actor, id: string, now: Date): Promise<ManagedUser> {
  if (actor.userId === id) {
    throw new DomainError('conflict', 'you cannot deactivate yourself; ask another staff user', {
      errors: [{ path: 'id', message: 'is you' }],
    });
  }
  // Every active staff row is locked first, in one order: two staff deactivating each other at
  // once are serialized, and the second sees that only one is left.
  const activeStaff = await tx
    .selectFrom('users')
    .select('id')
    .where('agency_id', '=', actor.agencyId)
    .where('role', '=', 'staff')
    .where('deactivated_at', 'is', null)
    .orderBy('id')
    .forUpdate()
    .execute();
  const user = await lockUser(tx, actor, id);
  if (user.deactivated_at) return view(user);
  if (user.role === 'staff' && activeStaff.every((s) => s.id === id)) {
    throw new DomainError('conflict', 'this is the last active staff user; invite another staff user first', {
      errors: [{ path: 'id', message: 'is the last active staff user' }],
    });
  }
  const row = await tx
    .updateTable('users')
    .set({ deactivated_at: now })
    .where('agency_id', '=', actor.agencyId)
    .where('id', '=', id)
    .returning(columns)
    .executeTakeFirstOrThrow();
  await tx.deleteFrom('sessions').where('agency_id', '=', actor.agencyId).where('user_id', '=', id).execute();
  await tx
    .deleteFrom('password_links')
    .where('agency_id', '=', actor.agencyId)
    .where('user_id', '=', id)
    .where('used_at', 'is', null)
    .execute();
  await audit(tx, actor, 'user.deactivated', { type: 'user', id });
  return view(row);
}

/**
 * E-mails the user a link to choose a new password (an invited user gets their invitation again).
 * The current password keeps working until the link is used.
 */
export async function sendPasswordReset(
  tx: Tx,
  actor: Actor,
  id: string,
  mail: MailContext,
): Promise<{ sentTo: string }> {
  const user = await lockUser(tx, actor, id);
  if (user.deactivated_at) {
    throw new DomainError('conflict', 'this user is deactivated and cannot sign in', {
      errors: [{ path: 'id', message: 'is deactivated' }],
    });
  }
  const purpose = user.password_hash ? 'reset' : 'invite';
  const link = await issuePasswordLink(
    tx,
    { agencyId: actor.agencyId, userId: id, purpose, consoleUrl: mail.consoleUrl },
    mail.now,
  );
  const agency = await agencyName(tx, actor.agencyId);
  const email =
    purpose === 'reset'
      ? passwordResetEmail({ agencyName: agency, name: user.name, link, validMinutes: RESET_LINK_MINUTES })
      : staffInvitationEmail({
          agencyName: agency,
          name: user.name,
          invitedBy: await inviterName(tx, actor, agency),
          role: user.role as ConsoleRole,
          link,
          validHours: INVITE_LINK_HOURS,
        });
  await queueEmail(
    tx,
    actor.agencyId,
    {
      kind: purpose === 'reset' ? 'password_reset' : 'user_invitation',
      to: user.email,
      ...email,
      related: { type: 'user', id },
    },
    mail.jobs,
  );
  await audit(tx, actor, 'user.password_reset_sent', { type: 'user', id });
  return { sentTo: user.email };
}
