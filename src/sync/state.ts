import { customerNumbers, reserveNumbers } from '../customers/counters.ts';
import type { Address } from '../customers/customers.ts';
import type { Customer } from '../platform/db/schema.ts';
import type { Db, Tx } from '../platform/db/transaction.ts';
import type { AccountFields } from './rules/records.ts';
import { defaultSyncRules, type SyncRules, syncRulesSchema } from './rules/rules.ts';

/**
 * Takes the agency's sync lock (its sync_settings row) until commit and returns its rules. Every
 * transaction that may link or create from an external record holds it, so a webhook and a daily
 * page can never both decide that the same account is new.
 */
export async function lockAgencySync(tx: Tx, agencyId: string): Promise<SyncRules> {
  await tx
    .insertInto('sync_settings')
    .values({ agency_id: agencyId, rules: null })
    .onConflict((oc) => oc.column('agency_id').doNothing())
    .execute();
  const row = await tx
    .selectFrom('sync_settings')
    .select('rules')
    .where('agency_id', '=', agencyId)
    .forUpdate()
    .executeTakeFirstOrThrow();
  return parseRules(row.rules);
}

export async function readSyncRules(db: Db | Tx, agencyId: string): Promise<SyncRules> {
  const row = await db.selectFrom('sync_settings').select('rules').where('agency_id', '=', agencyId).executeTakeFirst();
  return parseRules(row?.rules ?? null);
}

function parseRules(stored: unknown): SyncRules {
  if (stored === null || stored === undefined) return defaultSyncRules;
  const parsed = syncRulesSchema.safeParse(stored);
  return parsed.success ? parsed.data : defaultSyncRules;
}

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
