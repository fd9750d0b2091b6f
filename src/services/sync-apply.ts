import { type Insertable, sql } from 'kysely';
import type { SyncLogTable, SyncOutboxTable } from '../db/schema.ts';
import { isUuid } from '../domain/ids.ts';
import { decideMatch, type MatchCandidate } from '../domain/sync-matching.ts';
import {
  type AccountField,
  type AccountFields,
  contentHash,
  type ExternalRecord,
  normalizedName,
  type SyncSystem,
} from '../domain/sync-records.ts';
import { acceptedFields, changedFields, fieldsForPush, pushTargets, type SyncRules } from '../domain/sync-rules.ts';
import { type AppliedAccount, applyContactsAndPolicies } from './sync-children.ts';
import { pushFieldsJson, queuePushes } from './sync-push.ts';
import { customerColumns, customerFields, reserveCustomerNumbers } from './sync-state.ts';
import type { Tx } from './transaction.ts';

export interface ApplyFigures {
  received: number;
  created: number;
  linked: number;
  updated: number;
  unchanged: number;
  stale: number;
  review: number;
  rejected: number;
  invalid: number;
}

export function emptyFigures(): ApplyFigures {
  return { received: 0, created: 0, linked: 0, updated: 0, unchanged: 0, stale: 0, review: 0, rejected: 0, invalid: 0 };
}

export function addFigures(total: ApplyFigures, more: ApplyFigures): void {
  for (const key of Object.keys(emptyFigures()) as (keyof ApplyFigures)[]) total[key] += more[key];
}

const CHUNK = 1000;

interface LinkRow {
  local_id: string;
  system: SyncSystem;
  external_id: string;
  ams_customer_number: string | null;
  external_version: bigint | null;
  content_hash: string | null;
}

interface LocalCustomer {
  id: string;
  fields: AccountFields;
  links: LinkRow[];
}

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

  const existingLinks = await selectInChunks([...records.keys()], (ids) =>
    tx
      .selectFrom('sync_links')
      .select(['local_id', 'system', 'external_id', 'ams_customer_number', 'external_version', 'content_hash'])
      .where('agency_id', '=', agencyId)
      .where('entity', '=', 'customer')
      .where('system', '=', system)
      .where('external_id', 'in', ids)
      .execute(),
  );
  const linkByExternal = new Map(existingLinks.map((link) => [link.external_id, link]));
  const unlinked = [...records.values()].filter((r) => !linkByExternal.has(r.externalId));

  // Match facts for unlinked records: customers carrying their AMS numbers, customers with their names.
  const numbers = [...new Set(unlinked.map((r) => r.amsCustomerNumber).filter((n): n is string => n !== null))];
  const numberLinks = await selectInChunks(numbers, (chunk) =>
    tx
      .selectFrom('sync_links')
      .select(['local_id', 'ams_customer_number'])
      .where('agency_id', '=', agencyId)
      .where('entity', '=', 'customer')
      .where('ams_customer_number', 'in', chunk)
      .execute(),
  );
  const names = [...new Set(unlinked.map((r) => normalizedName(r.fields.name)).filter((n) => n !== ''))];
  // One index probe per name. A plain `IN (…)` lets the planner pick a sequential scan that
  // evaluates the regexp on every customer (it does not know the expression is costly): O(n) per page.
  const nameRows = await selectInChunks(names, async (chunk) => {
    const result = await sql<{ id: string }>`
      SELECT c.id FROM unnest(${chunk}::text[]) AS k(key)
      CROSS JOIN LATERAL (
        SELECT id FROM customers
        WHERE agency_id = ${agencyId} AND lower(regexp_replace(name, '[^a-zA-Z0-9]+', '', 'g')) = k.key
        LIMIT 50
      ) AS c`.execute(tx);
    return result.rows;
  });
  const reviews = await selectInChunks(
    unlinked.map((r) => r.externalId),
    (chunk) =>
      tx
        .selectFrom('sync_reviews')
        .select(['external_id', 'status'])
        .where('agency_id', '=', agencyId)
        .where('system', '=', system)
        .where('entity', '=', 'customer')
        .where('status', 'in', ['open', 'rejected'])
        .where('external_id', 'in', chunk)
        .execute(),
  );
  const rejected = new Set(reviews.filter((r) => r.status === 'rejected').map((r) => r.external_id));

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
      ...numberLinks.map((l) => l.local_id),
      ...nameRows.map((r) => r.id),
    ]),
  ];
  const locals = await loadLocals(tx, agencyId, customerIds);

  const byNumber = new Map<string, Set<string>>();
  const byName = new Map<string, Set<string>>();
  const index = (customer: LocalCustomer) => {
    for (const link of customer.links) {
      if (link.ams_customer_number) addTo(byNumber, link.ams_customer_number, customer.id);
    }
    const key = normalizedName(customer.fields.name);
    if (key) addTo(byName, key, customer.id);
  };
  for (const customer of locals.values()) index(customer);
  const candidate = (id: string): MatchCandidate => {
    const local = locals.get(id) as LocalCustomer;
    return {
      customerId: id,
      email: local.fields.email ?? null,
      phone: local.fields.phone ?? null,
      postalCode: local.fields.postalCode ?? null,
      amsCustomerNumbers: local.links.map((l) => l.ams_customer_number).filter((n): n is string => n !== null),
      linkedSystems: local.links.map((l) => l.system),
    };
  };

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
      byLocalReference:
        record.localReference && locals.has(record.localReference) ? candidate(record.localReference) : null,
      byAmsNumber: record.amsCustomerNumber
        ? [...(byNumber.get(record.amsCustomerNumber) ?? [])].filter((id) => locals.has(id)).map(candidate)
        : [],
      byName: [...(byName.get(normalizedName(record.fields.name)) ?? [])].filter((id) => locals.has(id)).map(candidate),
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
      index(local);
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
    const provisional = `new:${newCustomers.length}`;
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
    index(locals.get(provisional) as LocalCustomer);
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
  const resolve = (id: string) => (id.startsWith('new:') ? (createdIds[Number(id.slice(4))] as string) : id);
  for (const item of outbox) item.local_id = resolve(item.local_id as string);
  for (const item of log) if (item.local_id) item.local_id = resolve(item.local_id);
  for (const item of applied) item.customerId = resolve(item.customerId);

  await insertInChunks(
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
  await applyContactsAndPolicies(tx, agencyId, system, applied, rules, log, new Date().toISOString().slice(0, 10));
  for (const row of reviewRows) {
    await tx
      .insertInto('sync_reviews')
      .values({
        agency_id: agencyId,
        system,
        entity: 'customer',
        external_id: row.record.externalId,
        record: JSON.stringify(serializeRecord(row.record)),
        candidate_ids: row.candidateIds,
        reason: row.reason,
      })
      .onConflict((oc) =>
        oc
          .columns(['agency_id', 'system', 'entity', 'external_id'])
          // A literal, not a parameter: a plan that does not see the value cannot match the partial index.
          .where('status', '=', sql.lit('open'))
          .doUpdateSet({ record: JSON.stringify(serializeRecord(row.record)), candidate_ids: row.candidateIds }),
      )
      .execute();
  }
  await insertInChunks(outbox, (rows) => queuePushes(tx, rows));
  await insertInChunks(log, (rows) => tx.insertInto('sync_log').values(rows).execute());
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
  if (!local.id.startsWith('new:')) {
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

async function insertCustomers(tx: Tx, agencyId: string, customers: LocalCustomer[]): Promise<string[]> {
  if (customers.length === 0) return [];
  const numbers = await reserveCustomerNumbers(tx, agencyId, customers.length);
  const ids: string[] = [];
  for (let start = 0; start < customers.length; start += CHUNK) {
    const chunk = customers.slice(start, start + CHUNK);
    const rows = await tx
      .insertInto('customers')
      .values(
        chunk.map((customer, i) => {
          const columns = customerColumns(customer.fields);
          return {
            agency_id: agencyId,
            customer_number: numbers[start + i]!,
            type: columns.type ?? 'individual',
            name: columns.name ?? '',
            email: columns.email ?? null,
            phone: columns.phone ?? null,
            address: columns.address ?? null,
          };
        }),
      )
      .returning(['id', 'customer_number'])
      .execute();
    const byNumber = new Map(rows.map((row) => [row.customer_number, row.id]));
    for (let i = 0; i < chunk.length; i++) ids.push(byNumber.get(numbers[start + i]!) as string);
  }
  return ids;
}

async function loadLocals(tx: Tx, agencyId: string, ids: string[]): Promise<Map<string, LocalCustomer>> {
  const rows = await selectInChunks(ids, (chunk) =>
    tx
      .selectFrom('customers')
      .select(['id', 'type', 'name', 'email', 'phone', 'address'])
      .where('agency_id', '=', agencyId)
      .where('id', 'in', chunk)
      .execute(),
  );
  const links = await selectInChunks(ids, (chunk) =>
    tx
      .selectFrom('sync_links')
      .select(['local_id', 'system', 'external_id', 'ams_customer_number', 'external_version', 'content_hash'])
      .where('agency_id', '=', agencyId)
      .where('entity', '=', 'customer')
      .where('local_id', 'in', chunk)
      .execute(),
  );
  const locals = new Map<string, LocalCustomer>(
    rows.map((row) => [row.id, { id: row.id, fields: customerFields(row), links: [] }]),
  );
  for (const link of links) locals.get(link.local_id)?.links.push(link);
  return locals;
}

/** The newest delivery of each external id (a page or a burst may carry one record twice). */
function latestPerId(records: ExternalRecord[]): Map<string, ExternalRecord> {
  const latest = new Map<string, ExternalRecord>();
  for (const record of records) {
    const seen = latest.get(record.externalId);
    if (!seen || seen.version === null || (record.version !== null && record.version >= seen.version)) {
      latest.set(record.externalId, record);
    }
  }
  return latest;
}

function serializeRecord(record: ExternalRecord): Record<string, unknown> {
  return { ...record, version: record.version === null ? null : String(record.version) };
}

function addTo(map: Map<string, Set<string>>, key: string, id: string): void {
  const set = map.get(key);
  if (set) set.add(id);
  else map.set(key, new Set([id]));
}

async function selectInChunks<T, R>(items: T[], query: (chunk: T[]) => Promise<R[]>): Promise<R[]> {
  const results: R[] = [];
  for (let start = 0; start < items.length; start += CHUNK) {
    results.push(...(await query(items.slice(start, start + CHUNK))));
  }
  return results;
}

async function insertInChunks<T>(rows: T[], insert: (chunk: T[]) => Promise<unknown>): Promise<void> {
  for (let start = 0; start < rows.length; start += CHUNK) await insert(rows.slice(start, start + CHUNK));
}
