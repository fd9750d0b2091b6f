import { sql } from 'kysely';
import { hashToken, newToken } from '../agency/secrets/secrets.ts';
import type { Tx } from '../platform/db/transaction.ts';

/** Links in payment request e-mails: the client may open them days later. */
export const REQUEST_LINK_HOURS = 72;
/** Sign-in and enrollment links the client asks for on the portal's sign-in page. */
export const SIGN_IN_LINK_MINUTES = 30;

export interface PortalLinkInput {
  agencyId: string;
  agencySlug: string;
  customerId: string;
  contactId: string;
  purpose: 'enroll' | 'sign_in';
  paymentRequestId?: string | undefined;
  validMs: number;
  portalUrl: string;
}

/**
 * Issues a single-use link for one agency and one contact: 256 random bits, of which only the
 * SHA-256 is stored. Returns the URL the e-mail carries.
 */
export async function issuePortalLink(tx: Tx, input: PortalLinkInput, now = new Date()): Promise<string> {
  const token = newToken('ppt');
  // The address the link goes to: redemption refuses it once the contact's address has changed.
  const contact = await tx
    .selectFrom('contacts')
    .select('email')
    .where('agency_id', '=', input.agencyId)
    .where('id', '=', input.contactId)
    .executeTakeFirst();
  await tx
    .insertInto('portal_tokens')
    .values({
      email: contact?.email?.toLowerCase() ?? null,
      token_hash: hashToken(token),
      agency_id: input.agencyId,
      customer_id: input.customerId,
      contact_id: input.contactId,
      purpose: input.purpose,
      payment_request_id: input.paymentRequestId ?? null,
      expires_at: new Date(now.getTime() + input.validMs),
    })
    .execute();
  const params = new URLSearchParams({ agency: input.agencySlug, token });
  if (input.paymentRequestId) params.set('request', input.paymentRequestId);
  return `${input.portalUrl}/${input.purpose === 'enroll' ? 'enroll' : 'sign-in'}?${params.toString()}`;
}

/**
 * Whether the contact's address has a portal identity in the agency: enrolled through this
 * customer or any other one where the same person is a contact.
 */
export async function isEnrolled(tx: Tx, agencyId: string, contactId: string): Promise<boolean> {
  const row = await tx
    .selectFrom('contacts as k')
    .innerJoin('portal_identities as i', (join) =>
      join.onRef('i.agency_id', '=', 'k.agency_id').on(sql<boolean>`i.email = lower(k.email)`),
    )
    .select('i.id')
    .where('k.agency_id', '=', agencyId)
    .where('k.id', '=', contactId)
    .executeTakeFirst();
  return row !== undefined;
}
