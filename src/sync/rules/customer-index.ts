import type { MatchCandidate } from './matching.ts';
import { type AccountFields, type ExternalRecord, normalizedName, type SyncSystem } from './records.ts';

// Pure: the local customers a page of external records may touch, indexed the way matching asks
// for them. The reads and writes are in sync-customer-rows.ts; the use case in sync-apply.ts.

/** A customer link as applying reads it. */
export interface LinkRow {
  local_id: string;
  system: SyncSystem;
  external_id: string;
  ams_customer_number: string | null;
  external_version: bigint | null;
  content_hash: string | null;
}

/** A local customer, or one this page creates (`new:N` until it is inserted), with all its links. */
export interface LocalCustomer {
  id: string;
  fields: AccountFields;
  links: LinkRow[];
}

/** Customers this page creates go by `new:N` until inserted: a later record of the page may match one. */
export function provisionalId(index: number): string {
  return `new:${index}`;
}

export function isProvisional(id: string): boolean {
  return id.startsWith('new:');
}

/** The inserted customer's id for a provisional one, any other id as it is. */
export function resolveProvisional(id: string, createdIds: readonly string[]): string {
  return isProvisional(id) ? (createdIds[Number(id.slice(4))] as string) : id;
}

/**
 * The page's local customers by the AMS numbers their links carry and by normalized name, each
 * seen as decideMatch's candidate. A customer matched or created during the page is added again
 * so later records of the page find it.
 */
export class CustomerCandidates {
  private readonly byNumber = new Map<string, Set<string>>();
  private readonly byName = new Map<string, Set<string>>();
  private readonly locals: ReadonlyMap<string, LocalCustomer>;

  constructor(locals: ReadonlyMap<string, LocalCustomer>) {
    this.locals = locals;
    for (const customer of locals.values()) this.add(customer);
  }

  add(customer: LocalCustomer): void {
    for (const link of customer.links) {
      if (link.ams_customer_number) addTo(this.byNumber, link.ams_customer_number, customer.id);
    }
    const key = normalizedName(customer.fields.name);
    if (key) addTo(this.byName, key, customer.id);
  }

  /** The facts decideMatch takes besides the record's own link. */
  factsFor(record: ExternalRecord): {
    byLocalReference: MatchCandidate | null;
    byAmsNumber: MatchCandidate[];
    byName: MatchCandidate[];
  } {
    return {
      byLocalReference:
        record.localReference && this.locals.has(record.localReference) ? this.candidate(record.localReference) : null,
      byAmsNumber: record.amsCustomerNumber ? this.known(this.byNumber.get(record.amsCustomerNumber)) : [],
      byName: this.known(this.byName.get(normalizedName(record.fields.name))),
    };
  }

  private known(ids: Set<string> | undefined): MatchCandidate[] {
    return [...(ids ?? [])].filter((id) => this.locals.has(id)).map((id) => this.candidate(id));
  }

  private candidate(id: string): MatchCandidate {
    const local = this.locals.get(id) as LocalCustomer;
    return {
      customerId: id,
      email: local.fields.email ?? null,
      phone: local.fields.phone ?? null,
      postalCode: local.fields.postalCode ?? null,
      amsCustomerNumbers: local.links.map((l) => l.ams_customer_number).filter((n): n is string => n !== null),
      linkedSystems: local.links.map((l) => l.system),
    };
  }
}

/** The newest delivery of each external id (a page or a burst may carry one record twice). */
export function latestPerId(records: ExternalRecord[]): Map<string, ExternalRecord> {
  const latest = new Map<string, ExternalRecord>();
  for (const record of records) {
    const seen = latest.get(record.externalId);
    if (!seen || seen.version === null || (record.version !== null && record.version >= seen.version)) {
      latest.set(record.externalId, record);
    }
  }
  return latest;
}

export function serializeRecord(record: ExternalRecord): Record<string, unknown> {
  return { ...record, version: record.version === null ? null : String(record.version) };
}

function addTo(map: Map<string, Set<string>>, key: string, id: string): void {
  const set = map.get(key);
  if (set) set.add(id);
  else map.set(key, new Set([id]));
}
