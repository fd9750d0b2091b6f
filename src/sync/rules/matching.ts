import {
  type ExternalRecord,
  normalizedEmail,
  normalizedPhone,
  normalizedPostalCode,
  type SyncSystem,
} from './records.ts';

/** A local customer that might be the incoming record, with what matching needs to know. */
export interface MatchCandidate {
  customerId: string;
  email: string | null;
  phone: string | null;
  postalCode: string | null;
  /** AMS customer numbers its links carry. */
  amsCustomerNumbers: string[];
  /** Systems it is already linked to (with some other record, since the incoming one is not linked). */
  linkedSystems: SyncSystem[];
}

export type MatchDecision =
  | { kind: 'linked'; customerId: string }
  | { kind: 'matched'; customerId: string; by: 'local_reference' | 'ams_customer_number' | 'name_and_contact' }
  | { kind: 'new' }
  | { kind: 'review'; candidateIds: string[]; reason: string };

/**
 * Decides which local customer an external record is, in order: an existing link; our own id
 * when policypay created the record there (its echo may arrive before the push recorded the link); the AMS
 * customer number it carries; the same normalized name with the same e-mail, phone or postal
 * code. Anything less certain goes to review instead of creating or merging.
 */
export function decideMatch(
  system: SyncSystem,
  record: ExternalRecord,
  facts: {
    linkedCustomerId: string | null;
    byLocalReference?: MatchCandidate | null | undefined;
    byAmsNumber: MatchCandidate[];
    byName: MatchCandidate[];
  },
): MatchDecision {
  if (facts.linkedCustomerId) return { kind: 'linked', customerId: facts.linkedCustomerId };
  // A customer already linked to another record of this very system is a different account there.
  const free = (candidate: MatchCandidate) => !candidate.linkedSystems.includes(system);
  if (facts.byLocalReference && free(facts.byLocalReference)) {
    return { kind: 'matched', customerId: facts.byLocalReference.customerId, by: 'local_reference' };
  }

  if (record.amsCustomerNumber && facts.byAmsNumber.length > 0) {
    const ids = unique(facts.byAmsNumber.filter(free).map((c) => c.customerId));
    if (ids.length === 1) return { kind: 'matched', customerId: ids[0] as string, by: 'ams_customer_number' };
    return {
      kind: 'review',
      candidateIds: unique(facts.byAmsNumber.map((c) => c.customerId)),
      reason:
        ids.length === 0
          ? `AMS customer number ${record.amsCustomerNumber} is already linked to another ${system} record`
          : `several customers carry AMS customer number ${record.amsCustomerNumber}`,
    };
  }

  const carried = record.amsCustomerNumber;
  const sameName = facts.byName.filter(
    (candidate) =>
      free(candidate) &&
      // Two different AMS customer numbers are two different clients, however alike the names.
      !(carried && candidate.amsCustomerNumbers.length > 0 && !candidate.amsCustomerNumbers.includes(carried)),
  );
  if (sameName.length === 0) return { kind: 'new' };
  const email = normalizedEmail(record.fields.email);
  const phone = normalizedPhone(record.fields.phone);
  const postal = normalizedPostalCode(record.fields.postalCode);
  const agreeing = unique(
    sameName
      .filter(
        (c) =>
          (email !== '' && normalizedEmail(c.email) === email) ||
          (phone !== '' && normalizedPhone(c.phone) === phone) ||
          (postal !== '' && normalizedPostalCode(c.postalCode) === postal),
      )
      .map((c) => c.customerId),
  );
  if (agreeing.length === 1) return { kind: 'matched', customerId: agreeing[0] as string, by: 'name_and_contact' };
  return {
    kind: 'review',
    candidateIds: agreeing.length > 1 ? agreeing : unique(sameName.map((c) => c.customerId)),
    reason:
      agreeing.length > 1
        ? 'several customers have this name and contact details'
        : 'a customer has this name but no matching e-mail, phone or postal code',
  };
}

function unique(ids: string[]): string[] {
  return [...new Set(ids)];
}
