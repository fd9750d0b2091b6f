import { createHash } from 'node:crypto';

/** The systems a connector can play, and the records the hub keeps in step. */
export const syncSystems = ['ams', 'benefits', 'crm'] as const;
export type SyncSystem = (typeof syncSystems)[number];
const syncEntities = ['customer', 'contact', 'policy'] as const;
export type SyncEntity = (typeof syncEntities)[number];

/** Account fields in the hub's own names; connectors map each system's names onto these. */
export const accountFields = [
  'type',
  'name',
  'email',
  'phone',
  'line1',
  'line2',
  'city',
  'state',
  'postalCode',
  'country',
] as const;
export type AccountField = (typeof accountFields)[number];
export type AccountFields = Partial<Record<AccountField, string | null>>;

/** One record as a connector read it: its id in that system and its fields in hub names. */
export interface ExternalRecord {
  externalId: string;
  /** Monotonic version in that system, when it has one (older deliveries are ignored). */
  version: bigint | null;
  /** The AMS customer number this record carries (the AMS's own, or the one the benefits system keeps). */
  amsCustomerNumber: string | null;
  /** Our customer id, when policypay created the record there (sent as its external reference). */
  localReference: string | null;
  fields: AccountFields;
  /** The account's contact(s) as that system keeps them, when its mapping says where they are. */
  contacts?: ExternalContact[];
  /** The account's policies, when the mapping says where they are (the AMS's, by default). */
  policies?: ExternalPolicy[];
  /** The account's invoices (the AMS's own numbers), when the mapping says where they are. */
  invoices?: ExternalInvoice[];
}

/** An invoice as the AMS keeps it: its own number, and what a local invoice is matched on. */
export interface ExternalInvoice {
  externalId: string;
  policyNumber: string | null;
  dueDate: string | null;
  amount: string | null;
  /**
   * What is still owed on it in dollars, when the mapping says where that is: an unmatched
   * invoice with an open balance becomes opening AR (sync/rules/opening-ar.ts). Null: link only.
   */
  openBalance: string | null;
}

/** Contact fields in hub names. */
export const contactFields = ['name', 'email', 'phone'] as const;
export type ContactField = (typeof contactFields)[number];
export type ContactFields = Record<ContactField, string | null>;

export interface ExternalContact {
  /** Its id in that system, or `<account id>:primary` when the system keeps one unnamed contact. */
  externalId: string;
  fields: ContactFields;
}

/** Policy fields an external record may carry; what it lacks takes the defaults in sync/rules/policy-rules.ts. */
export interface ExternalPolicy {
  externalId: string;
  policyNumber: string;
  lineOfBusiness: string | null;
  effectiveDate: string | null;
  expirationDate: string | null;
  /** The premium in dollars as the system writes it; null when it carries none. */
  premium?: string | null;
}

/** Content hash of a record's fields: equal hashes mean nothing to write. Key order does not matter. */
export function contentHash(
  record: Pick<ExternalRecord, 'fields' | 'amsCustomerNumber' | 'contacts' | 'policies' | 'invoices'>,
): string {
  const canonical: unknown[] = accountFields.map((field) => [field, record.fields[field] ?? null]);
  canonical.push(['amsCustomerNumber', record.amsCustomerNumber]);
  // Contacts and policies count only when the record carries some, so hashes stored for records
  // without them (before contacts and policies were synced) stay equal.
  if (record.contacts?.length) {
    canonical.push([
      'contacts',
      [...record.contacts].sort(byId).map((c) => [c.externalId, contactFields.map((f) => c.fields[f])]),
    ]);
  }
  if (record.policies?.length) {
    canonical.push([
      'policies',
      [...record.policies]
        .sort(byId)
        // The premium counts only when carried, so hashes stored before premiums were read stay equal.
        .map((p) => [
          p.externalId,
          p.policyNumber,
          p.lineOfBusiness,
          p.effectiveDate,
          p.expirationDate,
          ...(p.premium ? [p.premium] : []),
        ]),
    ]);
  }
  if (record.invoices?.length) {
    canonical.push([
      'invoices',
      [...record.invoices]
        .sort(byId)
        // The open balance counts only when carried, so hashes stored before it was read stay equal.
        .map((i) => [i.externalId, i.policyNumber, i.dueDate, i.amount, ...(i.openBalance ? [i.openBalance] : [])]),
    ]);
  }
  return createHash('sha256').update(JSON.stringify(canonical)).digest('base64url').slice(0, 32);
}

function byId(a: { externalId: string }, b: { externalId: string }): number {
  return a.externalId < b.externalId ? -1 : a.externalId > b.externalId ? 1 : 0;
}

/** Names compare without case, spaces or punctuation (same expression as customers_sync_name_idx). */
export function normalizedName(name: string | null | undefined): string {
  return (name ?? '').replace(/[^a-zA-Z0-9]+/g, '').toLowerCase();
}

export function normalizedEmail(email: string | null | undefined): string {
  return (email ?? '').trim().toLowerCase();
}

/** Phone numbers compare on their last ten digits (country codes and formatting vary). */
export function normalizedPhone(phone: string | null | undefined): string {
  return (phone ?? '').replace(/\D+/g, '').slice(-10);
}

export function normalizedPostalCode(code: string | null | undefined): string {
  return (code ?? '')
    .replace(/[^a-zA-Z0-9]+/g, '')
    .toUpperCase()
    .slice(0, 5);
}
