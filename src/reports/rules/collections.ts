// Collections per day: the receipts that were not reversed, added up by the day they were received,
// by the channel the money came through and by its method (the receipt's payment type).
import type { CalendarDate } from '../../kernel/calendar.ts';
import type { Cents } from '../../kernel/money.ts';
import { daysOf } from './report-range.ts';

export const collectionChannels = ['agent_sweep', 'secure_checkout', 'autopay', 'manual'] as const;
export type CollectionChannel = (typeof collectionChannels)[number];

/**
 * A receipt's channel: its payment's when policypay collected it (agent sweep, secure checkout,
 * autopay), else `manual` (posted by staff or an integration, or imported).
 */
export function collectionChannel(source: string, paymentChannel: string | null): CollectionChannel {
  const channel = paymentChannel ?? (source === 'autopay' ? 'autopay' : null);
  return collectionChannels.find((c) => c === channel) ?? 'manual';
}

/** One group of the query: the receipts of a day, channel and method. */
export interface CollectionGroup {
  day: CalendarDate;
  channel: CollectionChannel;
  method: string;
  count: number;
  amountCents: Cents;
}

export interface CollectionDay {
  day: CalendarDate;
  count: number;
  totalCents: Cents;
  byChannel: Record<CollectionChannel, Cents>;
  byMethod: Record<string, Cents>;
}

export interface CollectionsReport {
  days: CollectionDay[];
  methods: string[];
  totals: Omit<CollectionDay, 'day'>;
}

function emptyDay(methods: readonly string[]): Omit<CollectionDay, 'day'> {
  return {
    count: 0,
    totalCents: 0n,
    byChannel: { agent_sweep: 0n, secure_checkout: 0n, autopay: 0n, manual: 0n },
    byMethod: Object.fromEntries(methods.map((m) => [m, 0n])),
  };
}

function add(into: Omit<CollectionDay, 'day'>, group: CollectionGroup): void {
  into.count += group.count;
  into.totalCents += group.amountCents;
  into.byChannel[group.channel] += group.amountCents;
  into.byMethod[group.method] = (into.byMethod[group.method] ?? 0n) + group.amountCents;
}

/** The groups as one row a day from `from` to `to` (days without receipts at zero), with totals. */
export function collectionsByDay(groups: readonly CollectionGroup[], from: CalendarDate, to: CalendarDate) {
  const methods = [...new Set(groups.map((g) => g.method))].sort();
  const days = new Map(daysOf(from, to).map((day) => [day, { day, ...emptyDay(methods) }]));
  const totals = emptyDay(methods);
  for (const group of groups) {
    const day = days.get(group.day);
    if (!day) continue;
    add(day, group);
    add(totals, group);
  }
  return { days: [...days.values()], methods, totals } satisfies CollectionsReport;
}
