// AR aging: an open invoice's balance falls in one bucket by how many days past due it is on the
// report's date. The query groups due dates by `agingCutoffs` (one comparison per bucket, in SQL);
// `agingBucket` says the same of one invoice, and the tests hold the two to each other.
import { addDays, type CalendarDate, daysBetween } from '../../kernel/calendar.ts';
import type { Cents } from '../../kernel/money.ts';

export const agingBuckets = ['current', '1-30', '31-60', '61-90', '90+'] as const;
export type AgingBucket = (typeof agingBuckets)[number];
export type AgingAmounts = Record<AgingBucket, Cents>;

/** Days an invoice due `dueDate` is past due on `asOf`: 0 on its due date, negative before it. */
export function daysPastDue(dueDate: CalendarDate, asOf: CalendarDate): number {
  return daysBetween(dueDate, asOf);
}

export function agingBucket(dueDate: CalendarDate, asOf: CalendarDate): AgingBucket {
  const days = daysPastDue(dueDate, asOf);
  if (days <= 0) return 'current';
  if (days <= 30) return '1-30';
  if (days <= 60) return '31-60';
  if (days <= 90) return '61-90';
  return '90+';
}

/**
 * Each bucket with the earliest due date it holds on `asOf`, newest bucket first: an invoice is in
 * the first bucket whose cutoff its due date is on or after (90+ takes the rest, so has none).
 */
export function agingCutoffs(asOf: CalendarDate): { bucket: AgingBucket; dueOnOrAfter: CalendarDate | null }[] {
  return [
    { bucket: 'current', dueOnOrAfter: asOf },
    { bucket: '1-30', dueOnOrAfter: addDays(asOf, -30) },
    { bucket: '31-60', dueOnOrAfter: addDays(asOf, -60) },
    { bucket: '61-90', dueOnOrAfter: addDays(asOf, -90) },
    { bucket: '90+', dueOnOrAfter: null },
  ];
}

export function emptyAging(): AgingAmounts {
  return { current: 0n, '1-30': 0n, '31-60': 0n, '61-90': 0n, '90+': 0n };
}

export function agingTotal(amounts: AgingAmounts): Cents {
  return agingBuckets.reduce((total, bucket) => total + amounts[bucket], 0n);
}

/** The bucket amounts of several customers (or invoices) added up. */
export function addAging(rows: Iterable<AgingAmounts>): AgingAmounts {
  const total = emptyAging();
  for (const row of rows) for (const bucket of agingBuckets) total[bucket] += row[bucket];
  return total;
}
