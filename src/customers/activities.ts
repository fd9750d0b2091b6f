import { sql } from 'kysely';
import type { Actor } from '../kernel/actor.ts';
import type { Db } from '../platform/db/transaction.ts';
import { findCustomer } from './customers.ts';
import { activityWords, actorName, labelledEmails } from './rules/activity-words.ts';

export interface ActivityView {
  id: string;
  kind: string;
  summary: string;
  actor: string;
  /** The actor as people know them: a user's or contact's name, "API key …", "autopay". */
  actorName: string;
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
  const namesByEmail = await namesOf(
    db,
    actor.agencyId,
    customer.id,
    rows.flatMap((r) => [...labelledEmails(r.actor), ...labelledEmails(r.summary)]),
  );
  return rows.map((r) => ({
    id: String(r.id),
    kind: r.kind,
    summary: activityWords(r.summary, namesByEmail),
    actor: r.actor,
    actorName: actorName(r.actor, namesByEmail),
    data: r.data ?? {},
    createdAt: r.created_at,
  }));
}

/** Display names by lower-cased e-mail: the agency's users, then the customer's contacts (clients). */
async function namesOf(db: Db, agencyId: string, customerId: string, emails: string[]): Promise<Map<string, string>> {
  const wanted = [...new Set(emails)];
  const names = new Map<string, string>();
  if (wanted.length === 0) return names;
  const contacts = await db
    .selectFrom('contacts')
    .select(['email', 'name'])
    .where('agency_id', '=', agencyId)
    .where('customer_id', '=', customerId)
    .where(sql<string>`lower(email)`, 'in', wanted)
    .execute();
  for (const c of contacts) if (c.email) names.set(c.email.toLowerCase(), c.name);
  const users = await db
    .selectFrom('users')
    .select(['email', 'name'])
    .where('agency_id', '=', agencyId)
    .where(sql<string>`lower(email)`, 'in', wanted)
    .execute();
  for (const u of users) names.set(u.email.toLowerCase(), u.name);
  return names;
}
