import { signInLinkEmail } from '../domain/email-templates.ts';
import { DomainError } from '../domain/errors.ts';
import type { Actor } from './actor.ts';
import { findAgencyBySlug, getAgency } from './agencies.ts';
import { audit } from './audit.ts';
import { queueEmail } from './email-outbox.ts';
import type { JobQueue } from './job-queue.ts';
import { issuePortalLink, SIGN_IN_LINK_MINUTES } from './portal-links.ts';
import { hashPassword, hashToken, newToken, verifyPasswordOrDummy } from './secrets.ts';
import { type Db, inTransaction, isUniqueViolation, type Tx } from './transaction.ts';

const PORTAL_SESSION_DAYS = 7;

export interface PortalSessionView {
  agency: { slug: string; name: string };
  customer: { customerNumber: number; name: string };
  contact: { id: string; name: string; email: string };
  hasPassword: boolean;
  paymentRequestId: string | null;
}

export interface PortalSignIn {
  token: string;
  expiresAt: Date;
  view: PortalSessionView;
}

// One answer for every bad link (unknown, used, expired, another agency's): nothing to probe.
const badLink = () => new DomainError('unauthenticated', 'this link is not valid any more; ask for a new one');
const badPassword = () => new DomainError('unauthenticated', 'the e-mail or password is not right');

/**
 * Redeems an enrollment or sign-in link: marks it used (single use, in the same statement that
 * checks it), enrolls the contact on first use, and opens a portal session.
 */
export async function redeemPortalToken(
  db: Db,
  input: { agencySlug: string; token: string },
  now = new Date(),
): Promise<PortalSignIn> {
  const agency = await findAgencyBySlug(db, input.agencySlug);
  if (!agency) throw badLink();
  return inTransaction(db, async (tx) => {
    const used = await tx
      .updateTable('portal_tokens')
      .set({ used_at: now })
      .where('token_hash', '=', hashToken(input.token))
      .where('agency_id', '=', agency.id)
      .where('used_at', 'is', null)
      .where('expires_at', '>', now)
      .returning(['customer_id', 'contact_id', 'purpose', 'payment_request_id'])
      .executeTakeFirst();
    if (!used) throw badLink();
    const contact = await tx
      .selectFrom('contacts')
      .select(['id', 'email'])
      .where('agency_id', '=', agency.id)
      .where('id', '=', used.contact_id)
      .executeTakeFirstOrThrow();
    let account = await tx
      .selectFrom('portal_accounts')
      .select(['id'])
      .where('agency_id', '=', agency.id)
      .where('contact_id', '=', contact.id)
      .executeTakeFirst();
    if (!account) {
      if (!contact.email) throw badLink();
      try {
        account = await tx
          .insertInto('portal_accounts')
          .values({
            agency_id: agency.id,
            customer_id: used.customer_id,
            contact_id: contact.id,
            email: contact.email.toLowerCase(),
          })
          .returning('id')
          .executeTakeFirstOrThrow();
      } catch (error) {
        if (isUniqueViolation(error)) {
          throw new DomainError(
            'conflict',
            'another contact of this agency is already enrolled with this e-mail address; ask the agency',
          );
        }
        throw error;
      }
      await audit(tx, portalActor(agency.id, used.customer_id, 0, contact.id, contact.email), 'portal.enrolled', {
        type: 'contact',
        id: contact.id,
      });
    }
    return openSession(tx, agency.id, account.id, used.payment_request_id, now);
  });
}

/** E-mail and password. The same answer for an unknown e-mail, no password yet, or a wrong one. */
export async function signInToPortal(
  db: Db,
  input: { agency: string; email: string; password: string },
  now = new Date(),
): Promise<PortalSignIn> {
  const agency = await findAgencyBySlug(db, input.agency);
  const account = agency
    ? await db
        .selectFrom('portal_accounts')
        .select(['id', 'password_hash'])
        .where('agency_id', '=', agency.id)
        .where((eb) => eb(eb.fn('lower', ['email']), '=', input.email.trim().toLowerCase()))
        .executeTakeFirst()
    : undefined;
  // An unknown address costs the same scrypt as a known one: the timing says nothing either.
  const ok = await verifyPasswordOrDummy(input.password, account?.password_hash);
  if (!agency || !account || !ok) throw badPassword();
  return inTransaction(db, (tx) => openSession(tx, agency.id, account.id, null, now));
}

async function openSession(
  tx: Tx,
  agencyId: string,
  accountId: string,
  paymentRequestId: string | null,
  now: Date,
): Promise<PortalSignIn> {
  const token = newToken('ppc');
  const expiresAt = new Date(now.getTime() + PORTAL_SESSION_DAYS * 86_400_000);
  await tx
    .insertInto('portal_sessions')
    .values({ token_hash: hashToken(token), agency_id: agencyId, account_id: accountId, expires_at: expiresAt })
    .execute();
  return { token, expiresAt, view: await sessionView(tx, agencyId, accountId, paymentRequestId) };
}

async function sessionView(
  db: Db | Tx,
  agencyId: string,
  accountId: string,
  paymentRequestId: string | null,
): Promise<PortalSessionView> {
  const row = await db
    .selectFrom('portal_accounts as a')
    .innerJoin('agencies as g', 'g.id', 'a.agency_id')
    .innerJoin('customers as c', 'c.id', 'a.customer_id')
    .innerJoin('contacts as k', 'k.id', 'a.contact_id')
    .select(['g.slug', 'g.name as agency_name', 'c.customer_number', 'c.name as customer_name'])
    .select(['k.id as contact_id', 'k.name as contact_name', 'a.email', 'a.password_hash'])
    .where('a.agency_id', '=', agencyId)
    .where('a.id', '=', accountId)
    .executeTakeFirstOrThrow();
  return {
    agency: { slug: row.slug, name: row.agency_name },
    customer: { customerNumber: row.customer_number, name: row.customer_name },
    contact: { id: row.contact_id, name: row.contact_name, email: row.email },
    hasPassword: row.password_hash !== null,
    paymentRequestId,
  };
}

function portalActor(
  agencyId: string,
  customerId: string,
  customerNumber: number,
  contactId: string,
  email: string,
): Actor {
  return {
    agencyId,
    role: 'client',
    banks: null,
    divisions: null,
    label: `client:${email}`,
    client: { customerId, customerNumber, contactId },
  };
}

/** The client behind a portal session cookie, or undefined. */
export async function authenticatePortalSession(db: Db, token: string, now = new Date()): Promise<Actor | undefined> {
  const row = await db
    .selectFrom('portal_sessions as s')
    .innerJoin('portal_accounts as a', 'a.id', 's.account_id')
    .innerJoin('customers as c', 'c.id', 'a.customer_id')
    .select(['a.agency_id', 'a.customer_id', 'c.customer_number', 'a.contact_id', 'a.email'])
    .where('s.token_hash', '=', hashToken(token))
    .where('s.expires_at', '>', now)
    .executeTakeFirst();
  if (!row) return undefined;
  return portalActor(row.agency_id, row.customer_id, row.customer_number, row.contact_id, row.email);
}

function requireClient(actor: Actor): NonNullable<Actor['client']> {
  if (actor.role !== 'client' || !actor.client) throw new DomainError('forbidden', 'only a portal client may do this');
  return actor.client;
}

async function accountIdFor(db: Db | Tx, actor: Actor): Promise<string> {
  const client = requireClient(actor);
  const row = await db
    .selectFrom('portal_accounts')
    .select('id')
    .where('agency_id', '=', actor.agencyId)
    .where('contact_id', '=', client.contactId)
    .executeTakeFirstOrThrow();
  return row.id;
}

export async function getPortalSession(db: Db, actor: Actor): Promise<PortalSessionView> {
  return sessionView(db, actor.agencyId, await accountIdFor(db, actor), null);
}

/**
 * Sets or changes the password and ends every other session of the account (a thief's cookie
 * stops working); the session that made the change (`currentToken`) stays signed in.
 */
export async function setPortalPassword(
  db: Db | Tx,
  actor: Actor,
  password: string,
  currentToken?: string,
): Promise<PortalSessionView> {
  const hash = await hashPassword(password);
  return inTransaction(db, async (tx) => {
    const accountId = await accountIdFor(tx, actor);
    await tx.updateTable('portal_accounts').set({ password_hash: hash }).where('id', '=', accountId).execute();
    let others = tx.deleteFrom('portal_sessions').where('account_id', '=', accountId);
    if (currentToken) others = others.where('token_hash', '!=', hashToken(currentToken));
    await others.execute();
    await audit(tx, actor, 'portal.password_set', { type: 'portal_account', id: accountId });
    return sessionView(tx, actor.agencyId, accountId, null);
  });
}

export async function signOutOfPortal(db: Db, token: string): Promise<void> {
  await db.deleteFrom('portal_sessions').where('token_hash', '=', hashToken(token)).execute();
}

/** The job that looks the address up and writes the link e-mail (see `askForPortalSignInLink`). */
export const portalLinkQueue = 'portal.sign-in-link';

export interface PortalLinkRequest {
  agencySlug: string;
  email: string;
  portalUrl: string;
}

/**
 * What `POST /portal/sign-in-link` does before it answers: it only queues the request. The lookup,
 * the token and the e-mail happen in a job, so a known address and a stranger's cost the request
 * the same work and the answer's timing says nothing about who is a client.
 */
export async function askForPortalSignInLink(db: Db, jobs: JobQueue, input: PortalLinkRequest): Promise<void> {
  await inTransaction(db, (tx) => jobs.enqueue(tx, portalLinkQueue, input));
}

/**
 * E-mails a sign-in link to an enrolled contact, or an enrollment link to a contact with that
 * address who is not enrolled yet; nothing to a stranger. Runs in the `portal.sign-in-link` job.
 */
export async function requestPortalSignInLink(
  db: Db,
  input: { agencySlug: string; email: string; portalUrl: string; jobs: JobQueue },
  now = new Date(),
): Promise<void> {
  const agency = await findAgencyBySlug(db, input.agencySlug);
  if (!agency) return;
  const email = input.email.trim().toLowerCase();
  await inTransaction(db, async (tx) => {
    const enrolled = await tx
      .selectFrom('portal_accounts as a')
      .innerJoin('contacts as k', 'k.id', 'a.contact_id')
      .select(['a.customer_id', 'a.contact_id', 'k.name'])
      .where('a.agency_id', '=', agency.id)
      .where((eb) => eb(eb.fn('lower', ['a.email']), '=', email))
      .executeTakeFirst();
    // Not enrolled: the first contact with this address (oldest) may enroll.
    const contact =
      enrolled ??
      (await tx
        .selectFrom('contacts as k')
        .select(['k.customer_id', 'k.id as contact_id', 'k.name'])
        .where('k.agency_id', '=', agency.id)
        .where((eb) => eb(eb.fn('lower', ['k.email']), '=', email))
        .orderBy('k.created_at')
        .orderBy('k.id')
        .executeTakeFirst());
    if (!contact) return;
    const link = await issuePortalLink(
      tx,
      {
        agencyId: agency.id,
        agencySlug: agency.slug,
        customerId: contact.customer_id,
        contactId: contact.contact_id,
        purpose: enrolled ? 'sign_in' : 'enroll',
        validMs: SIGN_IN_LINK_MINUTES * 60_000,
        portalUrl: input.portalUrl,
      },
      now,
    );
    const agencyView = await getAgency(tx, agency.id);
    const rendered = signInLinkEmail({
      agencyName: agencyView.name,
      contactName: contact.name,
      link,
      enrolled: enrolled !== undefined,
      validMinutes: SIGN_IN_LINK_MINUTES,
    });
    await queueEmail(
      tx,
      agency.id,
      {
        kind: enrolled ? 'portal_sign_in' : 'portal_enroll',
        to: email,
        ...rendered,
        related: { type: 'contact', id: contact.contact_id },
      },
      input.jobs,
    );
  });
}

export async function purgeExpiredPortalSessions(db: Db, now = new Date()): Promise<number> {
  const result = await db.deleteFrom('portal_sessions').where('expires_at', '<=', now).executeTakeFirst();
  await db
    .deleteFrom('portal_tokens')
    .where('expires_at', '<=', new Date(now.getTime() - 86_400_000))
    .execute();
  return Number(result.numDeletedRows ?? 0n);
}
