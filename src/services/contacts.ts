import type { Actor } from './actor.ts';
import { audit } from './audit.ts';
import { findCustomer } from './customers.ts';
import { type Db, inTransaction, type Tx } from './transaction.ts';

export interface ContactInput {
  name: string;
  email?: string | undefined;
  phone?: string | undefined;
  primary?: boolean | undefined;
}

export interface ContactView {
  id: string;
  customerNumber: number;
  name: string;
  email: string | null;
  phone: string | null;
  primary: boolean;
}

/** Adds a contact; a new primary contact takes over from the previous one. */
export async function addContact(
  db: Db | Tx,
  actor: Actor,
  customerNumber: number,
  input: ContactInput,
): Promise<ContactView> {
  return inTransaction(db, async (tx) => {
    const customer = await findCustomer(tx, actor.agencyId, customerNumber);
    const existing = await tx
      .selectFrom('contacts')
      .select('id')
      .where('agency_id', '=', actor.agencyId)
      .where('customer_id', '=', customer.id)
      .executeTakeFirst();
    // The first contact of a customer is its primary one unless told otherwise.
    const primary = input.primary ?? existing === undefined;
    if (primary) {
      await tx
        .updateTable('contacts')
        .set({ is_primary: false })
        .where('agency_id', '=', actor.agencyId)
        .where('customer_id', '=', customer.id)
        .where('is_primary', '=', true)
        .execute();
    }
    const row = await tx
      .insertInto('contacts')
      .values({
        agency_id: actor.agencyId,
        customer_id: customer.id,
        name: input.name,
        email: input.email ?? null,
        phone: input.phone ?? null,
        is_primary: primary,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await audit(tx, actor, 'contact.created', { type: 'contact', id: row.id }, { customerNumber });
    return {
      id: row.id,
      customerNumber,
      name: row.name,
      email: row.email,
      phone: row.phone,
      primary: row.is_primary,
    };
  });
}

export async function listContacts(db: Db, actor: Actor, customerNumber: number): Promise<ContactView[]> {
  const customer = await findCustomer(db, actor.agencyId, customerNumber);
  const rows = await db
    .selectFrom('contacts')
    .selectAll()
    .where('agency_id', '=', actor.agencyId)
    .where('customer_id', '=', customer.id)
    .orderBy('is_primary', 'desc')
    .orderBy('created_at')
    .execute();
  return rows.map((row) => ({
    id: row.id,
    customerNumber,
    name: row.name,
    email: row.email,
    phone: row.phone,
    primary: row.is_primary,
  }));
}
