// Autopay's success rate and decline reasons: the processor attempts of autopay payments, by the
// day they started. The rate counts only attempts that ended (succeeded or declined); one still
// pending or unknown is neither, and a payment retried after a decline counts each attempt.
import type { CalendarDate } from '../../kernel/calendar.ts';
import { daysOf } from './report-range.ts';

/** One group of the query: a day's attempts that ended in one status (and decline code). */
export interface AttemptGroup {
  day: CalendarDate;
  status: string;
  declineCode: string | null;
  count: number;
}

export interface AutopayDay {
  day: CalendarDate;
  attempts: number;
  succeeded: number;
  declined: number;
  /** Succeeded ÷ ended, as a percentage to one decimal; null on a day nothing ended. */
  successRate: number | null;
  /** Declined attempts by decline code (the processor's, or `unspecified`). */
  declines: Record<string, number>;
}

const UNSPECIFIED_DECLINE = 'unspecified';

/** Percent to one decimal from whole counts (what the chart plots; never money). */
export function successRate(succeeded: number, declined: number): number | null {
  const ended = succeeded + declined;
  return ended === 0 ? null : Math.round((succeeded * 1000) / ended) / 10;
}

function emptyDay(day: CalendarDate): AutopayDay {
  return { day, attempts: 0, succeeded: 0, declined: 0, successRate: null, declines: {} };
}

export function autopayOutcomes(groups: readonly AttemptGroup[], from: CalendarDate, to: CalendarDate) {
  const days = new Map(daysOf(from, to).map((day) => [day, emptyDay(day)]));
  const totals = emptyDay(to);
  for (const group of groups) {
    const day = days.get(group.day);
    if (!day) continue;
    const code = group.declineCode || UNSPECIFIED_DECLINE;
    for (const into of [day, totals]) {
      into.attempts += group.count;
      if (group.status === 'succeeded') into.succeeded += group.count;
      if (group.status === 'declined') {
        into.declined += group.count;
        into.declines[code] = (into.declines[code] ?? 0) + group.count;
      }
    }
  }
  for (const day of [...days.values(), totals]) day.successRate = successRate(day.succeeded, day.declined);
  const { day: _, ...total } = totals;
  return {
    days: [...days.values()],
    // Most frequent first; a tie by code, so the order is the same every time.
    reasons: Object.entries(totals.declines)
      .map(([code, count]) => ({ code, count }))
      .sort((a, b) => b.count - a.count || a.code.localeCompare(b.code)),
    totals: total,
  };
}
