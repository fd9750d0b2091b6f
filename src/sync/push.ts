import { type Insertable, sql } from 'kysely';
import { findCustomer } from '../customers/customers.ts';
import type { Actor } from '../kernel/actor.ts';
import { DomainError } from '../kernel/errors.ts';
import type { SyncLogTable } from '../platform/db/schema.ts';
import { type Db, inTransaction, type Tx } from '../platform/db/transaction.ts';
import { applyContactsAndPolicies } from './children.ts';
import { loadConnector } from './connectors.ts';
import { queuePushes } from './outbox/queue.ts';
import { lockAgencySync } from './outbox/sync-settings.ts';
import { type AccountFields, type ContactFields, contentHash, type SyncSystem } from './rules/records.ts';
import { customerFields } from './state.ts';

export interface PushRequestView {
  customerNumber: number;
  queued: SyncSystem[];
  alreadyLinked: SyncSystem[];
}

/**
 * Queues a policypay customer for creation in external systems (the rules' `pushOnCreate` when
 * none are named). The push itself happens after commit (`pushPending`), never inside it.
 */
export async function requestCustomerPush(
  db: Db | Tx,
  actor: Actor,
  customerNumber: number,
  systems: SyncSystem[] | undefined,
): Promise<PushRequestView> {
  return inTransaction(db, async (tx) => {
    const rules = await lockAgencySync(tx, actor.agencyId);
    const customer = await findCustomer(tx, actor.agencyId, customerNumber);
    const targets = [...new Set(systems ?? rules.pushOnCreate)];
    const configured = await tx
      .selectFrom('sync_connectors')
      .select('system')
      .where('agency_id', '=', actor.agencyId)
      .where('enabled', '=', true)
      .execute();
    const missing = targets.filter((s) => !configured.some((c) => c.system === s));
    if (missing.length > 0) {
      throw new DomainError('unprocessable', `no ${missing.join(', ')} connector is configured`, {
        errors: [{ path: 'systems', message: `not configured: ${missing.join(', ')}` }],
      });
    }
    const links = await tx
      .selectFrom('sync_links')
      .select('system')
      .where('agency_id', '=', actor.agencyId)
      .where('entity', '=', 'customer')
      .where('local_id', '=', customer.id)
      .execute();
    const alreadyLinked = targets.filter((s) => links.some((l) => l.system === s));
    const queued = targets.filter((s) => !alreadyLinked.includes(s));
    await queuePushes(
      tx,
      queued.map((system) => ({
        agency_id: actor.agencyId,
        system,
        entity: 'customer' as const,
        local_id: customer.id,
        operation: 'create' as const,
      })),
    );
    return { customerNumber, queued, alreadyLinked };
  });
}

export interface PushFigures {
  pushed: number;
  failed: number;
}

const running = new Set<string>();
const again = new Set<string>();

/**
 * Sends the agency's queued pushes, oldest first, each HTTP call with no transaction open. A
 * create carries our customer id as the external reference, so a retry after a lost answer finds
 * the record instead of making a second one; updates send the whole current record, so repeating
 * one is harmless. Failures stay queued (the link shows `error`) for the next drain.
 */
export async function pushPending(db: Db, agencyId: string, options: { limit?: number } = {}): Promise<PushFigures> {
  const figures: PushFigures = { pushed: 0, failed: 0 };
  // One drain per agency per process at a time; a drain asked for meanwhile makes it go round
  // again, so a push queued while it ran is not left for the sweep. Another process repeating a
  // push is harmless (see above).
  if (running.has(agencyId)) {
    again.add(agencyId);
    return figures;
  }
  running.add(agencyId);
  try {
    do {
      again.delete(agencyId);
      const rows = await db
        .selectFrom('sync_outbox')
        .selectAll()
        .where('agency_id', '=', agencyId)
        .where('done_at', 'is', null)
        // The AMS first: a benefits create can then carry the AMS customer number.
        .orderBy('created_at')
        .orderBy('system')
        .limit(options.limit ?? 500)
        .execute();
      for (const row of rows) {
        if (await pushOne(db, row)) figures.pushed++;
        else figures.failed++;
      }
    } while (again.has(agencyId));
    return figures;
  } finally {
    running.delete(agencyId);
  }
}

async function pushOne(
  db: Db,
  row: {
    id: string;
    agency_id: string;
    system: SyncSystem;
    local_id: string;
    requests: number;
    fields: string[] | null;
  },
): Promise<boolean> {
  const agencyId = row.agency_id;
  const loaded = await loadConnector(db, agencyId, row.system);
  const customer = await db
    .selectFrom('customers')
    .selectAll()
    .where('agency_id', '=', agencyId)
    .where('id', '=', row.local_id)
    .executeTakeFirstOrThrow();
  const link = await db
    .selectFrom('sync_links')
    .select(['external_id'])
    .where('agency_id', '=', agencyId)
    .where('system', '=', row.system)
    .where('entity', '=', 'customer')
    .where('local_id', '=', row.local_id)
    .executeTakeFirst();
  const all = customerFields(customer);
  // A create sends everything; an update only what changed, so the system keeps its own edits of
  // the other fields.
  const only = link && row.fields ? new Set(row.fields) : null;
  const fields = only
    ? (Object.fromEntries(Object.entries(all).filter(([field]) => only.has(field))) as AccountFields)
    : all;
  const primary = await db
    .selectFrom('contacts')
    .select(['name', 'email', 'phone'])
    .where('agency_id', '=', agencyId)
    .where('customer_id', '=', row.local_id)
    .where('is_primary', '=', true)
    .executeTakeFirst();
  const contact: ContactFields | null = primary && (!only || only.has('contact')) ? primary : null;
  // The AMS's number travels with the record, so a benefits system keeps it (the first match key).
  const amsLink = await db
    .selectFrom('sync_links')
    .select('ams_customer_number')
    .where('agency_id', '=', agencyId)
    .where('entity', '=', 'customer')
    .where('local_id', '=', row.local_id)
    .where('ams_customer_number', 'is not', null)
    .orderBy('system')
    .executeTakeFirst();
  const amsNumber = amsLink?.ams_customer_number ?? null;
  const started = new Date();
  try {
    if (!loaded) throw new Error(`no ${row.system} connector is configured`);
    const record = link
      ? await loaded.connector.update('customer', link.external_id, fields, amsNumber, contact)
      : await loaded.connector.create('customer', fields, customer.id, amsNumber, contact);
    await db.transaction().execute(async (tx) => {
      const rules = await lockAgencySync(tx, agencyId);
      const values = {
        ams_customer_number: record.amsCustomerNumber,
        external_version: record.version,
        content_hash: contentHash(record),
        status: 'synced' as const,
        last_error: null,
        synced_at: sql<Date>`now()`,
      };
      await tx
        .insertInto('sync_links')
        .values({
          agency_id: agencyId,
          entity: 'customer',
          local_id: row.local_id,
          system: row.system,
          external_id: record.externalId,
          ...values,
        })
        .onConflict((oc) => oc.columns(['agency_id', 'system', 'entity', 'local_id']).doUpdateSet(values))
        .execute();
      // The record as the system now keeps it may carry a contact (and policies) of its own: they
      // are linked now, since its echo has the hash stored above and changes nothing.
      const childLog: Insertable<SyncLogTable>[] = [];
      await applyContactsAndPolicies(
        tx,
        agencyId,
        row.system,
        [{ record, customerId: row.local_id }],
        rules,
        childLog,
        new Date().toISOString().slice(0, 10),
        // A record policypay pushed is policypay's own: its invoices are billed here, never opened.
        false,
      );
      if (childLog.length > 0) await tx.insertInto('sync_log').values(childLog).execute();
      // Edits made while the push was in flight leave a newer pending row; only this one is done.
      await tx
        .updateTable('sync_outbox')
        .set({ done_at: new Date(), attempts: sql`attempts + 1`, last_error: null })
        .where('id', '=', row.id)
        .where('requests', '=', row.requests)
        .execute();
      await tx
        .insertInto('sync_log')
        .values({
          agency_id: agencyId,
          system: row.system,
          direction: 'outbound',
          entity: 'customer',
          local_id: row.local_id,
          external_id: record.externalId,
          action: link ? 'updated' : 'created',
          message: `pushed in ${Date.now() - started.getTime()} ms`,
        })
        .execute();
    });
    return true;
  } catch (error) {
    const message = (error as Error).message.slice(0, 500);
    await db.transaction().execute(async (tx) => {
      await tx
        .updateTable('sync_outbox')
        .set({ attempts: sql`attempts + 1`, last_error: message })
        .where('id', '=', row.id)
        .execute();
      await tx
        .updateTable('sync_links')
        .set({ status: 'error', last_error: message })
        .where('agency_id', '=', agencyId)
        .where('system', '=', row.system)
        .where('entity', '=', 'customer')
        .where('local_id', '=', row.local_id)
        .execute();
      await tx
        .insertInto('sync_log')
        .values({
          agency_id: agencyId,
          system: row.system,
          direction: 'outbound',
          entity: 'customer',
          local_id: row.local_id,
          external_id: link?.external_id ?? null,
          action: 'error',
          message,
        })
        .execute();
    });
    return false;
  }
}

/** Agencies with pushes still queued (the sweep's work list). */
export async function agenciesWithPendingPushes(db: Db): Promise<string[]> {
  const rows = await db.selectFrom('sync_outbox').select('agency_id').distinct().where('done_at', 'is', null).execute();
  return rows.map((row) => row.agency_id);
}
