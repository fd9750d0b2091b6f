import type { Insertable } from 'kysely';
import { customerNumbers, reserveNumbers } from '../customers/counters.ts';
import type { Actor } from '../kernel/actor.ts';
import { auditRow } from '../platform/db/audit.ts';
import type { Database, SyncOutboxTable } from '../platform/db/schema.ts';
import type { Tx } from '../platform/db/transaction.ts';
import { pushFieldsJson, queuePushes } from '../sync/outbox/queue.ts';
import { readSyncRules } from '../sync/outbox/sync-settings.ts';
import type { WritablePlan } from './book-matching.ts';
import { auditColumns, type Columns, insertUnnest, orderedId } from './bulk-insert.ts';

const customerColumns: Columns = {
  id: 'uuid',
  agency_id: 'uuid',
  customer_number: 'integer',
  type: 'text',
  name: 'text',
  email: 'text',
  phone: 'text',
  address: 'jsonb',
};

/**
 * A batch of customer rows, as `createCustomer` writes each: numbered (numbers the file does not
 * give are reserved for the whole batch in one counter update, after the file's own numbers are
 * in, so the counter skips those as it would one by one), audited, and queued for the sync rules'
 * pushOnCreate systems. Every row with an external id, new or matched, is linked to it.
 * (createCustomer's producer/CSR checks do not apply: an import row names neither.)
 */
export async function writeCustomers(tx: Tx, actor: Actor, plans: readonly WritablePlan<'customers'>[]): Promise<void> {
  const agencyId = actor.agencyId;
  const created = plans.filter((p) => p.outcome === 'create');
  const rows = created.map((p) => ({ id: orderedId(), plan: p, number: p.row.customerNumber }));
  const values = (list: typeof rows): Insertable<Database['customers']>[] =>
    list.map(({ id, plan: { row }, number }) => ({
      id,
      agency_id: agencyId,
      customer_number: number!,
      type: row.type,
      name: row.name,
      email: row.email ?? null,
      phone: row.phone ?? null,
      address: row.address ? JSON.stringify(row.address) : null,
    }));
  const numbered = rows.filter((r) => r.number !== undefined);
  if (numbered.length > 0) await insertUnnest(tx, 'customers', customerColumns, values(numbered));
  const unnumbered = rows.filter((r) => r.number === undefined);
  if (unnumbered.length > 0) {
    const numbers = await reserveNumbers(tx, agencyId, 'customer', customerNumbers, unnumbered.length);
    unnumbered.forEach((r, i) => {
      r.number = numbers[i]!;
    });
    await insertUnnest(tx, 'customers', customerColumns, values(unnumbered));
  }
  const createdIds = new Map(rows.map((r) => [r.plan, r.id]));
  const links = plans.flatMap((p) => {
    const customerId = p.outcome === 'create' ? createdIds.get(p) : p.customer?.id;
    return p.row.externalId && customerId
      ? [{ agency_id: agencyId, external_id: p.row.externalId, customer_id: customerId }]
      : [];
  });
  if (links.length > 0) {
    await tx
      .insertInto('imported_customers')
      .values(links)
      .onConflict((oc) => oc.columns(['agency_id', 'external_id']).doNothing())
      .execute();
  }
  if (rows.length === 0) return;
  await insertUnnest(
    tx,
    'audit_log',
    auditColumns,
    rows.map((r) => auditRow(actor, 'customer.created', { type: 'customer', id: r.id }, { customerNumber: r.number })),
  );
  // The sync rules' pushOnCreate (queueCreatePushes), read once for the batch.
  const rules = await readSyncRules(tx, agencyId);
  if (rules.pushOnCreate.length === 0) return;
  const connectors = await tx
    .selectFrom('sync_connectors')
    .select('system')
    .where('agency_id', '=', agencyId)
    .where('enabled', '=', true)
    .where('system', 'in', rules.pushOnCreate)
    .execute();
  const systems = [...new Set(connectors.map((c) => c.system))];
  await queuePushes(
    tx,
    rows.flatMap((r) =>
      systems.map(
        (system) => ({ agency_id: agencyId, system, entity: 'customer', local_id: r.id, operation: 'create' }) as const,
      ),
    ),
  );
}

/**
 * A batch of contact rows, as `addContact` writes each in file order: a customer's first contact
 * is its primary one unless the row says otherwise, and a new primary contact takes over from the
 * previous one (one update for the batch's customers, and only a customer's last primary row of
 * the batch is inserted primary). Audited; a customer with a new primary contact queues a
 * `contact` push to the systems it is linked to, as a local edit does.
 */
export async function writeContacts(tx: Tx, actor: Actor, plans: readonly WritablePlan<'contacts'>[]): Promise<void> {
  const agencyId = actor.agencyId;
  const customerIds = [...new Set(plans.map((p) => p.customer!.id))];
  const hasContact = new Set(
    (
      await tx
        .selectFrom('contacts')
        .select('customer_id')
        .distinct()
        .where('agency_id', '=', agencyId)
        .where('customer_id', 'in', customerIds)
        .execute()
    ).map((c) => c.customer_id),
  );
  const lastPrimary = new Map<string, number>();
  const rows = plans.map((p, index): Insertable<Database['contacts']> & { id: string } => {
    const customerId = p.customer!.id;
    const primary = p.row.primary ?? !hasContact.has(customerId);
    hasContact.add(customerId);
    if (primary) lastPrimary.set(customerId, index);
    return {
      id: orderedId(),
      agency_id: agencyId,
      customer_id: customerId,
      name: p.row.name,
      email: p.row.email ?? null,
      phone: p.row.phone ?? null,
      is_primary: primary,
    };
  });
  rows.forEach((r, index) => {
    if (r.is_primary) r.is_primary = lastPrimary.get(r.customer_id) === index;
  });
  const newPrimary = [...lastPrimary.keys()];
  if (newPrimary.length > 0) {
    await tx
      .updateTable('contacts')
      .set({ is_primary: false })
      .where('agency_id', '=', agencyId)
      .where('customer_id', 'in', newPrimary)
      .where('is_primary', '=', true)
      .execute();
  }
  await tx.insertInto('contacts').values(rows).execute();
  await insertUnnest(
    tx,
    'audit_log',
    auditColumns,
    rows.map((r, i) =>
      auditRow(
        actor,
        'contact.created',
        { type: 'contact', id: r.id },
        { customerNumber: plans[i]!.customer!.customerNumber },
      ),
    ),
  );
  if (newPrimary.length > 0) await queueContactPushes(tx, agencyId, newPrimary);
}

/** queueLocalEditPushes(…, ['contact']) for many customers: rules read once, links in one query. */
async function queueContactPushes(tx: Tx, agencyId: string, customerIds: readonly string[]): Promise<void> {
  const rules = await readSyncRules(tx, agencyId);
  const outbound = new Set(rules.customer.flows.filter((f) => f.from === 'local').map((f) => f.to));
  if (outbound.size === 0) return;
  const links = await tx
    .selectFrom('sync_links')
    .select(['system', 'local_id'])
    .where('agency_id', '=', agencyId)
    .where('entity', '=', 'customer')
    .where('local_id', 'in', customerIds)
    .execute();
  const seen = new Set<string>();
  const pushes: Insertable<SyncOutboxTable>[] = [];
  for (const link of links) {
    const key = `${link.local_id}\u0000${link.system}`;
    if (!outbound.has(link.system) || seen.has(key)) continue;
    seen.add(key);
    pushes.push({
      agency_id: agencyId,
      system: link.system,
      entity: 'customer',
      local_id: link.local_id,
      operation: 'update',
      fields: pushFieldsJson(['contact']),
    });
  }
  await queuePushes(tx, pushes);
}
