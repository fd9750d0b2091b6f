import { customerNumbers, reserveNumbers } from '../customers/counters.ts';
import type { Address } from '../customers/customers.ts';
import type { Customer } from '../platform/db/schema.ts';
import type { Tx } from '../platform/db/transaction.ts';
import { lockAgencySync } from './outbox/sync-settings.ts';
import type { AccountFields } from './rules/records.ts';
import { defaultSyncRules, type SyncRules } from './rules/rules.ts';

/** A customer row's account fields in hub names. */
export function customerFields(row: Pick<Customer, 'type' | 'name' | 'email' | 'phone' | 'address'>): AccountFields {
  const address = (row.address ?? {}) as Address;
  return {
    type: row.type,
    name: row.name,
    email: row.email,
    phone: row.phone,
    line1: address.line1 ?? null,
    line2: address.line2 ?? null,
    city: address.city ?? null,
    state: address.state ?? null,
    postalCode: address.postalCode ?? null,
    country: address.country ?? null,
  };
}

/** Account fields as customer columns (only those present in `fields`, address merged). */
export function customerColumns(
  fields: AccountFields,
  current: AccountFields = {},
): {
  type?: 'individual' | 'group';
  name?: string;
  email?: string | null;
  phone?: string | null;
  address?: string | null;
} {
  const columns: ReturnType<typeof customerColumns> = {};
  if ('type' in fields) columns.type = fields.type === 'group' ? 'group' : 'individual';
  if ('name' in fields && fields.name) columns.name = fields.name.slice(0, 200);
  if ('email' in fields) columns.email = fields.email ?? null;
  if ('phone' in fields) columns.phone = fields.phone ?? null;
  const addressKeys = ['line1', 'line2', 'city', 'state', 'postalCode', 'country'] as const;
  if (addressKeys.some((key) => key in fields)) {
    const merged = { ...current, ...fields };
    const address = Object.fromEntries(
      addressKeys.filter((key) => merged[key] !== null && merged[key] !== undefined).map((key) => [key, merged[key]]),
    );
    columns.address = Object.keys(address).length ? JSON.stringify(address) : null;
  }
  return columns;
}

/** Reserves `count` customer numbers at once (one counter update for a whole page of new customers). */
export function reserveCustomerNumbers(tx: Tx, agencyId: string, count: number): Promise<number[]> {
  return reserveNumbers(tx, agencyId, 'customer', customerNumbers, count);
}

/** Replaces the agency's sync rules (validated by the caller's schema); null restores the defaults. */
export async function setSyncRules(tx: Tx, agencyId: string, rules: SyncRules | null): Promise<SyncRules> {
  await lockAgencySync(tx, agencyId);
  await tx
    .updateTable('sync_settings')
    .set({ rules: rules === null ? null : JSON.stringify(rules), updated_at: new Date() })
    .where('agency_id', '=', agencyId)
    .execute();
  return rules ?? defaultSyncRules;
}
