// The date range a report covers: both ends inclusive, in the agency's calendar, bounded so one
// request stays one bounded read.
import { addDays, type CalendarDate, daysBetween } from '../../kernel/calendar.ts';
import { invalid } from '../../kernel/errors.ts';

const MAX_REPORT_DAYS = 366;

/**
 * `from`..`to` as asked, or the `defaultDays` ending `today` when `from` is left out (`to` defaults
 * to today). Refuses a range that runs backwards or is longer than `maxDays`, naming the field.
 */
export function reportRange(
  asked: { from?: CalendarDate | undefined; to?: CalendarDate | undefined },
  today: CalendarDate,
  defaultDays: number,
  maxDays = MAX_REPORT_DAYS,
): { from: CalendarDate; to: CalendarDate } {
  const to = asked.to ?? today;
  const from = asked.from ?? addDays(to, 1 - defaultDays);
  if (from > to) throw invalid('querystring/from', 'must be on or before to');
  if (daysBetween(from, to) + 1 > maxDays)
    throw invalid('querystring/from', `must be at most ${maxDays} days before to`);
  return { from, to };
}

/** Every calendar date from `from` to `to`, inclusive: a chart shows the days nothing happened too. */
export function daysOf(from: CalendarDate, to: CalendarDate): CalendarDate[] {
  const days: CalendarDate[] = [];
  for (let day = from; day <= to; day = addDays(day, 1)) days.push(day);
  return days;
}
