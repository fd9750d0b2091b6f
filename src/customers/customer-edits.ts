import type { Actor } from '../kernel/actor.ts';
import { audit } from '../platform/db/audit.ts';
import { type Db, inTransaction, type Tx } from '../platform/db/transaction.ts';
import { type PushField, queueLocalEditPushes } from '../sync/outbox/queue.ts';
import type { SyncSystem } from '../sync/rules/records.ts';
import { type Address, type CustomerView, customerView, findCustomer } from './customers.ts';

export interface CustomerChanges {
  type?: 'individual' | 'group' | undefined;
  name?: string | undefined;
  email?: string | null | undefined;
  phone?: string | null | undefined;
  address?: Address | null | undefined;
}

/**
 * Edits a customer's account fields. The edit follows the customer to the external systems it is
 * linked to (and only those), queued in the same transaction and pushed after commit.
 */
export async function updateCustomer(
  db: Db | Tx,
  actor: Actor,
  customerNumber: number,
  changes: CustomerChanges,
): Promise<{ customer: CustomerView; pushTo: SyncSystem[] }> {
  return inTransaction(db, async (tx) => {
    const current = await findCustomer(tx, actor.agencyId, customerNumber);
    const set: Record<string, unknown> = {};
    if (changes.type !== undefined) set.type = changes.type;
    if (changes.name !== undefined) set.name = changes.name;
    if (changes.email !== undefined) set.email = changes.email;
    if (changes.phone !== undefined) set.phone = changes.phone;
    if (changes.address !== undefined) set.address = changes.address ? JSON.stringify(changes.address) : null;
    if (Object.keys(set).length === 0) return { customer: customerView(current), pushTo: [] };
    const row = await tx
      .updateTable('customers')
      .set(set)
      .where('agency_id', '=', actor.agencyId)
      .where('id', '=', current.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await audit(tx, actor, 'customer.updated', { type: 'customer', id: row.id }, { fields: Object.keys(set) });
    // Only the edited fields travel: a system's own edits of the others survive.
    const fields: PushField[] = Object.keys(set).flatMap((key) =>
      key === 'address' ? (['line1', 'line2', 'city', 'state', 'postalCode', 'country'] as const) : [key as PushField],
    );
    const pushTo = await queueLocalEditPushes(tx, actor.agencyId, row.id, fields);
    return { customer: customerView(row), pushTo };
  });
}
