import {
  type ContactField,
  type ContactFields,
  type ExternalContact,
  normalizedEmail,
  normalizedName,
  type SyncSystem,
} from './records.ts';
import { acceptedContactFields, type SyncRules } from './rules.ts';

// Pure: how an incoming contact finds its local contact and what it may change there. The reads
// and writes are in sync-contacts.ts.

/** A local contact as applying a page sees it: its fields and the systems it is linked to. */
export interface LocalContact {
  id: string;
  customerId: string;
  fields: ContactFields;
  primary: boolean;
  systems: Set<SyncSystem>;
}

/**
 * The customer's contact an unlinked incoming contact is, by e-mail, else by name. Matching stays
 * within the customer, and a contact already linked to another record of this system is taken.
 */
export function matchContact(
  item: ExternalContact,
  customerContacts: LocalContact[],
  system: SyncSystem,
): { local: LocalContact; matchedBy: 'email' | 'name' } | undefined {
  const candidates = customerContacts.filter((c) => !c.systems.has(system));
  const email = normalizedEmail(item.fields.email);
  const byEmail = email ? candidates.find((c) => normalizedEmail(c.fields.email) === email) : undefined;
  if (byEmail) return { local: byEmail, matchedBy: 'email' };
  // The same name counts only when e-mails do not disagree (a contact without one, or a new one).
  const name = normalizedName(item.fields.name);
  const byName = candidates.find(
    (c) =>
      normalizedName(c.fields.name) === name &&
      (!email || !c.fields.email || normalizedEmail(c.fields.email) === email),
  );
  return byName ? { local: byName, matchedBy: 'name' } : undefined;
}

/** A contact created from an incoming one; the customer's first contact is its primary one, as when staff add it. */
export function newLocalContact(
  id: string,
  customerId: string,
  item: ExternalContact,
  system: SyncSystem,
  customerContacts: LocalContact[],
): LocalContact {
  return {
    id,
    customerId,
    fields: { ...item.fields },
    primary: !customerContacts.some((c) => c.primary),
    systems: new Set([system]),
  };
}

/** The fields the rules let `system` set that differ from the local contact's. */
export function contactChanges(
  rules: SyncRules,
  system: SyncSystem,
  local: LocalContact,
  item: ExternalContact,
): Partial<ContactFields> {
  const changes: Partial<ContactFields> = {};
  for (const field of acceptedContactFields(rules, system, local.systems) as ContactField[]) {
    const value = item.fields[field];
    // A name is required locally: a record that lost it keeps ours.
    if (field === 'name' && value === null) continue;
    if (value !== local.fields[field]) changes[field] = value;
  }
  return changes;
}
