import { addDays, addMonths, type CalendarDate, dateInZone, isCalendarDate } from '../../kernel/calendar.ts';
import { DomainError, invalid } from '../../kernel/errors.ts';

/** AMS360 payment type codes and names, each to one canonical value. */
const paymentCheckTypes = ['Check', 'Cash', 'CreditCard', 'DebitCard', 'EFT'] as const;
export type PaymentCheckType = (typeof paymentCheckTypes)[number];

const checkTypeAliases: Readonly<Record<string, PaymentCheckType>> = {
  h: 'Check',
  check: 'Check',
  a: 'Cash',
  cash: 'Cash',
  r: 'CreditCard',
  creditcard: 'CreditCard',
  d: 'DebitCard',
  debitcard: 'DebitCard',
  e: 'EFT',
  eft: 'EFT',
};

export function parsePaymentCheckType(value: string, path = 'paymentCheckType'): PaymentCheckType {
  const type = checkTypeAliases[value.trim().toLowerCase()];
  if (!type) {
    throw invalid(path, 'must be one of H or Check, A or Cash, R or CreditCard, D or DebitCard, E or EFT');
  }
  return type;
}

const DATE_TIME = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * A receipt date is date-only. A time of day is truncated: with an offset or `Z` the instant is
 * first converted to the request's time zone; without one the written date stands.
 */
export function parseReceiptDate(value: string, timeZone: string, path = 'receiptDate'): CalendarDate {
  const match = DATE_TIME.exec(value.trim());
  const date = match?.[1];
  if (!match || !date || !isCalendarDate(date)) {
    throw invalid(
      path,
      'must be a date (YYYY-MM-DD), optionally with a time (YYYY-MM-DDTHH:mm:ss, with or without an offset)',
    );
  }
  const [hours, minutes, seconds] = [Number(match[2] ?? 0), Number(match[3] ?? 0), Number(match[4] ?? 0)];
  if (hours > 23 || minutes > 59 || seconds > 59) throw invalid(path, 'has a time of day that does not exist');
  const offset = match[5];
  if (!offset) return date;
  const instant = new Date(`${value.trim().replace(' ', 'T')}`.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
  if (Number.isNaN(instant.getTime())) throw invalid(path, 'is not a valid date-time');
  return dateInZone(instant, timeZone);
}

/** Invoice numbers come as integers or as multi-entity strings like "1234-1" (meaning 1234). */
export function parseInvoiceNumber(value: number | string, path: string): number {
  const text = String(value).trim();
  const match = /^(\d{1,10})(?:-\d{1,6})?$/.exec(text);
  const number = match ? Number(match[1]) : Number.NaN;
  if (!Number.isSafeInteger(number) || number <= 0 || number > 2_147_483_647) {
    throw invalid(path, 'must be an invoice number like 1234 or 1234-1');
  }
  return number;
}

/** Only the last four digits of a payer's bank account are kept. */
export function maskAccountNumber(value: string): string | null {
  const digits = value.replace(/\D/g, '');
  return digits.length ? digits.slice(-4) : null;
}

/** The receipt's camelCase fields and those of its items (the names the API documents). */
const receiptFields = [
  'customerNumber',
  'invoiceInformations',
  'receiptAmount',
  'receiptDate',
  'receiptDateTimeZone',
  'bankShortName',
  'receiptDescription',
  'paymentCheckType',
  'payerBankAccountNumber',
  'payerCheckNumber',
] as const;
const itemFields = ['invoiceNumber', 'paymentAmount', 'invoicePaymentDescription'] as const;

/**
 * AMS360's own documentation writes the fields PascalCase (`CustomerNumber`, `ReceiptDate`, …);
 * its vendors send either spelling. Renames the PascalCase fields of a receipt and of its items to
 * camelCase and leaves anything else for the schema to judge. A field sent in both spellings is
 * refused naming both: which one was meant is a guess.
 */
export function camelCaseReceiptFields(body: unknown): unknown {
  if (!isPlainObject(body)) return body;
  const receipt = renameFields(body, receiptFields, '');
  const items = receipt.invoiceInformations;
  if (Array.isArray(items)) {
    receipt.invoiceInformations = items.map((item, index) =>
      isPlainObject(item) ? renameFields(item, itemFields, `invoiceInformations/${index}/`) : item,
    );
  }
  return receipt;
}

function renameFields(
  object: Record<string, unknown>,
  fields: readonly string[],
  prefix: string,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...object };
  for (const camel of fields) {
    const pascal = camel[0]!.toUpperCase() + camel.slice(1);
    if (!Object.hasOwn(object, pascal)) continue;
    if (Object.hasOwn(object, camel)) {
      throw new DomainError(
        'validation_failed',
        `${prefix}${camel} and ${prefix}${pascal} are the same field: send one spelling`,
        {
          errors: [
            { path: `${prefix}${camel}`, message: `is also sent as ${pascal}: send one spelling` },
            { path: `${prefix}${pascal}`, message: `is also sent as ${camel}: send one spelling` },
          ],
        },
      );
    }
    out[camel] = object[pascal];
    delete out[pascal];
  }
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** How far from today (in the receipt's time zone) a receipt date may be. */
export const RECEIPT_DATE_YEARS_BACK = 5;
export const RECEIPT_DATE_DAYS_AHEAD = 7;

/**
 * A receipt date must be near today: money received more than five years ago, or more than a week
 * from now, is a typo (2062, 1926) rather than a receipt. The week ahead leaves room for a vendor's
 * clock and a weekend batch; older receipts belong in the AMS's own conversion, not this API.
 */
export function checkReceiptDateWindow(receiptDate: CalendarDate, today: CalendarDate, path = 'receiptDate'): void {
  const earliest = addMonths(today, -12 * RECEIPT_DATE_YEARS_BACK);
  const latest = addDays(today, RECEIPT_DATE_DAYS_AHEAD);
  if (receiptDate < earliest || receiptDate > latest) {
    throw new DomainError(
      'validation_failed',
      `${path} ${receiptDate} is outside the accepted window ${earliest} to ${latest} (at most ${RECEIPT_DATE_YEARS_BACK} years back and ${RECEIPT_DATE_DAYS_AHEAD} days ahead of today, ${today})`,
      {
        errors: [
          {
            path,
            message: `must be between ${earliest} and ${latest} (at most ${RECEIPT_DATE_YEARS_BACK} years back, ${RECEIPT_DATE_DAYS_AHEAD} days ahead)`,
          },
        ],
      },
    );
  }
}

/**
 * The payer's bank account and check number mean something only for a check: for any other
 * type they are ignored whatever they hold (AMS360: "ignored unless the PaymentCheckType is
 * Check"). For a check each must be a string (or a whole number) of bounded length.
 */
export function checkFields(
  type: PaymentCheckType,
  input: { payerBankAccountNumber?: unknown; payerCheckNumber?: unknown },
): { payerBankAccountNumber: string | undefined; payerCheckNumber: string | undefined } {
  if (type !== 'Check') return { payerBankAccountNumber: undefined, payerCheckNumber: undefined };
  return {
    payerBankAccountNumber: checkField(input.payerBankAccountNumber, 'payerBankAccountNumber', 34),
    payerCheckNumber: checkField(input.payerCheckNumber, 'payerCheckNumber', 20),
  };
}

function checkField(value: unknown, path: string, max: number): string | undefined {
  if (value === undefined || value === null) return undefined;
  const text = typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? String(value) : value;
  if (typeof text !== 'string') throw invalid(path, 'must be a string for a Check');
  const trimmed = text.trim();
  if (trimmed.length > max) throw invalid(path, `must be at most ${max} characters`);
  return trimmed || undefined;
}
