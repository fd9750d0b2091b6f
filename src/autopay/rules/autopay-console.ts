import { addDays, type CalendarDate, dateInZone } from '../../kernel/calendar.ts';
import type { Cents } from '../../kernel/money.ts';

/**
 * What the console's Autopay page shows, as rules: the pulls due per day, which failed pulls may
 * be fired again, and a pass's summary. Pure: the caller loads the facts and passes `now`.
 */

/** Days the due forecast covers, today (agency calendar) included. */
const DUE_FORECAST_DAYS = 14;

/**
 * The instants to read pending autopay times between: wide enough to hold every instant of the
 * agency's days today … today + days − 1 in any zone (offsets stay within ±14 hours), so the
 * days themselves are decided by `dueDays`, in the agency's zone, never by SQL.
 */
export function dueForecastWindow(now: Date, days = DUE_FORECAST_DAYS): { from: Date; to: Date } {
  const dayMs = 86_400_000;
  const startOfUtcDay = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return { from: new Date(startOfUtcDay - dayMs), to: new Date(startOfUtcDay + (days + 1) * dayMs) };
}

export interface DueBucket {
  /** An instant (the reads group autopay times by quarter hour, the finest zone offset step). */
  at: Date;
  count: number;
  amountCents: Cents;
}

export interface DueDay {
  date: CalendarDate;
  count: number;
  amountCents: Cents;
}

/**
 * The pulls due per agency day, today first, every day present (a day with none is 0): today is
 * the server clock's date in the agency's zone. A bucket outside the days is not counted.
 */
export function dueDays(
  buckets: readonly DueBucket[],
  now: Date,
  timeZone: string,
  days = DUE_FORECAST_DAYS,
): DueDay[] {
  const today = dateInZone(now, timeZone);
  const result: DueDay[] = Array.from({ length: days }, (_, i) => ({
    date: addDays(today, i),
    count: 0,
    amountCents: 0n,
  }));
  const index = new Map(result.map((day, i) => [day.date, i]));
  for (const bucket of buckets) {
    const i = index.get(dateInZone(bucket.at, timeZone));
    if (i === undefined) continue;
    const day = result[i]!;
    day.count += bucket.count;
    day.amountCents += bucket.amountCents;
  }
  return result;
}

/** A firing as the failed-pulls list and the re-fire see it. */
export interface PullFacts {
  firingStatus: 'claimed' | 'payment_created' | 'receipt_posted' | 'no_payment' | 'failed' | 'retry_due';
  /** The state of the payment the firing created, if any. */
  paymentState: string | null;
}

/**
 * Whether autopay's pull for an invoice failed: the firing failed (the plugin failed, answered
 * nonsense, or its payment was refused), or the payment it created ended `failed` (declined for
 * good, its retry plan spent). Either took no money.
 */
export function isFailedPull(pull: PullFacts): boolean {
  return pull.firingStatus === 'failed' || (pull.firingStatus === 'payment_created' && pull.paymentState === 'failed');
}

/**
 * Why a pull may not be fired again, or null when it may. Only a failed pull: one that created a
 * payment still in flight or posted, or posted a receipt, must never fire twice. An invoice paid
 * meanwhile has nothing to pull. The in-flight rule of payment creation is asked on top of this.
 */
export function refireRefusal(pull: PullFacts, balanceCents: Cents): string | null {
  if (!isFailedPull(pull)) {
    const what = pull.paymentState ? `${pull.firingStatus} (payment ${pull.paymentState})` : pull.firingStatus;
    return `its autopay firing is ${what}: only a failed or declined pull can be fired again`;
  }
  if (balanceCents <= 0n) return 'it has no open balance: it was paid meanwhile';
  return null;
}

/** A pass as the console summarizes it. */
export interface RunSummaryFacts {
  examined: number;
  fired: number;
  receiptsPosted: number;
  failed: number;
  skipped: Readonly<Record<string, number>>;
  /** The payments this pass's firings created that have since posted, and that ended failed. */
  paymentsPosted: number;
  paymentsFailed: number;
}

export interface RunSummary {
  due: number;
  fired: number;
  /** Money collected: payments posted since, and receipts a plugin posted itself. */
  posted: number;
  /** The pass's failed firings and its payments declined for good since. */
  failed: number;
  skipped: number;
}

export function summarizeRun(run: RunSummaryFacts): RunSummary {
  return {
    due: run.examined,
    fired: run.fired,
    posted: run.paymentsPosted + run.receiptsPosted,
    failed: run.failed + run.paymentsFailed,
    skipped: Object.values(run.skipped).reduce((total, n) => total + n, 0),
  };
}
