import { isCalendarDate } from '../../kernel/calendar.ts';
import { type Cents, formatAmount, parseAmount } from '../../kernel/money.ts';
import type { ExternalInvoice, SyncSystem } from './records.ts';

// Pure: what an AMS invoice that a sync brings becomes here. Linked to the one local invoice it
// matches (as before: invoices billed in policypay keep their number and get the AMS's on the
// link); else, when the AMS says something is still owed on it, opening AR as the CSV import
// makes it (imports/invoice-writers.ts); else logged and left alone.

/** The local policy an invoice's policy number names, when the agency has it. */
export interface LocalPolicyRef {
  id: string;
  customerId: string;
  planId: string | null;
}

/** An AMS invoice to write as opening AR: for its open balance, under its policy. */
export interface CreateInvoice {
  kind: 'create';
  policy: LocalPolicyRef;
  dueDate: string;
  amountCents: Cents;
  openBalanceCents: Cents;
  message: string;
}

export type InvoiceDecision =
  | { kind: 'link'; localId: string }
  | CreateInvoice
  /** `action` is the sync log's: unmatched, review, skipped (nothing owed), invalid or conflict. */
  | { kind: 'skip'; action: 'unmatched' | 'review' | 'skipped' | 'invalid' | 'conflict'; message: string };

/** The invoice's billed amount in cents, or null when it is not an amount (logged `invalid`). */
export function invoiceAmountCents(item: ExternalInvoice): Cents | null {
  return cents(item.amount);
}

/**
 * Decides one unlinked AMS invoice of customer `customerId`, given the local invoices it matches
 * (same customer, policy, due date and amount, not linked to another record of the system) and the
 * local policy its number names. Only the AMS opens AR (it is where the book was billed); the
 * opening invoice needs its policy here (of the same customer), a date, an amount, and an open
 * balance above 0 and at most the amount. A paid invoice (open balance 0) is skipped: nothing is
 * owed, as the CSV import skips it.
 */
export function decideInvoice(
  system: SyncSystem,
  item: ExternalInvoice,
  facts: { customerId: string; matches: readonly string[]; policy: LocalPolicyRef | undefined },
): InvoiceDecision {
  const amountCents = invoiceAmountCents(item);
  if (amountCents === null) return invalid(`the amount ${JSON.stringify(item.amount)} is not an amount`);
  const [first, ...others] = facts.matches;
  if (first !== undefined && others.length === 0) return { kind: 'link', localId: first };
  const described = `of policy ${item.policyNumber} due ${item.dueDate} for ${item.amount}`;
  if (first !== undefined) return { kind: 'skip', action: 'review', message: `several local invoices ${described}` };
  const unmatched = `no local invoices ${described}`;
  if (item.openBalance === null || system !== 'ams') return { kind: 'skip', action: 'unmatched', message: unmatched };
  const openBalanceCents = cents(item.openBalance);
  if (openBalanceCents === null) {
    return invalid(`${unmatched}; the open balance ${JSON.stringify(item.openBalance)} is not an amount`);
  }
  if (openBalanceCents === 0n) {
    return { kind: 'skip', action: 'skipped', message: `${unmatched}; paid in full in the AMS: nothing is owed` };
  }
  if (openBalanceCents > amountCents) {
    return invalid(`${unmatched}; the open balance ${item.openBalance} is greater than the amount ${item.amount}`);
  }
  if (item.dueDate === null || !isCalendarDate(item.dueDate)) {
    return invalid(`${unmatched}; the due date ${JSON.stringify(item.dueDate)} is not a date (YYYY-MM-DD)`);
  }
  if (!facts.policy) {
    return {
      kind: 'skip',
      action: 'unmatched',
      message: `${unmatched}; its policy ${item.policyNumber ?? '(none)'} is not known here, so no opening balance`,
    };
  }
  if (facts.policy.customerId !== facts.customerId) {
    return {
      kind: 'skip',
      action: 'conflict',
      message: `${unmatched}; its policy ${item.policyNumber} belongs to another customer`,
    };
  }
  return {
    kind: 'create',
    policy: facts.policy,
    dueDate: item.dueDate,
    amountCents,
    openBalanceCents,
    message: `opening AR: ${formatAmount(openBalanceCents)} open of ${formatAmount(amountCents)} billed in the AMS (AMS invoice ${item.externalId})`,
  };
}

function cents(value: string | null): Cents | null {
  try {
    return parseAmount(value, 'amount', { allowZero: true });
  } catch {
    return null;
  }
}

function invalid(message: string): InvoiceDecision {
  return { kind: 'skip', action: 'invalid', message };
}
