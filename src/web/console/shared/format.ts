// Display formatting for money, dates and enum labels.
import { serverNow } from '../api/server-clock.ts';

const money = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });

/** 1234.5 → "$1,234.50"; -20 → "-$20.00". */
export function formatMoney(amount: number): string {
  // Normalise -0 so a zero balance never shows as "-$0.00".
  return money.format(amount === 0 ? 0 : amount);
}

const dateOnly = new Intl.DateTimeFormat('en-US', {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  timeZone: 'UTC',
});

/** "2026-12-01" → "Dec 1, 2026" (a calendar date, so no time-zone shifting). */
export function formatDate(isoDate: string): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(isoDate);
  if (!match) return isoDate;
  const [, y, m, d] = match;
  return dateOnly.format(new Date(Date.UTC(Number(y), Number(m) - 1, Number(d))));
}

/** Today's calendar date (YYYY-MM-DD) in the given IANA time zone, by the server's clock. */
export function todayIn(timeZone: string, now: Date = serverNow()): string {
  try {
    return new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    }).format(now);
  } catch {
    return now.toISOString().slice(0, 10);
  }
}

const statusLabels: Record<string, string> = {
  open: 'Open',
  partially_paid: 'Partially paid',
  paid: 'Paid',
};

export function invoiceStatusLabel(status: string): string {
  return statusLabels[status] ?? status.replaceAll('_', ' ').replace(/^./, (c) => c.toUpperCase());
}

export function customerTypeLabel(type: string): string {
  return type === 'group' ? 'Group' : type === 'individual' ? 'Individual' : type;
}

/** "1,234.5" or "$20" → 1234.5; null unless a positive amount with at most 2 decimals. */
export function parseAmountInput(text: string): number | null {
  const cleaned = text.trim().replace(/^\$/, '').replaceAll(',', '');
  if (!/^\d{1,11}(\.\d{1,2})?$/.test(cleaned)) return null;
  const value = Number(cleaned);
  return value > 0 ? value : null;
}

const dateTime = new Intl.DateTimeFormat('en-US', { dateStyle: 'medium', timeStyle: 'short' });

/** An ISO timestamp in the browser's time zone: "Nov 21, 2026, 9:05 AM". */
export function formatDateTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : dateTime.format(date);
}

const requestStateLabels: Record<string, string> = {
  requested: 'Requested',
  paid: 'Paid – finalize',
  finalized: 'Finalized',
  cancelled: 'Cancelled',
  expired: 'Expired',
};

export function requestStateLabel(state: string): string {
  return requestStateLabels[state] ?? state;
}

export function requestStateTone(state: string): string {
  if (state === 'finalized') return 'green';
  if (state === 'paid') return 'amber';
  if (state === 'requested') return 'blue';
  return 'gray';
}

/** "succeeded" → "Succeeded", "cancellation_pending" → "Cancellation pending". */
export function humanize(value: string): string {
  return value.replaceAll('_', ' ').replace(/^./, (c) => c.toUpperCase());
}
