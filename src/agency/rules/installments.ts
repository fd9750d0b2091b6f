import { addDays, addMonths, type CalendarDate } from '../../kernel/calendar.ts';
import { type Cents, splitEvenly } from '../../kernel/money.ts';

export const frequencies = ['weekly', 'biweekly', 'monthly', 'quarterly', 'semiannual', 'annual'] as const;
export type Frequency = (typeof frequencies)[number];

export interface ScheduledInstallment {
  sequence: number;
  dueDate: CalendarDate;
  amountCents: Cents;
}

/** The due date of installment number `index` (0-based) counted from the policy effective date. */
function installmentDueDate(effectiveDate: CalendarDate, frequency: Frequency, index: number): CalendarDate {
  switch (frequency) {
    case 'weekly':
      return addDays(effectiveDate, 7 * index);
    case 'biweekly':
      return addDays(effectiveDate, 14 * index);
    case 'monthly':
      return addMonths(effectiveDate, index);
    case 'quarterly':
      return addMonths(effectiveDate, 3 * index);
    case 'semiannual':
      return addMonths(effectiveDate, 6 * index);
    case 'annual':
      return addMonths(effectiveDate, 12 * index);
  }
}

/**
 * The installment schedule of a premium: due dates by frequency from the effective date and
 * amounts that sum exactly to the premium, remainder cents on the first installment.
 */
export function scheduleInstallments(
  premiumCents: Cents,
  count: number,
  frequency: Frequency,
  effectiveDate: CalendarDate,
): ScheduledInstallment[] {
  return splitEvenly(premiumCents, count).map((amountCents, index) => ({
    sequence: index + 1,
    dueDate: installmentDueDate(effectiveDate, frequency, index),
    amountCents,
  }));
}
