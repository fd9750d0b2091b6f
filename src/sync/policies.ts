import { randomUUID } from 'node:crypto';
import type { Insertable } from 'kysely';
import type { SyncLogTable } from '../platform/db/schema.ts';
import type { Tx } from '../platform/db/transaction.ts';
import type { Owned } from './rules/account-children.ts';
import { inChunks, insertChunks } from './rules/chunks.ts';
import { type LocalPolicy, newPolicyTerms, policyDefaults, policyUpdate } from './rules/policy-rules.ts';
import type { ExternalPolicy, SyncSystem } from './rules/records.ts';

type Entry = (action: string, externalId: string, localId: string | null, message?: string) => void;

/**
 * Links, creates and updates the policies of a page's accounts, in the caller's transaction (which
 * holds the agency's sync lock): linked policies by their link, others by policy number; the new
 * policies and links inserted in bulk.
 */
export async function applyPolicies(
  tx: Tx,
  agencyId: string,
  system: SyncSystem,
  incoming: Owned<ExternalPolicy>[],
  log: Insertable<SyncLogTable>[],
  today: string,
): Promise<void> {
  const links = await inChunks(
    incoming.map((p) => p.item.externalId),
    (ids) =>
      tx
        .selectFrom('sync_links')
        .select(['external_id', 'local_id'])
        .where('agency_id', '=', agencyId)
        .where('entity', '=', 'policy')
        .where('system', '=', system)
        .where('external_id', 'in', ids)
        .execute(),
  );
  const linked = new Map(links.map((l) => [l.external_id, l.local_id]));
  const columns = [
    'id',
    'customer_id',
    'policy_number',
    'line_of_business',
    'effective_date',
    'expiration_date',
    'premium_cents',
  ] as const;
  const rows = [
    ...(await inChunks([...linked.values()], (ids) =>
      tx.selectFrom('policies').select(columns).where('agency_id', '=', agencyId).where('id', 'in', ids).execute(),
    )),
    ...(await inChunks(
      [...new Set(incoming.filter((p) => !linked.has(p.item.externalId)).map((p) => p.item.policyNumber))],
      (numbers) =>
        tx
          .selectFrom('policies')
          .select(columns)
          .where('agency_id', '=', agencyId)
          .where('policy_number', 'in', numbers)
          .execute(),
    )),
  ];
  const policyLinks = await inChunks(
    rows.map((r) => r.id),
    (ids) =>
      tx
        .selectFrom('sync_links')
        .select(['local_id', 'system'])
        .where('agency_id', '=', agencyId)
        .where('entity', '=', 'policy')
        .where('local_id', 'in', ids)
        .execute(),
  );
  const locals = new Map<string, LocalPolicy>(
    rows.map((r) => [
      r.id,
      {
        id: r.id,
        customerId: r.customer_id,
        policyNumber: r.policy_number,
        lineOfBusiness: r.line_of_business,
        effectiveDate: r.effective_date,
        expirationDate: r.expiration_date,
        premiumCents: r.premium_cents,
        systems: new Set(),
      },
    ]),
  );
  for (const link of policyLinks) locals.get(link.local_id)?.systems.add(link.system);
  const byNumber = new Map([...locals.values()].map((p) => [p.policyNumber, p]));

  const newPolicies: LocalPolicy[] = [];
  const isNew = new Set<string>();
  const newLinks: { localId: string; externalId: string }[] = [];
  const entry: Entry = (action, externalId, localId, message) =>
    log.push({
      agency_id: agencyId,
      system,
      direction: 'inbound',
      entity: 'policy',
      local_id: localId,
      external_id: externalId,
      action,
      message: message ?? null,
    });

  for (const { item, customerId } of incoming) {
    const linkedId = linked.get(item.externalId);
    if (linkedId) {
      const local = locals.get(linkedId);
      if (local) await updatePolicy(tx, agencyId, local, item, entry);
      continue;
    }
    const found = byNumber.get(item.policyNumber);
    if (found) {
      // A policy number names one policy of the agency: never move it to another customer or
      // give it a second record of the same system.
      if (found.customerId !== customerId || found.systems.has(system)) {
        entry('conflict', item.externalId, found.id, `policy ${item.policyNumber} belongs to another record`);
        continue;
      }
      found.systems.add(system);
      newLinks.push({ localId: found.id, externalId: item.externalId });
      entry('linked', item.externalId, found.id, 'matched by policy number');
      if (!isNew.has(found.id)) await updatePolicy(tx, agencyId, found, item, entry);
      continue;
    }
    const terms = newPolicyTerms(item, today);
    if ('invalid' in terms) {
      entry('invalid', item.externalId, null, terms.invalid);
      continue;
    }
    const created: LocalPolicy = {
      id: randomUUID(),
      customerId,
      policyNumber: item.policyNumber,
      ...terms,
      systems: new Set([system]),
    };
    newPolicies.push(created);
    isNew.add(created.id);
    byNumber.set(created.policyNumber, created);
    newLinks.push({ localId: created.id, externalId: item.externalId });
    entry('created', item.externalId, created.id);
  }

  await insertChunks(newPolicies, (chunk) =>
    tx
      .insertInto('policies')
      .values(
        chunk.map((p) => ({
          id: p.id,
          agency_id: agencyId,
          customer_id: p.customerId,
          policy_number: p.policyNumber,
          line_of_business: p.lineOfBusiness,
          effective_date: p.effectiveDate,
          expiration_date: p.expirationDate,
          premium_cents: p.premiumCents,
          status: policyDefaults.status,
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
          entity: 'policy' as const,
          local_id: l.localId,
          system,
          external_id: l.externalId,
        })),
      )
      .execute(),
  );
}

async function updatePolicy(
  tx: Tx,
  agencyId: string,
  local: LocalPolicy,
  item: ExternalPolicy,
  entry: Entry,
): Promise<void> {
  const update = policyUpdate(local, item);
  if (update.kind === 'unchanged') return;
  if (update.kind === 'invalid') {
    entry('invalid', item.externalId, local.id, update.message);
    return;
  }
  const { next } = update;
  await tx
    .updateTable('policies')
    .set({
      line_of_business: next.lineOfBusiness,
      effective_date: next.effectiveDate,
      expiration_date: next.expirationDate,
      premium_cents: next.premiumCents,
      updated_at: new Date(),
    })
    .where('agency_id', '=', agencyId)
    .where('id', '=', local.id)
    .execute();
  Object.assign(local, next);
  entry('updated', item.externalId, local.id);
}
