import type { CalendarDate } from '../../kernel/calendar.ts';
import { DomainError } from '../../kernel/errors.ts';
import { type Cents, formatAmount } from '../../kernel/money.ts';
import type { JournalEntryDraft, JournalLineDraft } from './ledger.ts';
import { receiptEntryDescription, withReceiptNumber } from './receipt-texts.ts';

/**
 * Cash application: the one function every money-in path uses (the receipt API, portal payments,
 * autopay, finalized payment requests). Pure: the caller loads the invoices' open balances
 * (locked) and passes them in.
 */
export interface OpenInvoice {
  id: string;
  invoiceNumber: number;
  balanceCents: Cents;
}

export interface PaymentItem {
  /** Absent: the whole amount goes On Account. */
  invoice?: OpenInvoice | undefined;
  amountCents: Cents;
  description?: string | undefined;
}

export interface Application {
  invoiceId: string | null;
  invoiceNumber: number | null;
  /** Applied to the invoice's balance. */
  appliedCents: Cents;
  /** What this item put On Account: all of it without an invoice, or what exceeded the balance. */
  onAccountCents: Cents;
  description: string;
  /** Said when money went On Account although an invoice was named. */
  note?: string | undefined;
}

export interface ApplicationResult {
  applications: Application[];
  appliedCents: Cents;
  onAccountCents: Cents;
}

/** Applies items in order; two items for the same invoice see the balance the first one left. */
export function applyPayment(items: readonly PaymentItem[]): ApplicationResult {
  const balances = new Map<string, Cents>();
  const applications: Application[] = [];
  let appliedCents = 0n;
  let onAccountCents = 0n;
  for (const item of items) {
    if (item.amountCents <= 0n) throw new RangeError('payment amounts must be positive');
    if (!item.invoice) {
      applications.push({
        invoiceId: null,
        invoiceNumber: null,
        appliedCents: 0n,
        onAccountCents: item.amountCents,
        description: item.description?.trim() || 'Payment On Account',
      });
      onAccountCents += item.amountCents;
      continue;
    }
    const { id, invoiceNumber } = item.invoice;
    const balance = balances.get(id) ?? (item.invoice.balanceCents > 0n ? item.invoice.balanceCents : 0n);
    const applied = item.amountCents < balance ? item.amountCents : balance;
    const excess = item.amountCents - applied;
    balances.set(id, balance - applied);
    let note: string | undefined;
    if (excess > 0n) {
      note =
        applied === 0n
          ? `invoice ${invoiceNumber} was already paid in full: ${formatAmount(excess)} went On Account`
          : `invoice ${invoiceNumber} had an open balance of ${formatAmount(balance)}: ${formatAmount(excess)} went On Account`;
    }
    applications.push({
      invoiceId: id,
      invoiceNumber,
      appliedCents: applied,
      onAccountCents: excess,
      // A blank description is generated like a missing one (AMS360: "if not provided").
      description: item.description?.trim() || defaultItemDescription(invoiceNumber, applied, excess),
      ...(note ? { note } : {}),
    });
    appliedCents += applied;
    onAccountCents += excess;
  }
  return { applications, appliedCents, onAccountCents };
}

function defaultItemDescription(invoiceNumber: number, applied: Cents, excess: Cents): string {
  if (applied === 0n) return `Payment for invoice ${invoiceNumber} (paid in full; On Account)`;
  if (excess > 0n) return `Payment on invoice ${invoiceNumber}; ${formatAmount(excess)} On Account`;
  return `Payment on invoice ${invoiceNumber}`;
}

/**
 * A receipt's journal lines: debit the bank's cash; credit AR per invoice and On Account for the
 * rest. Its description names the receipt's number (`receiptEntryDescription`). A convenience fee
 * the client paid with it (issue 20.3) is cash too, credited to `convenience_fees`: its own line,
 * never AR and never On Account.
 */
export function receiptEntryLines(input: {
  customerId: string;
  bankId: string;
  amountCents: Cents;
  result: ApplicationResult;
  feeCents?: Cents | undefined;
}): JournalLineDraft[] {
  const { result } = input;
  if (result.appliedCents + result.onAccountCents !== input.amountCents) {
    throw new DomainError('unprocessable', 'the applications do not add up to the receipt amount');
  }
  const fee = input.feeCents ?? 0n;
  if (fee < 0n) throw new RangeError('a convenience fee is never negative');
  const lines: JournalLineDraft[] = [{ account: 'cash', amountCents: input.amountCents + fee, bankId: input.bankId }];
  if (fee > 0n) lines.push({ account: 'convenience_fees', amountCents: -fee });
  for (const application of result.applications) {
    if (application.appliedCents > 0n && application.invoiceId) {
      lines.push({
        account: 'accounts_receivable',
        amountCents: -application.appliedCents,
        customerId: input.customerId,
        invoiceId: application.invoiceId,
      });
    }
  }
  if (result.onAccountCents > 0n) {
    lines.push({ account: 'on_account', amountCents: -result.onAccountCents, customerId: input.customerId });
  }
  return lines;
}

/** One journal entry per receipt, for a receipt whose number is known. */
export function receiptEntry(input: {
  receiptId: string;
  receiptNumber: number;
  customerId: string;
  bankId: string;
  amountCents: Cents;
  receiptDate: CalendarDate;
  result: ApplicationResult;
  description: string;
}): JournalEntryDraft {
  return {
    kind: 'receipt',
    description: withReceiptNumber(receiptEntryDescription(input.description), input.receiptNumber),
    occurredOn: input.receiptDate,
    sourceType: 'receipt',
    sourceId: input.receiptId,
    lines: receiptEntryLines(input),
  };
}

/** Using On Account credit to pay an invoice: no new cash, credit moves from On Account to AR. */
export function onAccountApplicationEntry(input: {
  customerId: string;
  invoiceId: string;
  invoiceNumber: number;
  amountCents: Cents;
  occurredOn: CalendarDate;
}): JournalEntryDraft {
  return {
    kind: 'on_account_application',
    description: `On Account credit applied to invoice ${input.invoiceNumber}`,
    occurredOn: input.occurredOn,
    sourceType: 'invoice',
    sourceId: input.invoiceId,
    lines: [
      { account: 'on_account', amountCents: input.amountCents, customerId: input.customerId },
      {
        account: 'accounts_receivable',
        amountCents: -input.amountCents,
        customerId: input.customerId,
        invoiceId: input.invoiceId,
      },
    ],
  };
}

/** A receipt's description when the caller gives none: `Check #1043 from Jane Smith`, … */
export function defaultReceiptDescription(input: {
  type: string;
  customerName: string;
  checkNumber?: string | null | undefined;
  invoiceNumbers: number[];
}): string {
  const invoices = [...new Set(input.invoiceNumbers)];
  const forInvoices =
    invoices.length === 0 ? 'On Account' : `invoice${invoices.length > 1 ? 's' : ''} ${invoices.join(', ')}`;
  switch (input.type) {
    case 'Check':
      return input.checkNumber
        ? `Check #${input.checkNumber} from ${input.customerName}`
        : `Check from ${input.customerName} for ${forInvoices}`;
    case 'Cash':
      return `Cash payment from ${input.customerName} for ${forInvoices}`;
    case 'CreditCard':
      return `Credit card payment for ${forInvoices}`;
    case 'DebitCard':
      return `Debit card payment for ${forInvoices}`;
    default:
      return `EFT payment for ${forInvoices}`;
  }
}
