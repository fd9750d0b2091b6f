import { addDays, type CalendarDate } from '../../kernel/calendar.ts';

/**
 * When autopay fires for an installment: its due date minus the plan's lead days, at the agency's
 * `autopayHour` o'clock local time in the agency's time zone. Pure: no clock, no database.
 */

export interface AutopayTiming {
  /** The installment plan's `autopayLeadDays`; null = the plan has no autopay. */
  leadDays: number | null;
  /** 0–23, local time of day. */
  hour: number;
  /** IANA zone of the agency. */
  timeZone: string;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let fmt = formatters.get(timeZone);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, fmt);
  }
  return fmt;
}

/** The zone's wall clock at `instant`, read as if it were UTC (milliseconds). */
function wallClockMs(instant: number, timeZone: string): number {
  const parts: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(new Date(instant))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  return Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
}

/** The zone's UTC offset at `instant`, in milliseconds (east positive). */
function offsetMs(instant: number, timeZone: string): number {
  return wallClockMs(instant, timeZone) - Math.floor(instant / 1000) * 1000;
}

/**
 * The instant at which the zone's clocks show `date` `hour`:00. Daylight-saving changes are
 * resolved like Temporal's `compatible` disambiguation:
 * - a wall time that happens twice (fall back) is the earlier of the two;
 * - a wall time that does not exist (spring forward gap) is moved later by the gap's length, so
 *   02:00 on a day the clocks jump from 02:00 to 03:00 becomes 03:00 — the first moment of that
 *   day at or after the hour asked for, never a time on the previous day.
 */
export function zonedWallTime(date: CalendarDate, hour: number, timeZone: string): Date {
  if (!Number.isInteger(hour) || hour < 0 || hour > 23) throw new RangeError(`hour must be 0–23, got ${hour}`);
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const wall = Date.UTC(y, m - 1, d, hour);
  // The offsets a day either side: a zone changes offset at most once in that span.
  const before = offsetMs(wall - 86_400_000, timeZone);
  const after = offsetMs(wall + 86_400_000, timeZone);
  const candidates = [wall - before, wall - after].filter((t) => wallClockMs(t, timeZone) === wall);
  if (candidates.length > 0) return new Date(Math.min(...candidates));
  // In the gap: read the wall time with the offset in force before the change.
  return new Date(wall - before);
}

/** An installment's autopay time, or null when its plan has no lead days. */
export function installmentAutopayTime(dueDate: CalendarDate, timing: AutopayTiming): Date | null {
  if (timing.leadDays === null) return null;
  if (!Number.isInteger(timing.leadDays) || timing.leadDays < 0) {
    throw new RangeError(`autopay lead days must be a whole number ≥ 0, got ${timing.leadDays}`);
  }
  return zonedWallTime(addDays(dueDate, -timing.leadDays), timing.hour, timing.timeZone);
}

/** An invoice's autopay time: the earliest of its installments'; null when none has one. */
export function invoiceAutopayTime(installmentTimes: readonly (Date | null)[]): Date | null {
  let earliest: Date | null = null;
  for (const time of installmentTimes) {
    if (time && (!earliest || time.getTime() < earliest.getTime())) earliest = time;
  }
  return earliest;
}
