import { randomUUID } from 'node:crypto';
import type { Insertable } from 'kysely';
import type { SyncLogTable } from '../platform/db/schema.ts';
import type { Tx } from '../platform/db/transaction.ts';
import type { Owned } from './rules/account-children.ts';
import { inChunks, insertChunks } from './rules/chunks.ts';
import { contactChanges, type LocalContact, matchContact, newLocalContact } from './rules/contact-rules.ts';
import type { ExternalContact, SyncSystem } from './rules/records.ts';
import type { SyncRules } from './rules/rules.ts';

/**
 * Links, creates and updates the contacts of a page's accounts, in the caller's transaction (which
 * holds the agency's sync lock): three reads, the changed contacts updated one by one, the new
 * contacts and links inserted in bulk.
 */
export async function applyContacts(
  tx: Tx,
  agencyId: string,
  system: SyncSystem,
  incoming: Owned<ExternalContact>[],
  rules: SyncRules,
  log: Insertable<SyncLogTable>[],
): Promise<void> {
  const links = await inChunks(
    incoming.map((c) => c.item.externalId),
    (ids) =>
      tx
        .selectFrom('sync_links')
        .select(['external_id', 'local_id'])
        .where('agency_id', '=', agencyId)
        .where('entity', '=', 'contact')
        .where('system', '=', system)
        .where('external_id', 'in', ids)
        .execute(),
  );
  const linked = new Map(links.map((l) => [l.external_id, l.local_id]));
  // Every contact of the page's customers, with the systems each is linked to: what matching needs.
  const rows = await inChunks([...new Set(incoming.map((c) => c.customerId))], (ids) =>
    tx
      .selectFrom('contacts')
      .select(['id', 'customer_id', 'name', 'email', 'phone', 'is_primary'])
      .where('agency_id', '=', agencyId)
      .where('customer_id', 'in', ids)
      .execute(),
  );
  const contactLinks = await inChunks(
    rows.map((r) => r.id),
    (ids) =>
      tx
        .selectFrom('sync_links')
        .select(['local_id', 'system'])
        .where('agency_id', '=', agencyId)
        .where('entity', '=', 'contact')
        .where('local_id', 'in', ids)
        .execute(),
  );
  const locals = new Map<string, LocalContact>(
    rows.map((r) => [
      r.id,
      {
        id: r.id,
        customerId: r.customer_id,
        fields: { name: r.name, email: r.email, phone: r.phone },
        primary: r.is_primary,
        systems: new Set(),
      },
    ]),
  );
  for (const link of contactLinks) locals.get(link.local_id)?.systems.add(link.system);
  const byCustomer = new Map<string, LocalContact[]>();
  for (const local of locals.values())
    byCustomer.set(local.customerId, [...(byCustomer.get(local.customerId) ?? []), local]);

  const newContacts: LocalContact[] = [];
  const isNew = new Set<string>();
  const newLinks: { localId: string; externalId: string }[] = [];
  const entry = (action: string, externalId: string, localId: string, message?: string) =>
    log.push({
      agency_id: agencyId,
      system,
      direction: 'inbound',
      entity: 'contact',
      local_id: localId,
      external_id: externalId,
      action,
      message: message ?? null,
    });

  for (const { item, customerId } of incoming) {
    const linkedId = linked.get(item.externalId);
    const match = linkedId ? undefined : matchContact(item, byCustomer.get(customerId) ?? [], system);
    const local = linkedId ? locals.get(linkedId) : match?.local;
    if (!local) {
      if (linkedId) continue; // Linked to a contact deleted here: staff removed it on purpose.
      const customerContacts = byCustomer.get(customerId) ?? [];
      const created = newLocalContact(randomUUID(), customerId, item, system, customerContacts);
      newContacts.push(created);
      isNew.add(created.id);
      newLinks.push({ localId: created.id, externalId: item.externalId });
      byCustomer.set(customerId, [...customerContacts, created]);
      entry('created', item.externalId, created.id);
      continue;
    }
    if (!linkedId) {
      local.systems.add(system);
      newLinks.push({ localId: local.id, externalId: item.externalId });
      entry('linked', item.externalId, local.id, `matched by ${match?.matchedBy}`);
    }
    const changes = contactChanges(rules, system, local, item);
    if (Object.keys(changes).length === 0) continue;
    local.fields = { ...local.fields, ...changes };
    if (isNew.has(local.id)) continue;
    await tx
      .updateTable('contacts')
      .set({ ...changes, name: changes.name ?? local.fields.name ?? '' })
      .where('agency_id', '=', agencyId)
      .where('id', '=', local.id)
      .execute();
    if (linkedId) entry('updated', item.externalId, local.id);
  }

  await insertChunks(newContacts, (chunk) =>
    tx
      .insertInto('contacts')
      .values(
        chunk.map((c) => ({
          id: c.id,
          agency_id: agencyId,
          customer_id: c.customerId,
          name: c.fields.name ?? '',
          email: c.fields.email,
          phone: c.fields.phone,
          is_primary: c.primary,
        })),
      )
      .execute(),
  );
  await insertChunks(newLinks, (chunk) =>
    tx
      .insertInto('sync_links')
      .values(
        chunk.map((l) => ({
          agency_id: agencyId,
          entity: 'contact' as const,
          local_id: l.localId,
          system,
          external_id: l.externalId,
        })),
      )
      .execute(),
  );
}
