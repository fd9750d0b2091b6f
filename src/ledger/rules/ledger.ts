import type { CalendarDate } from '../../kernel/calendar.ts';
import type { Cents } from '../../kernel/money.ts';

/**
 * `processor_clearing` (an asset) and `payments_held` (owed to the customer) hold money a client
 * paid online for a payment request until staff finalize it into a cash receipt.
 * `opening_balance` (equity-like) balances AR imported from another system: that premium was
 * billed and earned before policypay kept the books.
 * `convenience_fees` (income) is what a client paid as a card or bank-account convenience fee on
 * top of the premium (issue 20.3): never AR, never On Account.
 */
export type LedgerAccount =
  | 'accounts_receivable'
  | 'on_account'
  | 'premium'
  | 'cash'
  | 'fees'
  | 'processor_clearing'
  | 'payments_held'
  | 'opening_balance'
  | 'convenience_fees';

/** A line's amount is signed: a debit is positive, a credit negative. */
export interface JournalLineDraft {
  account: LedgerAccount;
  amountCents: Cents;
  customerId?: string | undefined;
  invoiceId?: string | undefined;
  bankId?: string | undefined;
}

export interface JournalEntryDraft {
  kind: string;
  description: string;
  occurredOn: CalendarDate;
  sourceType?: string | undefined;
  sourceId?: string | undefined;
  reversesEntryId?: string | undefined;
  lines: JournalLineDraft[];
}

/** The database checks this too (a deferred constraint trigger); checking first gives a clear error. */
export function assertBalanced(entry: Pick<JournalEntryDraft, 'kind' | 'lines'> & { description?: string }): void {
  const name = entry.description ?? entry.kind;
  if (entry.lines.length < 2) throw new Error(`journal entry "${name}" needs at least two lines`);
  let total = 0n;
  for (const line of entry.lines) {
    if (line.amountCents === 0n) throw new Error(`journal entry "${name}" has a zero line`);
    total += line.amountCents;
  }
  if (total !== 0n) throw new Error(`journal entry "${name}" does not balance: ${total}`);
}

/** Billing an invoice: the customer owes it (debit AR), premium is earned/payable (credit). */
export function invoiceEntry(input: {
  customerId: string;
  invoiceId: string;
  invoiceNumber: number;
  amountCents: Cents;
  occurredOn: CalendarDate;
  /** What the billed amount is: premium (default), an agency fee (an NSF fee), or imported opening AR. */
  revenueAccount?: 'premium' | 'fees' | 'opening_balance';
}): JournalEntryDraft {
  return {
    kind: 'invoice',
    description: `Invoice ${input.invoiceNumber}`,
    occurredOn: input.occurredOn,
    sourceType: 'invoice',
    sourceId: input.invoiceId,
    lines: [
      {
        account: 'accounts_receivable',
        amountCents: input.amountCents,
        customerId: input.customerId,
        invoiceId: input.invoiceId,
      },
      { account: input.revenueAccount ?? 'premium', amountCents: -input.amountCents, customerId: input.customerId },
    ],
  };
}

export type InvoiceStatus = 'open' | 'partially_paid' | 'paid';

export function invoiceStatus(amountCents: Cents, balanceCents: Cents): InvoiceStatus {
  if (balanceCents <= 0n) return 'paid';
  return balanceCents < amountCents ? 'partially_paid' : 'open';
}

/** The entry that undoes another: every line negated, dated when the reversal happens. */
export function reversalEntry(input: {
  originalEntryId: string;
  lines: readonly JournalLineDraft[];
  kind: string;
  description: string;
  occurredOn: CalendarDate;
  sourceType: string;
  sourceId: string;
}): JournalEntryDraft {
  return {
    kind: input.kind,
    description: input.description,
    occurredOn: input.occurredOn,
    sourceType: input.sourceType,
    sourceId: input.sourceId,
    reversesEntryId: input.originalEntryId,
    lines: input.lines.map((line) => ({ ...line, amountCents: -line.amountCents })),
  };
}
