import { type Insertable, sql } from 'kysely';
import { isUuid } from '../kernel/ids.ts';
import type { SyncLogTable, SyncOutboxTable } from '../platform/db/schema.ts';
import type { Tx } from '../platform/db/transaction.ts';
import { applyContactsAndPolicies } from './children.ts';
import { insertCustomers, loadLocals, readCustomerLinks, readMatchFacts, saveReviews } from './customer-rows.ts';
import { pushFieldsJson, queuePushes } from './outbox/queue.ts';
import type { AppliedAccount } from './rules/account-children.ts';
import { insertChunks } from './rules/chunks.ts';
import {
  CustomerCandidates,
  isProvisional,
  type LinkRow,
  type LocalCustomer,
  latestPerId,
  provisionalId,
  resolveProvisional,
} from './rules/customer-index.ts';
import { type ApplyFigures, emptyFigures } from './rules/figures.ts';
import { decideMatch } from './rules/matching.ts';
import { type AccountField, contentHash, type ExternalRecord, type SyncSystem } from './rules/records.ts';
import { acceptedFields, changedFields, fieldsForPush, pushTargets, type SyncRules } from './rules/rules.ts';
import { customerColumns } from './state.ts';

/**
 * Applies external customer records from one system (a webhook's one, or a daily-sync page) in
 * the caller's transaction, which must hold the agency's sync lock. Reads are batched: the page's
 * links, the customers they point at, and the match candidates are each one query; new customers
 * and links are inserted in bulk; an unchanged record (same content hash) writes nothing.
 */
export async function applyExternalCustomers(
  tx: Tx,
  agencyId: string,
  system: SyncSystem,
  incoming: ExternalRecord[],
  rules: SyncRules,
  options: { openingAr?: boolean } = {},
): Promise<ApplyFigures> {
  const figures = emptyFigures();
  figures.received = incoming.length;
  const records = latestPerId(incoming);
  const log: Insertable<SyncLogTable>[] = [];
  const outbox: Insertable<SyncOutboxTable>[] = [];
  const entry = (action: string, record: ExternalRecord, localId: string | null, message?: string) =>
    log.push({
      agency_id: agencyId,
      system,
      direction: 'inbound',
      entity: 'customer',
      local_id: localId,
      external_id: record.externalId,
      action,
      message: message ?? null,
    });

  const existingLinks = await readCustomerLinks(tx, agencyId, system, [...records.keys()]);
  const linkByExternal = new Map(existingLinks.map((link) => [link.external_id, link]));
  const unlinked = [...records.values()].filter((r) => !linkByExternal.has(r.externalId));
  const { byNumberIds, byNameIds, rejected } = await readMatchFacts(tx, agencyId, system, unlinked);

  // Every local customer this page may touch, with all its links, in two queries.
  const references = unlinked.map((r) => r.localReference).filter((id): id is string => id !== null && isUuid(id));
  const customerIds = [
    ...new Set([
      ...references,
      // Linked records whose content is unchanged need nothing loaded (a re-read day costs reads only).
      ...existingLinks
        .filter((l) => {
          const record = records.get(l.external_id);
          return record !== undefined && l.content_hash !== contentHash(record);
        })
        .map((l) => l.local_id),
      ...byNumberIds,
      ...byNameIds,
    ]),
  ];
  const locals = await loadLocals(tx, agencyId, customerIds);
  const candidates = new CustomerCandidates(locals);

  const newCustomers: { record: ExternalRecord; key: string }[] = [];
  const newLinks: { record: ExternalRecord; localId: string | null; newIndex?: number }[] = [];
  const reviewRows: { record: ExternalRecord; candidateIds: string[]; reason: string }[] = [];
  // Records applied to a customer (created, linked or changed): their contacts and policies follow.
  const applied: AppliedAccount[] = [];

  for (const record of records.values()) {
    const link = linkByExternal.get(record.externalId) ?? null;
    if (!link && rejected.has(record.externalId)) {
      figures.rejected++;
      continue;
    }
    const decision = decideMatch(system, record, {
      linkedCustomerId: link?.local_id ?? null,
      ...candidates.factsFor(record),
    });
    const hash = contentHash(record);

    if (decision.kind === 'linked' && link) {
      if (link.external_version !== null && record.version !== null && record.version < BigInt(link.external_version)) {
        figures.stale++;
        continue;
      }
      if (link.content_hash === hash) {
        figures.unchanged++;
        // Remember a newer version even when nothing changed, so an older delivery stays stale.
        if (
          record.version !== null &&
          (link.external_version === null || record.version > BigInt(link.external_version))
        ) {
          await tx
            .updateTable('sync_links')
            .set({ external_version: record.version })
            .where('agency_id', '=', agencyId)
            .where('system', '=', system)
            .where('entity', '=', 'customer')
            .where('external_id', '=', record.externalId)
            .execute();
        }
        continue;
      }
      const local = locals.get(link.local_id) as LocalCustomer;
      await applyFields(tx, agencyId, system, local, record, rules, outbox);
      await tx
        .updateTable('sync_links')
        .set({
          content_hash: hash,
          external_version: record.version,
          ams_customer_number: record.amsCustomerNumber,
          status: 'synced',
          last_error: null,
          synced_at: sql`now()`,
        })
        .where('agency_id', '=', agencyId)
        .where('system', '=', system)
        .where('entity', '=', 'customer')
        .where('external_id', '=', record.externalId)
        .execute();
      figures.updated++;
      entry('updated', record, local.id);
      applied.push({ record, customerId: local.id });
      continue;
    }
    if (decision.kind === 'matched') {
      const local = locals.get(decision.customerId) as LocalCustomer;
      // The link first: the rules for fields depend on which systems know this customer.
      const added: LinkRow = {
        local_id: local.id,
        system,
        external_id: record.externalId,
        ams_customer_number: record.amsCustomerNumber,
        external_version: record.version,
        content_hash: hash,
      };
      local.links.push(added);
      candidates.add(local);
      await applyFields(tx, agencyId, system, local, record, rules, outbox);
      newLinks.push({ record, localId: local.id });
      applied.push({ record, customerId: local.id });
      figures.linked++;
      entry('linked', record, local.id, `matched by ${decision.by.replaceAll('_', ' ')}`);
      continue;
    }
    if (decision.kind === 'review') {
      reviewRows.push({ record, candidateIds: decision.candidateIds, reason: decision.reason });
      figures.review++;
      entry('review', record, null, decision.reason);
      continue;
    }
    if (!record.fields.name) {
      figures.invalid++;
      entry('invalid', record, null, 'the record has no name');
      continue;
    }
    // New: later records of this page may match it (same AMS number from another system).
    const provisional = provisionalId(newCustomers.length);
    locals.set(provisional, {
      id: provisional,
      fields: { ...record.fields },
      links: [
        {
          local_id: provisional,
          system,
          external_id: record.externalId,
          ams_customer_number: record.amsCustomerNumber,
          external_version: null,
          content_hash: hash,
        },
      ],
    });
    candidates.add(locals.get(provisional) as LocalCustomer);
    newLinks.push({ record, localId: null, newIndex: newCustomers.length });
    newCustomers.push({ record, key: provisional });
    applied.push({ record, customerId: provisional });
    figures.created++;
  }

  // Provisional customers matched by a later record of the same page got links to them: resolve.
  const createdIds = await insertCustomers(
    tx,
    agencyId,
    newCustomers.map((n) => locals.get(n.key) as LocalCustomer),
  );
  for (const [i, created] of newCustomers.entries()) {
    entry('created', created.record, createdIds[i] as string);
  }
  const resolve = (id: string) => resolveProvisional(id, createdIds);
  for (const item of outbox) item.local_id = resolve(item.local_id as string);
  for (const item of log) if (item.local_id) item.local_id = resolve(item.local_id);
  for (const item of applied) item.customerId = resolve(item.customerId);

  await insertChunks(
    newLinks.map(({ record, localId, newIndex }) => ({
      agency_id: agencyId,
      entity: 'customer' as const,
      local_id: localId === null ? (createdIds[newIndex as number] as string) : resolve(localId),
      system,
      external_id: record.externalId,
      ams_customer_number: record.amsCustomerNumber,
      external_version: record.version,
      content_hash: contentHash(record),
    })),
    (rows) => tx.insertInto('sync_links').values(rows).execute(),
  );
  await applyContactsAndPolicies(
    tx,
    agencyId,
    system,
    applied,
    rules,
    log,
    new Date().toISOString().slice(0, 10),
    options.openingAr ?? false,
  );
  await saveReviews(tx, agencyId, system, reviewRows);
  await insertChunks(outbox, (rows) => queuePushes(tx, rows));
  await insertChunks(log, (rows) => tx.insertInto('sync_log').values(rows).execute());
  return figures;
}

/** Applies the fields the rules let `system` set, and queues pushes of them where they flow. */
async function applyFields(
  tx: Tx,
  agencyId: string,
  system: SyncSystem,
  local: LocalCustomer,
  record: ExternalRecord,
  rules: SyncRules,
  outbox: Insertable<SyncOutboxTable>[],
): Promise<void> {
  const linked = new Set(local.links.map((l) => l.system));
  const changes = changedFields(local.fields, record.fields, acceptedFields(rules, system, linked));
  if (Object.keys(changes).length === 0) return;
  if (!isProvisional(local.id)) {
    await tx
      .updateTable('customers')
      .set(customerColumns(changes, local.fields))
      .where('agency_id', '=', agencyId)
      .where('id', '=', local.id)
      .execute();
  }
  local.fields = { ...local.fields, ...changes };
  // Only what changed and what `system` owns travels on: the target keeps its own edits of the rest.
  const fields = pushFieldsJson(Object.keys(fieldsForPush(rules, system, changes)) as AccountField[]);
  for (const target of pushTargets(rules, system, changes, linked)) {
    outbox.push({
      agency_id: agencyId,
      system: target,
      entity: 'customer',
      local_id: local.id,
      operation: 'update',
      fields,
    });
  }
}
