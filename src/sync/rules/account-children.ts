import type { ExternalContact, ExternalInvoice, ExternalPolicy, ExternalRecord, SyncSystem } from './records.ts';

// Pure: which contacts, policies and invoices a page of applied account records brings, and for
// which local customer. The reads and writes are in sync-children.ts and the files it calls.

/** An applied account record and the local customer it now belongs to. */
export interface AppliedAccount {
  record: ExternalRecord;
  customerId: string;
}

/** A contact, policy or invoice of an account record, with the local customer it belongs to. */
export interface Owned<T> {
  item: T;
  customerId: string;
}

export function contactsOf(accounts: AppliedAccount[]): Owned<ExternalContact>[] {
  return latest(accounts.flatMap((a) => (a.record.contacts ?? []).map((item) => ({ item, customerId: a.customerId }))));
}

export function invoicesOf(accounts: AppliedAccount[]): Owned<ExternalInvoice>[] {
  return latest(accounts.flatMap((a) => (a.record.invoices ?? []).map((item) => ({ item, customerId: a.customerId }))));
}

/** Customers whose records carry policies: whether the AMS knows them decides if those are taken. */
export function customersWithPolicies(accounts: AppliedAccount[]): string[] {
  return accounts.filter((a) => a.record.policies?.length).map((a) => a.customerId);
}

/**
 * Policies come from the AMS; another system's (the benefits system's plans) only for accounts
 * the AMS does not know, so one policy is never brought twice under two numbers. `amsKnown` holds
 * the customers linked to an AMS record.
 */
export function policiesOf(
  system: SyncSystem,
  accounts: AppliedAccount[],
  amsKnown: ReadonlySet<string>,
): Owned<ExternalPolicy>[] {
  return latest(
    accounts
      .filter((a) => system === 'ams' || (a.record.amsCustomerNumber === null && !amsKnown.has(a.customerId)))
      .flatMap((a) => (a.record.policies ?? []).map((item) => ({ item, customerId: a.customerId }))),
  );
}

/** The last delivery of each external id in a page (one contact may come with two records). */
function latest<T extends { externalId: string }>(items: Owned<T>[]): Owned<T>[] {
  const byId = new Map<string, Owned<T>>();
  for (const owned of items) byId.set(owned.item.externalId, owned);
  return [...byId.values()];
}
