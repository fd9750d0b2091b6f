import { sql } from 'kysely';
import type { Actor } from '../kernel/actor.ts';
import type { Db } from '../platform/db/transaction.ts';
import { type CustomerView, customerView } from './customers.ts';
import { type CustomerSearchTerms, customerSearchTerms } from './rules/customer-search.ts';
import { nextAfterOf } from './rules/customer-pages.ts';

export interface CustomerListOptions {
  search?: string | undefined;
  limit: number;
  /** A keyset page: the customers numbered after this one (the previous page's `nextAfter`). */
  after?: number | undefined;
  /** Kept for older clients; a page by offset reads and skips every row before it. */
  offset?: number | undefined;
}

export interface CustomerPage {
  data: CustomerView[];
  /** Pass as `after` for the next page; null on the last. */
  nextAfter: number | null;
}

/**
 * A page of the agency's customers by number, narrowed by the search. The customer whose number
 * was typed comes first on the first page, before customers that merely match it elsewhere, and
 * is left out of the pages after it (they page by number from `after`), so every customer is
 * listed once.
 */
export async function listCustomers(db: Db, actor: Actor, options: CustomerListOptions): Promise<CustomerPage> {
  const terms = options.search?.trim() ? customerSearchTerms(options.search) : null;
  const typed = terms?.number ?? null;
  let query = matchingCustomers(db, actor, terms);
  if (options.after !== undefined) {
    query = query.where('customers.customer_number', '>', options.after);
    if (typed !== null) query = query.where('customers.customer_number', '<>', typed);
  } else if (typed !== null) {
    query = query.orderBy(sql`customers.customer_number = ${typed}`, 'desc');
  }
  // One row more than the page tells whether another page follows.
  const rows = await query
    .orderBy('customers.customer_number')
    .limit(options.limit + 1)
    .offset(options.after === undefined ? (options.offset ?? 0) : 0)
    .execute();
  const page = rows.slice(0, options.limit).map(customerView);
  const numbers = page.map((customer) => customer.customerNumber);
  return {
    data: page,
    nextAfter: rows.length > options.limit ? nextAfterOf(numbers, typed, options.after ?? 0) : null,
  };
}

/**
 * Every customer the list's search matches, in customer-number pages (keyset, not offset: a page
 * costs the same at the end of a large book as at its start).
 */
export async function* exportCustomers(
  db: Db,
  actor: Actor,
  options: { search?: string | undefined },
  pageSize = 1000,
): AsyncGenerator<CustomerView[]> {
  const terms = options.search?.trim() ? customerSearchTerms(options.search) : null;
  let after: number | null = null;
  for (;;) {
    let query = matchingCustomers(db, actor, terms);
    if (after !== null) query = query.where('customers.customer_number', '>', after);
    const rows = await query.orderBy('customers.customer_number').limit(pageSize).execute();
    if (rows.length > 0) yield rows.map(customerView);
    if (rows.length < pageSize) return;
    after = rows.at(-1)!.customer_number;
  }
}

/** The agency's customers, narrowed by the list's search (name, e-mail, phone, number, contact, policy, invoice). */
function matchingCustomers(db: Db, actor: Actor, terms: CustomerSearchTerms | null) {
  const query = db.selectFrom('customers').selectAll('customers').where('customers.agency_id', '=', actor.agencyId);
  return terms ? query.where('customers.id', 'in', matchingCustomerIds(db, actor.agencyId, terms)) : query;
}

/**
 * The ids of the customers a search matches, gathered table by table and joined by UNION. Each
 * branch filters one table on columns its trigram or B-tree indexes cover (migration 0027), so
 * PostgreSQL reads the index entries that match instead of every customer with an EXISTS per row
 * (an OR across tables can only be answered by such a scan). Terms under three characters have
 * no trigram: they still match, by reading the table.
 */
function matchingCustomerIds(db: Db, agencyId: string, { pattern, number, phoneDigits }: CustomerSearchTerms) {
  // The very expression the phone indexes are built on, so the planner can use them.
  const phoneMatches = (column: 'customers.phone' | 'contacts.phone') =>
    phoneDigits.map(
      (digits) => sql<boolean>`regexp_replace(coalesce(${sql.ref(column)}, ''), '[^0-9]', '', 'g') like ${`%${digits}%`}`,
    );
  let ids = db
    .selectFrom('customers')
    .select('customers.id as id')
    .where('customers.agency_id', '=', agencyId)
    .where((eb) =>
      eb.or([
        eb('customers.name', 'ilike', pattern),
        eb('customers.email', 'ilike', pattern),
        ...phoneMatches('customers.phone'),
        ...(number === null ? [] : [eb('customers.customer_number', '=', number)]),
      ]),
    )
    // A contact of the customer (the person staff spoke to) by name, e-mail or phone.
    .union(
      db
        .selectFrom('contacts')
        .select('contacts.customer_id as id')
        .where('contacts.agency_id', '=', agencyId)
        .where((eb) =>
          eb.or([
            eb('contacts.name', 'ilike', pattern),
            eb('contacts.email', 'ilike', pattern),
            ...phoneMatches('contacts.phone'),
          ]),
        ),
    )
    .union(
      db
        .selectFrom('policies')
        .select('policies.customer_id as id')
        .where('policies.agency_id', '=', agencyId)
        .where('policies.policy_number', 'ilike', pattern),
    );
  if (number !== null) {
    ids = ids.union(
      db
        .selectFrom('invoices')
        .select('invoices.customer_id as id')
        .where('invoices.agency_id', '=', agencyId)
        .where('invoices.invoice_number', '=', number),
    );
  }
  return ids;
}
