import { findCustomer } from '../customers/customers.ts';
import type { Actor } from '../kernel/actor.ts';
import { DomainError, notFound } from '../kernel/errors.ts';
import { isUuid } from '../kernel/ids.ts';
import { audit } from '../platform/db/audit.ts';
import { type Db, inTransaction, type Tx } from '../platform/db/transaction.ts';
import { applyExternalCustomers } from './apply.ts';
import { lockAgencySync } from './outbox/sync-settings.ts';
import type { ExternalRecord, SyncSystem } from './rules/records.ts';
import { customerColumns, reserveCustomerNumbers } from './state.ts';

export interface ReviewView {
  id: string;
  system: SyncSystem;
  externalId: string;
  record: Record<string, unknown>;
  reason: string;
  candidates: { customerNumber: number; name: string }[];
  status: 'open' | 'accepted' | 'merged' | 'rejected';
  customerNumber: number | null;
  createdAt: Date;
  resolvedAt: Date | null;
  resolvedBy: string | null;
}

export async function listReviews(
  db: Db,
  actor: Actor,
  options: { status?: ReviewView['status'] | undefined; id?: string; limit: number },
): Promise<ReviewView[]> {
  let query = db.selectFrom('sync_reviews').selectAll().where('agency_id', '=', actor.agencyId);
  query = options.id ? query.where('id', '=', options.id) : query.where('status', '=', options.status ?? 'open');
  const rows = await query.orderBy('created_at').limit(options.limit).execute();
  const ids = [
    ...new Set(rows.flatMap((r) => [...r.candidate_ids, ...(r.resolved_customer_id ? [r.resolved_customer_id] : [])])),
  ];
  const customers = ids.length
    ? await db
        .selectFrom('customers')
        .select(['id', 'customer_number', 'name'])
        .where('agency_id', '=', actor.agencyId)
        .where('id', 'in', ids)
        .execute()
    : [];
  const byId = new Map(customers.map((c) => [c.id, c]));
  return rows.map((row) => ({
    id: row.id,
    system: row.system,
    externalId: row.external_id,
    record: row.record as Record<string, unknown>,
    reason: row.reason,
    candidates: row.candidate_ids
      .map((id) => byId.get(id))
      .filter((c) => c !== undefined)
      .map((c) => ({ customerNumber: c.customer_number, name: c.name })),
    status: row.status,
    customerNumber: row.resolved_customer_id ? (byId.get(row.resolved_customer_id)?.customer_number ?? null) : null,
    createdAt: row.created_at,
    resolvedAt: row.resolved_at,
    resolvedBy: row.resolved_by,
  }));
}

export type ReviewDecision = { action: 'accept' } | { action: 'merge'; customerNumber: number } | { action: 'reject' };

/**
 * Resolves an open review: `accept` makes the record a new customer, `merge` links it to an
 * existing one (whose fields then follow the rules), `reject` leaves it unlinked for good.
 */
export async function resolveReview(
  db: Db | Tx,
  actor: Actor,
  reviewId: string,
  decision: ReviewDecision,
): Promise<ReviewView> {
  if (!isUuid(reviewId)) throw notFound('review', reviewId);
  await inTransaction(db, async (tx) => {
    const rules = await lockAgencySync(tx, actor.agencyId);
    const review = await tx
      .selectFrom('sync_reviews')
      .selectAll()
      .where('agency_id', '=', actor.agencyId)
      .where('id', '=', reviewId)
      .executeTakeFirst();
    if (!review) throw notFound('review', reviewId);
    if (review.status !== 'open') {
      throw new DomainError('conflict', `review ${reviewId} is already ${review.status}`);
    }
    const stored = review.record as Record<string, unknown> & { version: string | null };
    const record: ExternalRecord = {
      externalId: review.external_id,
      version: stored.version === null ? null : BigInt(stored.version),
      amsCustomerNumber: (stored.amsCustomerNumber as string | null) ?? null,
      localReference: null,
      fields: (stored.fields as ExternalRecord['fields']) ?? {},
    };
    // Contacts and policies came with the record: they follow it once it is accepted or merged.
    if (Array.isArray(stored.contacts)) record.contacts = stored.contacts as ExternalRecord['contacts'];
    if (Array.isArray(stored.policies)) record.policies = stored.policies as ExternalRecord['policies'];
    let customerId: string | null = null;
    if (decision.action === 'accept') {
      const [number] = await reserveCustomerNumbers(tx, actor.agencyId, 1);
      const columns = customerColumns(record.fields);
      const created = await tx
        .insertInto('customers')
        .values({
          agency_id: actor.agencyId,
          customer_number: number!,
          type: columns.type ?? 'individual',
          name: columns.name ?? review.external_id,
          email: columns.email ?? null,
          phone: columns.phone ?? null,
          address: columns.address ?? null,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      customerId = created.id;
    } else if (decision.action === 'merge') {
      const customer = await findCustomer(tx, actor.agencyId, decision.customerNumber);
      const taken = await tx
        .selectFrom('sync_links')
        .select('external_id')
        .where('agency_id', '=', actor.agencyId)
        .where('system', '=', review.system)
        .where('entity', '=', 'customer')
        .where('local_id', '=', customer.id)
        .executeTakeFirst();
      if (taken) {
        throw new DomainError(
          'conflict',
          `customer ${decision.customerNumber} is already linked to ${review.system} record ${taken.external_id}`,
          {
            errors: [{ path: 'customerNumber', message: `already linked to ${review.system}` }],
          },
        );
      }
      customerId = customer.id;
    }
    if (customerId) {
      // Link with no hash, then apply the record through the one path: fields follow the rules.
      await tx
        .insertInto('sync_links')
        .values({
          agency_id: actor.agencyId,
          entity: 'customer',
          local_id: customerId,
          system: review.system,
          external_id: review.external_id,
          ams_customer_number: record.amsCustomerNumber,
          external_version: null,
          content_hash: null,
        })
        .execute();
      await applyExternalCustomers(tx, actor.agencyId, review.system, [record], rules);
    }
    await tx
      .updateTable('sync_reviews')
      .set({
        status: decision.action === 'accept' ? 'accepted' : decision.action === 'merge' ? 'merged' : 'rejected',
        resolved_customer_id: customerId,
        resolved_by: actor.label,
        resolved_at: new Date(),
      })
      .where('id', '=', reviewId)
      .execute();
    await audit(tx, actor, `sync.review_${decision.action}`, { type: 'sync_review', id: reviewId }, {});
  });
  const [view] = (await listReviews(db as Db, actor, { id: reviewId, limit: 1 })) as [ReviewView];
  return view;
}
