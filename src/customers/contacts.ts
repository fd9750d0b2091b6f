import type { Actor } from '../kernel/actor.ts';
import { notFound } from '../kernel/errors.ts';
import { isUuid } from '../kernel/ids.ts';
import { audit } from '../platform/db/audit.ts';
import { type Db, inTransaction, type Tx } from '../platform/db/transaction.ts';
import { queueLocalEditPushes } from '../sync/outbox/queue.ts';
import type { SyncSystem } from '../sync/rules/records.ts';
import { findCustomer } from './customers.ts';

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
): Promise<ContactView & { pushTo: SyncSystem[] }> {
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
    const pushTo = primary ? await queueLocalEditPushes(tx, actor.agencyId, customer.id, ['contact']) : [];
    return { ...contactView(row, customerNumber), pushTo };
  });
}

export interface ContactChanges {
  name?: string | undefined;
  email?: string | null | undefined;
  phone?: string | null | undefined;
  /** Only `true`: a customer always keeps a primary contact once it has one. */
  primary?: true | undefined;
}

/**
 * Edits a contact. The systems keep one contact per account, so the customer's primary contact
 * follows the edit to the systems the customer is linked to (queued here, pushed after commit).
 */
export async function updateContact(
  db: Db | Tx,
  actor: Actor,
  customerNumber: number,
  contactId: string,
  changes: ContactChanges,
): Promise<ContactView & { pushTo: SyncSystem[] }> {
  return inTransaction(db, async (tx) => {
    const customer = await findCustomer(tx, actor.agencyId, customerNumber);
    if (!isUuid(contactId)) throw notFound('contact', contactId);
    const current = await tx
      .selectFrom('contacts')
      .selectAll()
      .where('agency_id', '=', actor.agencyId)
      .where('customer_id', '=', customer.id)
      .where('id', '=', contactId)
      .forUpdate()
      .executeTakeFirst();
    if (!current) throw notFound('contact', contactId);
    const set: { name?: string; email?: string | null; phone?: string | null; is_primary?: boolean } = {};
    if (changes.name !== undefined && changes.name !== current.name) set.name = changes.name;
    if (changes.email !== undefined && changes.email !== current.email) set.email = changes.email;
    if (changes.phone !== undefined && changes.phone !== current.phone) set.phone = changes.phone;
    if (changes.primary && !current.is_primary) {
      await tx
        .updateTable('contacts')
        .set({ is_primary: false })
        .where('agency_id', '=', actor.agencyId)
        .where('customer_id', '=', customer.id)
        .where('is_primary', '=', true)
        .execute();
      set.is_primary = true;
    }
    if (Object.keys(set).length === 0) return { ...contactView(current, customerNumber), pushTo: [] };
    const row = await tx
      .updateTable('contacts')
      .set(set)
      .where('agency_id', '=', actor.agencyId)
      .where('id', '=', current.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await audit(
      tx,
      actor,
      'contact.updated',
      { type: 'contact', id: row.id },
      { customerNumber, fields: Object.keys(set) },
    );
    const pushTo = row.is_primary ? await queueLocalEditPushes(tx, actor.agencyId, customer.id, ['contact']) : [];
    return { ...contactView(row, customerNumber), pushTo };
  });
}

function contactView(
  row: { id: string; name: string; email: string | null; phone: string | null; is_primary: boolean },
  customerNumber: number,
): ContactView {
  return { id: row.id, customerNumber, name: row.name, email: row.email, phone: row.phone, primary: row.is_primary };
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
