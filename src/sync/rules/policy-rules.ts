import { parseAmount } from '../../kernel/money.ts';
import type { ExternalPolicy, SyncSystem } from './records.ts';

// Pure: the local policy an external one makes or changes, with the defaults for what it does not
// carry. The reads and writes are in sync-policies.ts.

/** Defaults for local policy fields an external policy does not carry (documented in architecture.md). */
export const policyDefaults = {
  lineOfBusiness: 'Unspecified',
  /** When the external policy carries no premium (it is then billed in policypay through invoices). */
  premiumCents: 0n,
  status: 'active' as const,
  /** Without dates the policy runs a year from the day it was first synced. */
  termMonths: 12,
};

/** A local policy as applying a page sees it: its synced fields and the systems it is linked to. */
export interface LocalPolicy {
  id: string;
  customerId: string;
  policyNumber: string;
  lineOfBusiness: string;
  effectiveDate: string;
  expirationDate: string;
  premiumCents: bigint;
  systems: Set<SyncSystem>;
}

/** The fields a policy takes from a record; the rest of LocalPolicy is who it is and where it is linked. */
export type PolicyTerms = Pick<LocalPolicy, 'lineOfBusiness' | 'effectiveDate' | 'expirationDate' | 'premiumCents'>;

const EXPIRES_FIRST = 'the policy expires before it takes effect';

/** A new policy's terms from an external policy (`today` when it carries no dates), or why it cannot be one. */
export function newPolicyTerms(item: ExternalPolicy, today: string): PolicyTerms | { invalid: string } {
  const effectiveDate = item.effectiveDate ?? today;
  const expirationDate = item.expirationDate ?? addMonths(effectiveDate, policyDefaults.termMonths);
  if (expirationDate <= effectiveDate) return { invalid: EXPIRES_FIRST };
  const premiumCents = externalPremium(item);
  if (premiumCents === 'invalid') return { invalid: invalidPremium(item) };
  return {
    lineOfBusiness: item.lineOfBusiness ?? policyDefaults.lineOfBusiness,
    effectiveDate,
    expirationDate,
    premiumCents: premiumCents ?? policyDefaults.premiumCents,
  };
}

/** What an external policy changes on a local one: fields it lacks keep their local value. */
export function policyUpdate(
  local: LocalPolicy,
  item: ExternalPolicy,
): { kind: 'unchanged' } | { kind: 'invalid'; message: string } | { kind: 'changed'; next: PolicyTerms } {
  const premiumCents = externalPremium(item);
  if (premiumCents === 'invalid') return { kind: 'invalid', message: invalidPremium(item) };
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
    return { kind: 'unchanged' };
  }
  if (next.expirationDate <= next.effectiveDate) return { kind: 'invalid', message: EXPIRES_FIRST };
  return { kind: 'changed', next };
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

function invalidPremium(item: ExternalPolicy): string {
  return `the premium ${JSON.stringify(item.premium)} is not an amount`;
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
