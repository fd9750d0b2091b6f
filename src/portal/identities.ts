import { hashToken } from '../agency/secrets/secrets.ts';
import type { Actor } from '../kernel/actor.ts';
import { DomainError, notFound } from '../kernel/errors.ts';
import { type Db, isUniqueViolation, type Tx } from '../platform/db/transaction.ts';

/** A customer a portal identity may see, and its contact with the identity's address. */
export interface PortalAccount {
  customerId: string;
  customerNumber: number;
  name: string;
  contactId: string;
  contactName: string;
}

/**
 * Every customer having a contact with this e-mail address, in customer-number order, each with
 * one contact (the primary, else the oldest). Read on every portal request, never stored: a
 * contact removed or re-addressed ends that customer's access at once.
 */
export async function identityAccounts(
  db: Db | Tx,
  agencyId: string,
  email: string,
  onlyCustomerId?: string,
): Promise<PortalAccount[]> {
  let query = db
    .selectFrom('contacts as k')
    .innerJoin('customers as c', (join) =>
      join.onRef('c.agency_id', '=', 'k.agency_id').onRef('c.id', '=', 'k.customer_id'),
    )
    .distinctOn('c.customer_number')
    .select(['c.id as customer_id', 'c.customer_number', 'c.name', 'k.id as contact_id', 'k.name as contact_name'])
    .where('k.agency_id', '=', agencyId)
    .where('k.email', 'is not', null)
    .where((eb) => eb(eb.fn('lower', ['k.email']), '=', email.toLowerCase()));
  if (onlyCustomerId) query = query.where('k.customer_id', '=', onlyCustomerId);
  const rows = await query
    .orderBy('c.customer_number')
    .orderBy('k.is_primary', 'desc')
    .orderBy('k.created_at')
    .orderBy('k.id')
    .execute();
  return rows.map((r) => ({
    customerId: r.customer_id,
    customerNumber: r.customer_number,
    name: r.name,
    contactId: r.contact_id,
    contactName: r.contact_name,
  }));
}

/** The identity of an address, created on its first enrollment (a link redeemed proves the address). */
export async function ensureIdentity(
  tx: Tx,
  agencyId: string,
  email: string,
): Promise<{ id: string; created: boolean }> {
  const address = email.trim().toLowerCase();
  const found = await identityByEmail(tx, agencyId, address);
  if (found) return { id: found.id, created: false };
  try {
    const row = await tx
      .insertInto('portal_identities')
      .values({ agency_id: agencyId, email: address })
      .returning('id')
      .executeTakeFirstOrThrow();
    return { id: row.id, created: true };
  } catch (error) {
    // Two first links of one address redeemed at once: the loser's transaction is spent.
    if (isUniqueViolation(error))
      throw new DomainError('conflict', 'this address was enrolled just now; sign in again');
    throw error;
  }
}

export async function identityByEmail(db: Db | Tx, agencyId: string, email: string) {
  return db
    .selectFrom('portal_identities')
    .select(['id', 'email', 'password_hash'])
    .where('agency_id', '=', agencyId)
    .where('email', '=', email.trim().toLowerCase())
    .executeTakeFirst();
}

function identityOf(actor: Actor): { identityId: string } {
  if (actor.role !== 'client' || !actor.client) throw new DomainError('forbidden', 'only a portal client may do this');
  return actor.client;
}

/** The signed-in identity's customers (the account switcher's list). */
async function listPortalAccounts(db: Db | Tx, actor: Actor): Promise<PortalAccount[]> {
  const identity = await db
    .selectFrom('portal_identities')
    .select('email')
    .where('agency_id', '=', actor.agencyId)
    .where('id', '=', identityOf(actor).identityId)
    .executeTakeFirstOrThrow();
  return identityAccounts(db, actor.agencyId, identity.email);
}

/**
 * Points this session at another of the identity's customers. A customer where the identity has
 * no contact is "not found", like any other customer a client cannot see. Other sessions (another
 * browser) keep their own choice.
 */
export async function switchPortalAccount(
  tx: Tx,
  actor: Actor,
  customerNumber: number,
  sessionToken: string,
): Promise<PortalAccount> {
  const { identityId } = identityOf(actor);
  const account = (await listPortalAccounts(tx, actor)).find((a) => a.customerNumber === customerNumber);
  if (!account) throw notFound('customer', customerNumber);
  await tx
    .updateTable('portal_sessions')
    .set({ customer_id: account.customerId })
    .where('token_hash', '=', hashToken(sessionToken))
    .where('identity_id', '=', identityId)
    .execute();
  return account;
}
