import type { Actor } from './actor.ts';
import { findCustomer } from './customers.ts';
import type { Db } from './transaction.ts';

export interface ActivityView {
  id: string;
  kind: string;
  summary: string;
  actor: string;
  data: Record<string, unknown>;
  createdAt: Date;
}

/** A customer's activities, newest first. */
export async function listActivities(
  db: Db,
  actor: Actor,
  customerNumber: number,
  limit: number,
): Promise<ActivityView[]> {
  const customer = await findCustomer(db, actor.agencyId, customerNumber);
  const rows = await db
    .selectFrom('activities')
    .select(['id', 'kind', 'summary', 'actor', 'data', 'created_at'])
    .where('agency_id', '=', actor.agencyId)
    .where('customer_id', '=', customer.id)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    id: String(r.id),
    kind: r.kind,
    summary: r.summary,
    actor: r.actor,
    data: r.data ?? {},
    createdAt: r.created_at,
  }));
}
