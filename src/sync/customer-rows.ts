import { sql } from 'kysely';
import type { Tx } from '../platform/db/transaction.ts';
import { inChunks, SYNC_CHUNK } from './rules/chunks.ts';
import { type LinkRow, type LocalCustomer, serializeRecord } from './rules/customer-index.ts';
import { type ExternalRecord, normalizedName, type SyncSystem } from './rules/records.ts';
import { customerColumns, customerFields, reserveCustomerNumbers } from './state.ts';

// The reads and writes of customers, their links and reviews that applying a page of external
// customer records needs, each batched over the page, in the caller's transaction.

const linkColumns = [
  'local_id',
  'system',
  'external_id',
  'ams_customer_number',
  'external_version',
  'content_hash',
] as const;

/** The links of `system` the page's records already have. */
export async function readCustomerLinks(
  tx: Tx,
  agencyId: string,
  system: SyncSystem,
  externalIds: string[],
): Promise<LinkRow[]> {
  return inChunks(externalIds, (ids) =>
    tx
      .selectFrom('sync_links')
      .select(linkColumns)
      .where('agency_id', '=', agencyId)
      .where('entity', '=', 'customer')
      .where('system', '=', system)
      .where('external_id', 'in', ids)
      .execute(),
  );
}

/**
 * Match facts for unlinked records: the customers carrying their AMS numbers, those with their
 * names (ids only, loaded with `loadLocals`), and which of the records staff rejected in review.
 */
export async function readMatchFacts(
  tx: Tx,
  agencyId: string,
  system: SyncSystem,
  unlinked: ExternalRecord[],
): Promise<{ byNumberIds: string[]; byNameIds: string[]; rejected: Set<string> }> {
  const numbers = [...new Set(unlinked.map((r) => r.amsCustomerNumber).filter((n): n is string => n !== null))];
  const numberLinks = await inChunks(numbers, (chunk) =>
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
  const nameRows = await inChunks(names, async (chunk) => {
    const result = await sql<{ id: string }>`
      SELECT c.id FROM unnest(${chunk}::text[]) AS k(key)
      CROSS JOIN LATERAL (
        SELECT id FROM customers
        WHERE agency_id = ${agencyId} AND lower(regexp_replace(name, '[^a-zA-Z0-9]+', '', 'g')) = k.key
        LIMIT 50
      ) AS c`.execute(tx);
    return result.rows;
  });
  const reviews = await inChunks(
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
  return {
    byNumberIds: numberLinks.map((l) => l.local_id),
    byNameIds: nameRows.map((r) => r.id),
    rejected: new Set(reviews.filter((r) => r.status === 'rejected').map((r) => r.external_id)),
  };
}

/** The customers with these ids and all their links, in two queries. */
export async function loadLocals(tx: Tx, agencyId: string, ids: string[]): Promise<Map<string, LocalCustomer>> {
  const rows = await inChunks(ids, (chunk) =>
    tx
      .selectFrom('customers')
      .select(['id', 'type', 'name', 'email', 'phone', 'address'])
      .where('agency_id', '=', agencyId)
      .where('id', 'in', chunk)
      .execute(),
  );
  const links = await inChunks(ids, (chunk) =>
    tx
      .selectFrom('sync_links')
      .select(linkColumns)
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

/** Inserts the page's new customers under freshly reserved numbers; their ids in the same order. */
export async function insertCustomers(tx: Tx, agencyId: string, customers: LocalCustomer[]): Promise<string[]> {
  if (customers.length === 0) return [];
  const numbers = await reserveCustomerNumbers(tx, agencyId, customers.length);
  const ids: string[] = [];
  for (let start = 0; start < customers.length; start += SYNC_CHUNK) {
    const chunk = customers.slice(start, start + SYNC_CHUNK);
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

/** Opens a review per record (an open one takes the newer record and candidates). */
export async function saveReviews(
  tx: Tx,
  agencyId: string,
  system: SyncSystem,
  reviews: { record: ExternalRecord; candidateIds: string[]; reason: string }[],
): Promise<void> {
  for (const row of reviews) {
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
}
