import { findAgencyBySlug, getAgency } from '../agency/agencies.ts';
import { loadEmailSender } from '../agency/branding.ts';
import { brandingFromStored } from '../agency/rules/branding.ts';
import { hashPassword, hashToken, newToken, verifyPasswordOrDummy } from '../agency/secrets/secrets.ts';
import { queueEmail } from '../email/outbox.ts';
import { signInLinkEmail } from '../email/rules/templates.ts';
import type { Actor } from '../kernel/actor.ts';
import { DomainError } from '../kernel/errors.ts';
import { audit } from '../platform/db/audit.ts';
import { type Db, inTransaction, type Tx } from '../platform/db/transaction.ts';
import type { JobQueue } from '../platform/jobs/job-queue.ts';
import { ensureIdentity, identityAccounts, identityByEmail } from './identities.ts';
import { issuePortalLink, SIGN_IN_LINK_MINUTES } from './links.ts';

const PORTAL_SESSION_DAYS = 7;

export interface PortalSessionView {
  /** `name` is the name clients see (the branding's display name, else the agency's). */
  agency: { slug: string; name: string; logoUrl: string | null; primaryColor: string | null };
  /** The customer the session is looking at. */
  customer: { customerNumber: number; name: string };
  /** That customer's contact with the identity's address. */
  contact: { id: string; name: string; email: string };
  /** Every customer the identity may see (the account switcher). */
  accounts: { customerNumber: number; name: string; current: boolean }[];
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
 * checks it), enrolls the contact's address on first use (one identity per address and agency,
 * whichever of its customers the link came from), and opens a session on the link's customer.
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
      .returning(['customer_id', 'contact_id', 'purpose', 'payment_request_id', 'email'])
      .executeTakeFirst();
    if (!used) throw badLink();
    const contact = await tx
      .selectFrom('contacts')
      .select(['id', 'email'])
      .where('agency_id', '=', agency.id)
      .where('id', '=', used.contact_id)
      .executeTakeFirstOrThrow();
    // The contact's address changed since the link was sent: it proves the old address only, so
    // it must not enroll or sign in the new one (and every customer that has it).
    if (!contact.email) throw badLink();
    if (used.email !== null && used.email !== contact.email.toLowerCase()) throw badLink();
    const identity = await ensureIdentity(tx, agency.id, contact.email);
    if (identity.created) {
      const actor = portalActor(agency.id, contact.email, {
        identityId: identity.id,
        customerId: used.customer_id,
        customerNumber: 0,
        contactId: contact.id,
      });
      await audit(tx, actor, 'portal.enrolled', { type: 'contact', id: contact.id });
    }
    return openSession(tx, agency.id, identity.id, used.customer_id, used.payment_request_id, now);
  });
}

/**
 * E-mail and password. The same answer for an unknown e-mail, no password yet, a wrong one, or
 * an identity no customer has as a contact any more. The session opens on its first customer.
 */
export async function signInToPortal(
  db: Db,
  input: { agency: string; email: string; password: string },
  now = new Date(),
): Promise<PortalSignIn> {
  const agency = await findAgencyBySlug(db, input.agency);
  const identity = agency ? await identityByEmail(db, agency.id, input.email) : undefined;
  // An unknown address costs the same scrypt as a known one: the timing says nothing either.
  const ok = await verifyPasswordOrDummy(input.password, identity?.password_hash);
  if (!agency || !identity || !ok) throw badPassword();
  const [first] = await identityAccounts(db, agency.id, identity.email);
  if (!first) throw badPassword();
  return inTransaction(db, (tx) => openSession(tx, agency.id, identity.id, first.customerId, null, now));
}

async function openSession(
  tx: Tx,
  agencyId: string,
  identityId: string,
  customerId: string,
  paymentRequestId: string | null,
  now: Date,
): Promise<PortalSignIn> {
  const token = newToken('ppc');
  const expiresAt = new Date(now.getTime() + PORTAL_SESSION_DAYS * 86_400_000);
  await tx
    .insertInto('portal_sessions')
    .values({
      token_hash: hashToken(token),
      agency_id: agencyId,
      identity_id: identityId,
      customer_id: customerId,
      expires_at: expiresAt,
    })
    .execute();
  return { token, expiresAt, view: await sessionView(tx, agencyId, identityId, customerId, paymentRequestId) };
}

/**
 * How an agency shows itself to a client who has not signed in yet (the sign-in and enrollment
 * pages of a link that names it): its name and branding, nothing else. Slugs are in every link.
 */
export async function publicPortalAgency(db: Db, slug: string): Promise<PortalSessionView['agency']> {
  const agency = await db
    .selectFrom('agencies')
    .select(['slug', 'name', 'settings'])
    .where('slug', '=', slug)
    .executeTakeFirst();
  if (!agency) throw new DomainError('not_found', `no agency "${slug}"`);
  return portalAgency(agency.slug, agency.name, (agency.settings as { branding?: unknown } | null)?.branding);
}

function portalAgency(slug: string, name: string, storedBranding: unknown): PortalSessionView['agency'] {
  const branding = brandingFromStored(storedBranding);
  return { slug, name: branding.displayName ?? name, logoUrl: branding.logoUrl, primaryColor: branding.primaryColor };
}

async function sessionView(
  db: Db | Tx,
  agencyId: string,
  identityId: string,
  customerId: string,
  paymentRequestId: string | null,
): Promise<PortalSessionView> {
  const row = await db
    .selectFrom('portal_identities as i')
    .innerJoin('agencies as g', 'g.id', 'i.agency_id')
    .select(['g.slug', 'g.name as agency_name', 'g.settings', 'i.email', 'i.password_hash'])
    .where('i.agency_id', '=', agencyId)
    .where('i.id', '=', identityId)
    .executeTakeFirstOrThrow();
  const accounts = await identityAccounts(db, agencyId, row.email);
  const current = accounts.find((a) => a.customerId === customerId);
  if (!current) throw new DomainError('unauthenticated', 'you are not a contact of this account any more');
  return {
    agency: portalAgency(row.slug, row.agency_name, row.settings?.branding),
    customer: { customerNumber: current.customerNumber, name: current.name },
    contact: { id: current.contactId, name: current.contactName, email: row.email },
    accounts: accounts.map((a) => ({
      customerNumber: a.customerNumber,
      name: a.name,
      current: a.customerId === customerId,
    })),
    hasPassword: row.password_hash !== null,
    paymentRequestId,
  };
}

function portalActor(agencyId: string, email: string, client: NonNullable<Actor['client']>): Actor {
  return { agencyId, role: 'client', banks: null, divisions: null, label: `client:${email}`, client };
}

/**
 * The client behind a portal session cookie, or undefined. The session's customer must still
 * have a contact with the identity's address; when it has none any more (the contact was removed
 * or re-addressed), the session goes on with the identity's first remaining customer, and with
 * none it no longer signs anyone in.
 */
export async function authenticatePortalSession(db: Db, token: string, now = new Date()): Promise<Actor | undefined> {
  const row = await db
    .selectFrom('portal_sessions as s')
    .innerJoin('portal_identities as i', 'i.id', 's.identity_id')
    .select(['s.agency_id', 's.identity_id', 's.customer_id', 'i.email'])
    .where('s.token_hash', '=', hashToken(token))
    .where('s.expires_at', '>', now)
    .executeTakeFirst();
  if (!row) return undefined;
  const [chosen] = await identityAccounts(db, row.agency_id, row.email, row.customer_id);
  const account = chosen ?? (await identityAccounts(db, row.agency_id, row.email))[0];
  if (!account) return undefined;
  return portalActor(row.agency_id, row.email, {
    identityId: row.identity_id,
    customerId: account.customerId,
    customerNumber: account.customerNumber,
    contactId: account.contactId,
  });
}

function requireClient(actor: Actor): NonNullable<Actor['client']> {
  if (actor.role !== 'client' || !actor.client) throw new DomainError('forbidden', 'only a portal client may do this');
  return actor.client;
}

export async function getPortalSession(db: Db | Tx, actor: Actor): Promise<PortalSessionView> {
  const client = requireClient(actor);
  return sessionView(db, actor.agencyId, client.identityId, client.customerId, null);
}

/**
 * Sets or changes the identity's password (one for all its accounts) and ends every other session
 * of the identity (a thief's cookie stops working); the session that made the change
 * (`currentToken`) stays signed in.
 */
export async function setPortalPassword(
  db: Db | Tx,
  actor: Actor,
  password: string,
  currentToken?: string,
): Promise<PortalSessionView> {
  const hash = await hashPassword(password);
  return inTransaction(db, async (tx) => {
    const { identityId } = requireClient(actor);
    await tx
      .updateTable('portal_identities')
      .set({ password_hash: hash })
      .where('agency_id', '=', actor.agencyId)
      .where('id', '=', identityId)
      .execute();
    let others = tx.deleteFrom('portal_sessions').where('identity_id', '=', identityId);
    if (currentToken) others = others.where('token_hash', '!=', hashToken(currentToken));
    await others.execute();
    await audit(tx, actor, 'portal.password_set', { type: 'portal_identity', id: identityId });
    return getPortalSession(tx, actor);
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
    const identity = await identityByEmail(tx, agency.id, email);
    // Enrolled: a sign-in link (to their first customer; the switcher shows the others).
    // Not enrolled: the first contact with this address (oldest) may enroll.
    const [first] = identity ? await identityAccounts(tx, agency.id, email) : [];
    const enrolled = first
      ? { customer_id: first.customerId, contact_id: first.contactId, name: first.contactName }
      : undefined;
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
      ...(await loadEmailSender(tx, agencyView.id)),
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
