import { type CalendarDate, dateInZone, isCalendarDate } from './calendar.ts';
import { invalid } from './errors.ts';

/** AMS360 payment type codes and names, each to one canonical value. */
export const paymentCheckTypes = ['Check', 'Cash', 'CreditCard', 'DebitCard', 'EFT'] as const;
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
