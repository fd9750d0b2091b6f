import { sql } from 'kysely';
import type { Actor } from '../kernel/actor.ts';
import type { Db } from '../platform/db/transaction.ts';
import { type CustomerView, customerView } from './customers.ts';
import { nextAfterOf } from './rules/customer-pages.ts';
import { type CustomerSearchTerms, customerSearchTerms } from './rules/customer-search.ts';

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
  const offset = options.after === undefined ? (options.offset ?? 0) : 0;
  // One row more than the page tells whether another page follows.
  const take = offset + options.limit + 1;
  // After the first page the typed customer is left out in every branch, or it would take a place
  // in a branch's first `take` and hide the row that says another page follows.
  const except = options.after !== undefined ? typed : null;
  let query = matchingCustomers(db, actor, terms, { after: options.after, except, take });
  if (options.after === undefined && typed !== null) {
    query = query.orderBy(sql`customers.customer_number = ${typed}`, 'desc');
  }
  const rows = await query
    .orderBy('customers.customer_number')
    .limit(options.limit + 1)
    .offset(offset)
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
  let after: number | undefined;
  for (;;) {
    const query = matchingCustomers(db, actor, terms, { after, except: null, take: pageSize });
    const rows = await query.orderBy('customers.customer_number').limit(pageSize).execute();
    if (rows.length > 0) yield rows.map(customerView);
    if (rows.length < pageSize) return;
    after = rows.at(-1)!.customer_number;
  }
}

/** Which part of the matches a page needs: those numbered after `after` but `except`, the first `take` of them by number. */
interface Window {
  after: number | undefined;
  except: number | null;
  take: number;
}

/** The agency's customers numbered after the window's start, narrowed by the list's search. */
function matchingCustomers(db: Db, actor: Actor, terms: CustomerSearchTerms | null, window: Window) {
  let query = db.selectFrom('customers').selectAll('customers').where('customers.agency_id', '=', actor.agencyId);
  if (window.after !== undefined) query = query.where('customers.customer_number', '>', window.after);
  if (window.except !== null) query = query.where('customers.customer_number', '<>', window.except);
  if (!terms) return query;
  return query.where('customers.customer_number', 'in', matchingNumbers(db, actor.agencyId, terms, window));
}

/**
 * The numbers of the customers a search matches, gathered table by table and joined by UNION
 * (name, e-mail, phone, number; a contact's name, e-mail, phone; a policy number; an invoice
 * number). Each branch filters one table on columns its trigram or B-tree indexes cover
 * (migration 0027), where one OR of EXISTS across the tables could only be answered by reading
 * every customer. Each branch keeps only the first `take` numbers after the window's start (the
 * page is among them), so a common term ("Smith", a tenth of the book) joins a page's worth of
 * rows back to customers, not ten thousand. Terms under three characters have no trigram: they
 * still match, by reading the table.
 */
function matchingNumbers(
  db: Db,
  agencyId: string,
  { pattern, number, phoneDigits }: CustomerSearchTerms,
  window: Window,
) {
  // The very expression the phone indexes are built on, so the planner can use them.
  const phoneMatches = (column: 'customers.phone' | 'contacts.phone') =>
    phoneDigits.map(
      (digits) =>
        sql<boolean>`regexp_replace(coalesce(${sql.ref(column)}, ''), '[^0-9]', '', 'g') like ${`%${digits}%`}`,
    );
  const customers = () => {
    let query = db
      .selectFrom('customers')
      .select('customers.customer_number')
      .where('customers.agency_id', '=', agencyId);
    if (window.after !== undefined) query = query.where('customers.customer_number', '>', window.after);
    if (window.except !== null) query = query.where('customers.customer_number', '<>', window.except);
    return query;
  };
  // Sorted by `customer_number + 0`, which no index yields: with a LIMIT under an ORDER BY the
  // planner may instead walk the customers in number order and test each, which is quick when a
  // tenth of the book matches and ruinous when the matches sit together far down the book (a run
  // of policy numbers: 42,000 customers read for 26 rows, 159 ms against 11 ms). Gathering the
  // matches from the indexes and sorting them costs about the same for every term.
  const firstByNumber = <Q extends ReturnType<typeof customers>>(query: Q, alias: string) =>
    db
      .selectFrom(
        query
          .orderBy(sql`${sql.ref('customers.customer_number')} + 0`)
          .limit(window.take)
          .as(alias),
      )
      .select(sql.ref<number>(`${alias}.customer_number`).as('customer_number'));
  const branches = [
    firstByNumber(
      customers().where((eb) =>
        eb.or([
          eb('customers.name', 'ilike', pattern),
          eb('customers.email', 'ilike', pattern),
          ...phoneMatches('customers.phone'),
        ]),
      ),
      'by_customer',
    ),
    // A contact of the customer (the person staff spoke to) by name, e-mail or phone.
    firstByNumber(
      customers()
        .innerJoin('contacts', (join) =>
          join
            .onRef('contacts.agency_id', '=', 'customers.agency_id')
            .onRef('contacts.customer_id', '=', 'customers.id'),
        )
        .where((eb) =>
          eb.or([
            eb('contacts.name', 'ilike', pattern),
            eb('contacts.email', 'ilike', pattern),
            ...phoneMatches('contacts.phone'),
          ]),
        ),
      'by_contact',
    ),
    firstByNumber(
      customers()
        .innerJoin('policies', (join) =>
          join
            .onRef('policies.agency_id', '=', 'customers.agency_id')
            .onRef('policies.customer_id', '=', 'customers.id'),
        )
        .where('policies.policy_number', 'ilike', pattern),
      'by_policy',
    ),
  ];
  if (number !== null) {
    branches.push(firstByNumber(customers().where('customers.customer_number', '=', number), 'by_number'));
    branches.push(
      firstByNumber(
        customers()
          .innerJoin('invoices', (join) =>
            join
              .onRef('invoices.agency_id', '=', 'customers.agency_id')
              .onRef('invoices.customer_id', '=', 'customers.id'),
          )
          .where('invoices.invoice_number', '=', number),
        'by_invoice',
      ),
    );
  }
  const [first, ...rest] = branches;
  return rest.reduce((union, branch) => union.union(branch), first!);
}
