import { z } from 'zod';
import {
  type AccountField,
  type AccountFields,
  accountFields,
  type ContactField,
  contactFields,
  type SyncSystem,
  syncSystems,
} from './records.ts';

/** Where a change came from: one of the external systems, or an edit made in policypay. */
export type SyncOrigin = SyncSystem | 'local';

/**
 * The sync rules as data (stored per agency in sync_settings.rules, these defaults otherwise):
 * which system owns each account field, which way changes flow, and where a record created in
 * policypay goes when the request does not say.
 */
export interface SyncRules {
  customer: {
    /** The owner's value wins: another linked system's edit of the field is not taken. */
    owners: Record<AccountField, SyncSystem>;
    /** A change from `from` is pushed to `to` when the record is linked there. */
    flows: { from: SyncOrigin; to: SyncSystem }[];
  };
  /** Inbound, the owner's value wins, as for account fields (absent = the AMS owns all); the primary contact goes out with local edits. */
  contact?: { owners: Record<ContactField, SyncSystem> } | undefined;
  pushOnCreate: SyncSystem[];
}

const amsOwnsEverything = Object.fromEntries(accountFields.map((field) => [field, 'ams'])) as Record<
  AccountField,
  SyncSystem
>;

export const defaultSyncRules: SyncRules = {
  customer: {
    owners: amsOwnsEverything,
    flows: [
      // The AMS is the source of truth for account and contact data.
      { from: 'ams', to: 'benefits' },
      // Records created in policypay follow local edits wherever they are linked.
      { from: 'local', to: 'ams' },
      { from: 'local', to: 'benefits' },
    ],
  },
  contact: { owners: { name: 'ams', email: 'ams', phone: 'ams' } },
  pushOnCreate: ['ams'],
};

const system = z.enum(syncSystems);
export const syncRulesSchema = z.strictObject({
  customer: z.strictObject({
    owners: z.strictObject(
      Object.fromEntries(accountFields.map((field) => [field, system])) as Record<AccountField, typeof system>,
    ),
    flows: z.array(z.strictObject({ from: z.enum([...syncSystems, 'local']), to: system })).max(20),
  }),
  contact: z
    .strictObject({
      owners: z.strictObject(
        Object.fromEntries(contactFields.map((field) => [field, system])) as Record<ContactField, typeof system>,
      ),
    })
    .optional(),
  pushOnCreate: z.array(system).max(3),
});

/**
 * The contact fields an inbound contact from `from` may set: those it owns, and those whose owner
 * does not know the contact (the AMS by default: benefits-side edits of a contact the AMS also
 * has are not taken).
 */
export function acceptedContactFields(
  rules: SyncRules,
  from: SyncSystem,
  linked: ReadonlySet<SyncSystem>,
): ContactField[] {
  return contactFields.filter((field) => {
    const owner = rules.contact?.owners[field] ?? 'ams';
    return owner === from || !linked.has(owner);
  });
}

/**
 * The fields an inbound record from `from` may set locally: those it owns, and those whose owner
 * does not know this record (a benefits-only account takes its data from the benefits system).
 */
export function acceptedFields(rules: SyncRules, from: SyncSystem, linked: ReadonlySet<SyncSystem>): AccountField[] {
  return accountFields.filter((field) => {
    const owner = rules.customer.owners[field];
    return owner === from || !linked.has(owner);
  });
}

/** The accepted fields whose incoming value differs from the local one. */
export function changedFields(
  current: AccountFields,
  incoming: AccountFields,
  accepted: readonly AccountField[],
): AccountFields {
  const changes: AccountFields = {};
  for (const field of accepted) {
    if (!(field in incoming)) continue;
    const value = incoming[field] ?? null;
    if ((current[field] ?? null) !== value) changes[field] = value;
  }
  return changes;
}

/**
 * Systems a change must be pushed to: linked ones the rules let changes from `origin` flow to.
 * Changes from an external system only carry the fields that system owns.
 */
export function pushTargets(
  rules: SyncRules,
  origin: SyncOrigin,
  changes: AccountFields,
  linked: ReadonlySet<SyncSystem>,
): SyncSystem[] {
  const fields = Object.keys(changes) as AccountField[];
  const relevant = origin === 'local' ? fields : fields.filter((field) => rules.customer.owners[field] === origin);
  if (relevant.length === 0) return [];
  return rules.customer.flows
    .filter((flow) => flow.from === origin && flow.to !== origin && linked.has(flow.to))
    .map((flow) => flow.to)
    .filter((target, index, all) => all.indexOf(target) === index);
}

/** The fields a push to `target` carries: everything for a create, else what `target` may take. */
export function fieldsForPush(rules: SyncRules, origin: SyncOrigin, fields: AccountFields): AccountFields {
  if (origin === 'local') return fields;
  return Object.fromEntries(
    Object.entries(fields).filter(([field]) => rules.customer.owners[field as AccountField] === origin),
  );
}
