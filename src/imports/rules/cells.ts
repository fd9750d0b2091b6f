import { type CalendarDate, isCalendarDate } from '../../kernel/calendar.ts';
import { DomainError } from '../../kernel/errors.ts';
import { type Cents, parseAmount } from '../../kernel/money.ts';
import type { RowProblem } from './import-kinds.ts';

/** A CSV record: column name → cell text, as csv-parse gives it with `columns: true`. */
export type CsvRecord = Readonly<Record<string, string | undefined>>;

/**
 * Reads the cells of one row, collecting a problem per bad cell instead of stopping at the first,
 * so a preview lists everything wrong with the file at once.
 */
export class RowReader {
  readonly problems: RowProblem[] = [];
  readonly row: number;
  private readonly record: CsvRecord;

  constructor(row: number, record: CsvRecord) {
    this.row = row;
    this.record = record;
  }

  problem(column: string, rule: string): void {
    this.problems.push({ row: this.row, column, rule });
  }

  /** The trimmed cell, or undefined when empty or absent. */
  optional(column: string, max = 200): string | undefined {
    const text = this.record[column]?.trim();
    if (!text) return undefined;
    if (text.length > max) {
      this.problem(column, `must be at most ${max} characters`);
      return undefined;
    }
    return text;
  }

  required(column: string, max = 200): string {
    const text = this.optional(column, max);
    if (text === undefined && !this.problems.some((p) => p.column === column)) this.problem(column, 'is required');
    return text ?? '';
  }

  date(column: string, required: true): CalendarDate;
  date(column: string, required: false): CalendarDate | undefined;
  date(column: string, required: boolean): CalendarDate | undefined {
    const text = required ? this.required(column) : this.optional(column);
    if (!text) return required ? '' : undefined;
    const date = calendarDateFrom(text);
    if (date === undefined) this.problem(column, 'must be a date YYYY-MM-DD or M/D/YYYY');
    return date ?? '';
  }

  amount(column: string, options: { required: boolean; allowZero: boolean }): Cents {
    const text = options.required ? this.required(column) : this.optional(column);
    if (!text) return 0n;
    const cents = centsFrom(text, options.allowZero);
    if (typeof cents === 'string') {
      this.problem(column, cents);
      return 0n;
    }
    return cents;
  }

  /** A whole number from 1 to the int4 maximum (customer and invoice numbers). */
  number(column: string, required: boolean): number | undefined {
    const text = required ? this.required(column) : this.optional(column);
    if (!text) return undefined;
    const n = /^\d{1,10}$/.test(text) ? Number(text) : Number.NaN;
    if (!(n >= 1 && n <= 2_147_483_647)) {
      this.problem(column, 'must be a whole number from 1 to 2147483647');
      return undefined;
    }
    return n;
  }

  oneOf<T extends string>(column: string, values: readonly T[], fallback: T): T {
    const text = this.optional(column)?.toLowerCase();
    if (text === undefined) return fallback;
    if (!(values as readonly string[]).includes(text)) {
      this.problem(column, `must be one of ${values.join(', ')}`);
      return fallback;
    }
    return text as T;
  }

  flag(column: string): boolean | undefined {
    const text = this.optional(column)?.toLowerCase();
    if (text === undefined) return undefined;
    if (['true', 'yes', 'y', '1'].includes(text)) return true;
    if (['false', 'no', 'n', '0'].includes(text)) return false;
    this.problem(column, 'must be true or false (yes/no)');
    return undefined;
  }
}

const US_DATE = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/;

/** ISO `2026-01-31` or US `1/31/2026`; undefined when neither, or not a real date. */
export function calendarDateFrom(text: string): CalendarDate | undefined {
  const us = US_DATE.exec(text);
  const iso = us ? `${us[3]}-${us[1]!.padStart(2, '0')}-${us[2]!.padStart(2, '0')}` : text;
  return isCalendarDate(iso) ? iso : undefined;
}

// An AMS export writes "$1,234.50": the dollar sign and thousands commas (in threes) are dropped.
const DOLLARS = /^\$?(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?$/;

/** Decimal dollars → cents through the kernel's parser (never a float); a string is the rule broken. */
export function centsFrom(text: string, allowZero: boolean): Cents | string {
  const match = DOLLARS.exec(text);
  const plain = match ? `${match[1]!.replaceAll(',', '')}${match[2] ?? ''}` : text;
  try {
    return parseAmount(plain, 'amount', { allowZero });
  } catch (error) {
    if (error instanceof DomainError) return error.errors[0]?.message ?? error.message;
    throw error;
  }
}
