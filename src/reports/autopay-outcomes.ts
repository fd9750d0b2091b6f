// Autopay's attempts at the processor by the agency day they started, by outcome and decline code.
// A caller limited to some banks sees the autopay payments deposited to those, as with receipts.
import { sql } from 'kysely';
import { getAgency } from '../agency/agencies.ts';
import type { Actor } from '../kernel/actor.ts';
import { addDays, type CalendarDate } from '../kernel/calendar.ts';
import type { Db } from '../platform/db/transaction.ts';
import { type AttemptGroup, autopayOutcomes } from './rules/autopay-outcomes.ts';

export async function autopayReport(db: Db, actor: Actor, range: { from: CalendarDate; to: CalendarDate }) {
  const { timeZone } = await getAgency(db, actor.agencyId);
  const day = sql<string>`((payment_attempts.started_at AT TIME ZONE ${timeZone}::text)::date)::text`;
  let query = db
    .selectFrom('payment_attempts')
    .innerJoin('payments', 'payments.id', 'payment_attempts.payment_id')
    .innerJoin('banks', 'banks.id', 'payments.bank_id')
    .innerJoin('bank_divisions', 'bank_divisions.id', 'banks.division_id')
    .select([
      day.as('day'),
      'payment_attempts.status',
      'payment_attempts.decline_code',
      sql<string>`count(*)`.as('count'),
    ])
    .where('payment_attempts.agency_id', '=', actor.agencyId)
    .where('payments.channel', '=', 'autopay')
    // A day either side in UTC: the agency's days begin and end at other instants.
    .where('payment_attempts.started_at', '>=', new Date(`${addDays(range.from, -1)}T00:00:00Z`))
    .where('payment_attempts.started_at', '<', new Date(`${addDays(range.to, 2)}T00:00:00Z`));
  if (actor.banks) query = query.where('banks.short_name', 'in', actor.banks.length ? actor.banks : ['']);
  if (actor.divisions) {
    query = query.where('bank_divisions.name', 'in', actor.divisions.length ? actor.divisions : ['']);
  }
  // By position: the day's expression holds a parameter, which Postgres does not match between the
  // select list and a GROUP BY of its own.
  const rows = await query.groupBy(sql.raw('1, 2, 3')).execute();
  const groups: AttemptGroup[] = rows.map((row) => ({
    day: row.day,
    status: row.status,
    declineCode: row.decline_code,
    count: Number(row.count),
  }));
  return { ...range, timeZone, ...autopayOutcomes(groups, range.from, range.to) };
}
