import { findCustomer } from '../customers/customers.ts';
import type { Actor } from '../kernel/actor.ts';
import type { Db } from '../platform/db/transaction.ts';
import type { SyncSystem } from './rules/records.ts';

const badgeLabels: Record<SyncSystem, string> = {
  ams: 'AMS synced',
  benefits: 'Benefits synced',
  crm: 'CRM synced',
};

interface SyncBadge {
  system: SyncSystem;
  label: string;
  externalId: string;
  amsCustomerNumber: string | null;
  status: 'synced' | 'pending' | 'error';
  syncedAt: Date;
  lastError: string | null;
}

export interface CustomerSyncView {
  customerNumber: number;
  badges: SyncBadge[];
  /** Systems a push is queued for (created there, or an edit on its way). */
  pending: SyncSystem[];
  /** The customer's synced contacts and policies, each with its ids in the external systems. */
  contacts: { id: string; name: string; email: string | null; links: ChildLink[] }[];
  policies: { id: string; policyNumber: string; links: ChildLink[] }[];
}

interface ChildLink {
  system: SyncSystem;
  externalId: string;
}

/** A customer's external ids and per-system sync status: what the console shows as badges. */
export async function getCustomerSync(db: Db, actor: Actor, customerNumber: number): Promise<CustomerSyncView> {
  const customer = await findCustomer(db, actor.agencyId, customerNumber);
  const links = await db
    .selectFrom('sync_links')
    .selectAll()
    .where('agency_id', '=', actor.agencyId)
    .where('entity', '=', 'customer')
    .where('local_id', '=', customer.id)
    .orderBy('system')
    .execute();
  const pending = await db
    .selectFrom('sync_outbox')
    .select('system')
    .where('agency_id', '=', actor.agencyId)
    .where('entity', '=', 'customer')
    .where('local_id', '=', customer.id)
    .where('done_at', 'is', null)
    .orderBy('system')
    .execute();
  const contactLinks = await db
    .selectFrom('sync_links')
    .innerJoin('contacts', (join) =>
      join.onRef('contacts.id', '=', 'sync_links.local_id').onRef('contacts.agency_id', '=', 'sync_links.agency_id'),
    )
    .select(['contacts.id', 'contacts.name', 'contacts.email', 'sync_links.system', 'sync_links.external_id'])
    .where('sync_links.agency_id', '=', actor.agencyId)
    .where('sync_links.entity', '=', 'contact')
    .where('contacts.customer_id', '=', customer.id)
    .orderBy('contacts.name')
    .orderBy('contacts.id')
    .orderBy('sync_links.system')
    .execute();
  const policyLinks = await db
    .selectFrom('sync_links')
    .innerJoin('policies', (join) =>
      join.onRef('policies.id', '=', 'sync_links.local_id').onRef('policies.agency_id', '=', 'sync_links.agency_id'),
    )
    .select(['policies.id', 'policies.policy_number', 'sync_links.system', 'sync_links.external_id'])
    .where('sync_links.agency_id', '=', actor.agencyId)
    .where('sync_links.entity', '=', 'policy')
    .where('policies.customer_id', '=', customer.id)
    .orderBy('policies.policy_number')
    .orderBy('sync_links.system')
    .execute();
  const contacts = new Map<string, CustomerSyncView['contacts'][number]>();
  for (const row of contactLinks) {
    const contact = contacts.get(row.id) ?? { id: row.id, name: row.name, email: row.email, links: [] };
    contact.links.push({ system: row.system, externalId: row.external_id });
    contacts.set(row.id, contact);
  }
  const policies = new Map<string, CustomerSyncView['policies'][number]>();
  for (const row of policyLinks) {
    const policy = policies.get(row.id) ?? { id: row.id, policyNumber: row.policy_number, links: [] };
    policy.links.push({ system: row.system, externalId: row.external_id });
    policies.set(row.id, policy);
  }
  return {
    customerNumber,
    contacts: [...contacts.values()],
    policies: [...policies.values()],
    badges: links.map((link) => ({
      system: link.system,
      label: badgeLabels[link.system],
      externalId: link.external_id,
      amsCustomerNumber: link.ams_customer_number,
      status: link.status,
      syncedAt: link.synced_at,
      lastError: link.last_error,
    })),
    pending: pending.map((p) => p.system),
  };
}

export interface SyncLogEntry {
  id: number;
  system: string;
  direction: 'inbound' | 'outbound';
  entity: string;
  customerNumber: number | null;
  externalId: string | null;
  action: string;
  message: string | null;
  at: Date;
}

/** The sync log, newest first, in keyset pages (`before` is the last id of the previous page). */
export async function listSyncLog(
  db: Db,
  actor: Actor,
  options: { system?: SyncSystem | undefined; before?: number | undefined; limit: number },
): Promise<SyncLogEntry[]> {
  let query = db
    .selectFrom('sync_log')
    .leftJoin('customers', (join) =>
      join.onRef('customers.id', '=', 'sync_log.local_id').onRef('customers.agency_id', '=', 'sync_log.agency_id'),
    )
    .select([
      'sync_log.id',
      'sync_log.system',
      'sync_log.direction',
      'sync_log.entity',
      'customers.customer_number',
      'sync_log.external_id',
      'sync_log.action',
      'sync_log.message',
      'sync_log.at',
    ])
    .where('sync_log.agency_id', '=', actor.agencyId);
  if (options.system) query = query.where('sync_log.system', '=', options.system);
  if (options.before !== undefined) query = query.where('sync_log.id', '<', BigInt(options.before));
  const rows = await query.orderBy('sync_log.id', 'desc').limit(options.limit).execute();
  return rows.map((row) => ({
    id: Number(row.id),
    system: row.system,
    direction: row.direction,
    entity: row.entity,
    customerNumber: row.customer_number,
    externalId: row.external_id,
    action: row.action,
    message: row.message,
    at: row.at,
  }));
}
