import { invalid } from './errors.ts';

/** Money is integer minor units (cents) as bigint everywhere inside policypay. */
export type Cents = bigint;

// 999,999,999,999.99: keeps every amount exactly representable as a JSON number.
const MAX_CENTS = 99_999_999_999_999n;
const DECIMAL = /^(\d+)(?:\.(\d{1,2}))?$/;

/**
 * Parses an amount as received at the HTTP edge (a JSON number or decimal string) into cents.
 * Rejects more than two decimals, exponents, NaN, infinities and negatives.
 */
export function parseAmount(value: unknown, path: string, options: { allowZero?: boolean } = {}): Cents {
  const text = typeof value === 'number' ? numberText(value) : typeof value === 'string' ? value.trim() : '';
  if (text.startsWith('-')) throw invalid(path, 'must not be negative');
  const match = DECIMAL.exec(text);
  if (!match) throw invalid(path, 'must be an amount with at most 2 decimals, e.g. 123.45');
  const cents = BigInt(match[1]!) * 100n + BigInt((match[2] ?? '').padEnd(2, '0'));
  if (cents > MAX_CENTS) throw invalid(path, 'is larger than 999999999999.99');
  if (cents === 0n && !options.allowZero) throw invalid(path, 'must be greater than 0');
  return cents;
}

function numberText(value: number): string {
  if (!Number.isFinite(value)) return 'NaN';
  // String() gives the shortest round-trip form: 123.45 → "123.45", 0.1 + 0.2 → "0.30000000000000004".
  return String(value);
}

/** Cents → a JSON number with at most two decimals (exact for every amount under MAX_CENTS). */
export function toAmount(cents: Cents): number {
  return Number(cents) / 100;
}

/** Cents → '1,234.50' for people. */
export function formatAmount(cents: Cents, currency = 'USD'): string {
  const sign = cents < 0n ? '-' : '';
  const abs = cents < 0n ? -cents : cents;
  const whole = (abs / 100n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const symbol = currency === 'USD' ? '$' : `${currency} `;
  return `${sign}${symbol}${whole}.${(abs % 100n).toString().padStart(2, '0')}`;
}

export function sum(values: Iterable<Cents>): Cents {
  let total = 0n;
  for (const v of values) total += v;
  return total;
}

/** Splits `total` into `parts` amounts that sum exactly to it; remainder cents go to the first. */
export function splitEvenly(total: Cents, parts: number): Cents[] {
  if (parts < 1) throw new RangeError('parts must be at least 1');
  const n = BigInt(parts);
  const base = total / n;
  const remainder = total - base * n;
  return Array.from({ length: parts }, (_, i) => (i === 0 ? base + remainder : base));
}

/** Cents → '1234.50' / '-0.05': a plain decimal for files (CSV), by string arithmetic, never a float. */
export function decimalAmount(cents: Cents): string {
  const sign = cents < 0n ? '-' : '';
  const abs = cents < 0n ? -cents : cents;
  return `${sign}${abs / 100n}.${(abs % 100n).toString().padStart(2, '0')}`;
}
