import { dateInZone } from '../kernel/calendar.ts';
import { notFound } from '../kernel/errors.ts';
import type { Db, Tx } from '../platform/db/transaction.ts';

export interface AgencyView {
  id: string;
  slug: string;
  name: string;
  timeZone: string;
}

export async function getAgency(db: Db | Tx, agencyId: string): Promise<AgencyView> {
  const row = await db
    .selectFrom('agencies')
    .select(['id', 'slug', 'name', 'time_zone'])
    .where('id', '=', agencyId)
    .executeTakeFirst();
  if (!row) throw notFound('agency', agencyId);
  return { id: row.id, slug: row.slug, name: row.name, timeZone: row.time_zone };
}

export async function findAgencyBySlug(db: Db | Tx, slug: string): Promise<AgencyView | undefined> {
  const row = await db
    .selectFrom('agencies')
    .select(['id', 'slug', 'name', 'time_zone'])
    .where('slug', '=', slug)
    .executeTakeFirst();
  return row ? { id: row.id, slug: row.slug, name: row.name, timeZone: row.time_zone } : undefined;
}

interface NewAgencyRow {
  slug: string;
  name: string;
  timeZone?: string | undefined;
  addressLine1?: string | undefined;
  city?: string | undefined;
  state?: string | undefined;
  postalCode?: string | undefined;
}

export async function createAgency(db: Db | Tx, input: NewAgencyRow): Promise<AgencyView & { createdAt: Date }> {
  const row = await db
    .insertInto('agencies')
    .values({
      slug: input.slug,
      name: input.name,
      ...(input.timeZone ? { time_zone: input.timeZone } : {}),
      // Only the columns given: a test of an older migration creates agencies before 0016 added these.
      ...(input.addressLine1 ? { address_line1: input.addressLine1 } : {}),
      ...(input.city ? { city: input.city } : {}),
      ...(input.state ? { state: input.state } : {}),
      ...(input.postalCode ? { postal_code: input.postalCode } : {}),
    })
    .returning(['id', 'slug', 'name', 'time_zone', 'created_at'])
    .executeTakeFirstOrThrow();
  return { id: row.id, slug: row.slug, name: row.name, timeZone: row.time_zone, createdAt: row.created_at };
}

/** Today's calendar date in the agency's time zone: the default for dates a user leaves out. */
export async function agencyToday(db: Db | Tx, agencyId: string, now: Date = new Date()): Promise<string> {
  const agency = await getAgency(db, agencyId);
  return dateInZone(now, agency.timeZone);
}
