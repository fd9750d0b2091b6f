import { randomUUID } from 'node:crypto';
import type { Insertable } from 'kysely';
import type { SyncLogTable } from '../db/schema.ts';
import { parseAmount } from '../domain/money.ts';
import {
  type ContactField,
  type ContactFields,
  type ExternalContact,
  type ExternalPolicy,
  type ExternalRecord,
  normalizedEmail,
  normalizedName,
  type SyncSystem,
} from '../domain/sync-records.ts';
import { acceptedContactFields, type SyncRules } from '../domain/sync-rules.ts';
import { releaseHeldAmsReceiptExports } from '../sync/ams360-receipts/outbox.ts';
import { linkInvoices } from './sync-invoices.ts';
import type { Tx } from './transaction.ts';

/** An applied account record and the local customer it now belongs to. */
export interface AppliedAccount {
  record: ExternalRecord;
  customerId: string;
}

/** Defaults for local policy fields an external policy does not carry (documented in architecture.md). */
const policyDefaults = {
  lineOfBusiness: 'Unspecified',
  /** When the external policy carries no premium (it is then billed in policypay through invoices). */
  premiumCents: 0n,
  status: 'active' as const,
  /** Without dates the policy runs a year from the day it was first synced. */
  termMonths: 12,
};

const CHUNK = 1000;

type Log = Insertable<SyncLogTable>[];

/**
 * Brings the contacts and policies carried by a page of applied account records into policypay,
 * in the caller's transaction (which holds the agency's sync lock). Set-based: a handful of reads
 * per page, inserts in bulk; only records that really changed are updated one by one.
 */
export async function applyContactsAndPolicies(
  tx: Tx,
  agencyId: string,
  system: SyncSystem,
  accounts: AppliedAccount[],
  rules: SyncRules,
  log: Log,
  today: string,
): Promise<void> {
  const contacts = latest(
    accounts.flatMap((a) => (a.record.contacts ?? []).map((item) => ({ item, customerId: a.customerId }))),
  );
  // Policies come from the AMS; another system's (the benefits system's plans) only for accounts
  // the AMS does not know, so one policy is never brought twice under two numbers.
  const amsKnown =
    system === 'ams'
      ? new Set<string>()
      : new Set(
          (
            await inChunks(
              accounts.filter((a) => a.record.policies?.length).map((a) => a.customerId),
              (ids) =>
                tx
                  .selectFrom('sync_links')
                  .select('local_id')
                  .where('agency_id', '=', agencyId)
                  .where('entity', '=', 'customer')
                  .where('system', '=', 'ams')
                  .where('local_id', 'in', ids)
                  .execute(),
            )
          ).map((l) => l.local_id),
        );
  const policies = latest(
    accounts
      .filter((a) => system === 'ams' || (a.record.amsCustomerNumber === null && !amsKnown.has(a.customerId)))
      .flatMap((a) => (a.record.policies ?? []).map((item) => ({ item, customerId: a.customerId }))),
  );
  if (contacts.length > 0) await applyContacts(tx, agencyId, system, contacts, rules, log);
  if (policies.length > 0) await applyPolicies(tx, agencyId, system, policies, log, today);
  const invoices = latest(
    accounts.flatMap((a) => (a.record.invoices ?? []).map((item) => ({ item, customerId: a.customerId }))),
  );
  if (invoices.length > 0) await linkInvoices(tx, agencyId, system, invoices, log);
  // Receipts held for want of an AMS identity go out once these accounts brought it.
  if (accounts.length > 0) {
    await releaseHeldAmsReceiptExports(tx, agencyId, { customerIds: [...new Set(accounts.map((a) => a.customerId))] });
  }
}

interface Owned<T> {
  item: T;
  customerId: string;
}

interface LocalContact {
  id: string;
  customerId: string;
  fields: ContactFields;
  primary: boolean;
  systems: Set<SyncSystem>;
}

async function applyContacts(
  tx: Tx,
  agencyId: string,
  system: SyncSystem,
  incoming: Owned<ExternalContact>[],
  rules: SyncRules,
  log: Log,
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
  // Every contact of the page's customers, with the systems each is linked to: matching stays
  // within the customer, and a contact already linked to another record of this system is taken.
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
    let local = linkedId ? locals.get(linkedId) : undefined;
    let matchedBy: string | null = null;
    if (!linkedId) {
      const candidates = (byCustomer.get(customerId) ?? []).filter((c) => !c.systems.has(system));
      const email = normalizedEmail(item.fields.email);
      local = email ? candidates.find((c) => normalizedEmail(c.fields.email) === email) : undefined;
      matchedBy = local ? 'email' : null;
      if (!local) {
        // The same name counts only when e-mails do not disagree (a contact without one, or a new one).
        const name = normalizedName(item.fields.name);
        local = candidates.find(
          (c) =>
            normalizedName(c.fields.name) === name &&
            (!email || !c.fields.email || normalizedEmail(c.fields.email) === email),
        );
        matchedBy = local ? 'name' : null;
      }
    }
    if (!local) {
      if (linkedId) continue; // Linked to a contact deleted here: staff removed it on purpose.
      const customerContacts = byCustomer.get(customerId) ?? [];
      const created: LocalContact = {
        id: randomUUID(),
        customerId,
        fields: { ...item.fields },
        // The customer's first contact is its primary one, as when staff add it.
        primary: !customerContacts.some((c) => c.primary),
        systems: new Set([system]),
      };
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
      entry('linked', item.externalId, local.id, `matched by ${matchedBy}`);
    }
    const changes: Partial<ContactFields> = {};
    for (const field of acceptedContactFields(rules, system, local.systems) as ContactField[]) {
      const value = item.fields[field];
      // A name is required locally: a record that lost it keeps ours.
      if (field === 'name' && value === null) continue;
      if (value !== local.fields[field]) changes[field] = value;
    }
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

interface LocalPolicy {
  id: string;
  customerId: string;
  policyNumber: string;
  lineOfBusiness: string;
  effectiveDate: string;
  expirationDate: string;
  premiumCents: bigint;
  systems: Set<SyncSystem>;
}

async function applyPolicies(
  tx: Tx,
  agencyId: string,
  system: SyncSystem,
  incoming: Owned<ExternalPolicy>[],
  log: Log,
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
  const entry = (action: string, externalId: string, localId: string | null, message?: string) =>
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
    const effectiveDate = item.effectiveDate ?? today;
    const expirationDate = item.expirationDate ?? addMonths(effectiveDate, policyDefaults.termMonths);
    if (expirationDate <= effectiveDate) {
      entry('invalid', item.externalId, null, 'the policy expires before it takes effect');
      continue;
    }
    const premiumCents = externalPremium(item);
    if (premiumCents === 'invalid') {
      entry('invalid', item.externalId, null, `the premium ${JSON.stringify(item.premium)} is not an amount`);
      continue;
    }
    const created: LocalPolicy = {
      id: randomUUID(),
      customerId,
      policyNumber: item.policyNumber,
      lineOfBusiness: item.lineOfBusiness ?? policyDefaults.lineOfBusiness,
      effectiveDate,
      expirationDate,
      premiumCents: premiumCents ?? policyDefaults.premiumCents,
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

/** Takes what the external policy carries; fields it lacks keep their local value. */
async function updatePolicy(
  tx: Tx,
  agencyId: string,
  local: LocalPolicy,
  item: ExternalPolicy,
  entry: (action: string, externalId: string, localId: string | null, message?: string) => void,
): Promise<void> {
  const premiumCents = externalPremium(item);
  if (premiumCents === 'invalid') {
    entry('invalid', item.externalId, local.id, `the premium ${JSON.stringify(item.premium)} is not an amount`);
    return;
  }
  const next = {
    lineOfBusiness: item.lineOfBusiness ?? local.lineOfBusiness,
    effectiveDate: item.effectiveDate ?? local.effectiveDate,
    expirationDate: item.expirationDate ?? local.expirationDate,
    premiumCents: premiumCents ?? local.premiumCents,
  };
  if (
    next.lineOfBusiness === local.lineOfBusiness &&
    next.effectiveDate === local.effectiveDate &&
    next.expirationDate === local.expirationDate &&
    next.premiumCents === local.premiumCents
  ) {
    return;
  }
  if (next.expirationDate <= next.effectiveDate) {
    entry('invalid', item.externalId, local.id, 'the policy expires before it takes effect');
    return;
  }
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

/** The premium an external policy carries, in cents; null when it carries none. */
function externalPremium(item: ExternalPolicy): bigint | null | 'invalid' {
  if (item.premium === undefined || item.premium === null) return null;
  try {
    return parseAmount(item.premium, 'premium', { allowZero: true });
  } catch {
    return 'invalid';
  }
}

/** `YYYY-MM-DD` plus whole months (day clamped to the month's end). */
export function addMonths(date: string, months: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const total = y * 12 + (m - 1) + months;
  const year = Math.floor(total / 12);
  const month = (total % 12) + 1;
  const last = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(Math.min(d, last)).padStart(2, '0')}`;
}

/** The last delivery of each external id in a page (one contact may come with two records). */
function latest<T extends { externalId: string }>(items: Owned<T>[]): Owned<T>[] {
  const byId = new Map<string, Owned<T>>();
  for (const owned of items) byId.set(owned.item.externalId, owned);
  return [...byId.values()];
}

async function inChunks<T, R>(items: T[], query: (chunk: T[]) => Promise<R[]>): Promise<R[]> {
  const results: R[] = [];
  for (let start = 0; start < items.length; start += CHUNK)
    results.push(...(await query(items.slice(start, start + CHUNK))));
  return results;
}

async function insertChunks<T>(rows: T[], insert: (chunk: T[]) => Promise<unknown>): Promise<void> {
  for (let start = 0; start < rows.length; start += CHUNK) await insert(rows.slice(start, start + CHUNK));
}
