import { type RawBuilder, sql } from 'kysely';
import type { Db, Tx } from '../platform/db/transaction.ts';
import type { BookRow } from './rules/book-rows.ts';
import type { RowProblem } from './rules/import-kinds.ts';

interface ResolvedCustomer {
  id: string;
  customerNumber: number;
}

/** What a row becomes, decided against the agency's book by its natural key. */
export type RowPlan =
  | {
      row: BookRow;
      outcome: 'create' | 'unchanged' | 'skipped';
      customer?: ResolvedCustomer;
      /** An invoice's policy and that policy's installment plan (which sets the autopay time). */
      policy?: { id: string; planId: string | null };
    }
  | { row: BookRow; outcome: 'problem'; problems: RowProblem[] };

/** A planned row of one kind that the batch writes (created, or for customers also matched). */
export interface WritablePlan<K extends BookRow['kind']> {
  row: Extract<BookRow, { kind: K }>;
  outcome: 'create' | 'unchanged';
  customer?: ResolvedCustomer | undefined;
  policy?: { id: string; planId: string | null } | undefined;
}

/**
 * Matches a chunk of parsed rows against the agency's book in a few set queries (not one per
 * row): whether each row's natural key exists already, and whether what it refers to does.
 */
export async function planRows(db: Db | Tx, agencyId: string, rows: readonly BookRow[]): Promise<RowPlan[]> {
  if (rows.length === 0) return [];
  const kind = rows[0]!.kind;
  if (kind === 'customers') return planCustomers(db, agencyId, rows as Extract<BookRow, { kind: 'customers' }>[]);
  const customers = await resolveCustomers(
    db,
    agencyId,
    rows.map((r) => (r as { customer: string }).customer),
  );
  const unknownCustomer = (row: BookRow): RowPlan => ({
    row,
    outcome: 'problem',
    problems: [
      {
        row: row.row,
        column: 'customer',
        rule: 'unknown customer (neither an imported externalId nor a customer number)',
      },
    ],
  });
  if (kind === 'contacts') {
    const contactRows = rows as Extract<BookRow, { kind: 'contacts' }>[];
    const ids = [...new Set([...customers.values()].map((c) => c.id))];
    const existing = new Set(
      ids.length === 0
        ? []
        : (
            await probeEach<{ customer_id: string; name: string }>(
              db,
              sql`${ids}::uuid[]`,
              (key) => sql`SELECT c.customer_id, lower(c.name) AS name FROM contacts c
                WHERE c.customer_id = ${key} AND c.agency_id = ${agencyId}`,
              false,
            )
          ).map((c) => `${c.customer_id}\u0000${c.name}`),
    );
    return contactRows.map((row) => {
      const customer = customers.get(row.customer);
      if (!customer) return unknownCustomer(row);
      const known = existing.has(`${customer.id}\u0000${row.name.toLowerCase()}`);
      return { row, outcome: known ? 'unchanged' : 'create', customer };
    });
  }
  if (kind === 'policies') {
    const policyRows = rows as Extract<BookRow, { kind: 'policies' }>[];
    const policies = await policiesByNumber(
      db,
      agencyId,
      policyRows.map((r) => r.policyNumber),
    );
    const planNames = [...new Set(policyRows.flatMap((r) => (r.installmentPlan ? [r.installmentPlan] : [])))];
    const plans = new Set(
      planNames.length === 0
        ? []
        : (
            await db
              .selectFrom('installment_plans')
              .select('name')
              .where('agency_id', '=', agencyId)
              .where('name', 'in', planNames)
              .execute()
          ).map((p) => p.name),
    );
    return policyRows.map((row): RowPlan => {
      const customer = customers.get(row.customer);
      if (!customer) return unknownCustomer(row);
      const existing = policies.get(row.policyNumber);
      if (existing) {
        return existing.customerId === customer.id
          ? { row, outcome: 'unchanged', customer }
          : problem(row, 'policyNumber', 'already exists for another customer');
      }
      if (row.installmentPlan && !plans.has(row.installmentPlan)) {
        return problem(row, 'installmentPlan', 'unknown installment plan (set it up in the agency first)');
      }
      return { row, outcome: 'create', customer };
    });
  }
  const invoiceRows = rows as Extract<BookRow, { kind: 'invoices' }>[];
  const policies = await policiesByNumber(
    db,
    agencyId,
    invoiceRows.flatMap((r) => (r.policyNumber ? [r.policyNumber] : [])),
  );
  const invoiceNumbers = invoiceRows.map((r) => r.invoiceNumber);
  const invoices = new Map(
    (
      await probeEach<{ invoice_number: number; customer_id: string }>(
        db,
        sql`${invoiceNumbers}::int[]`,
        (key) => sql`SELECT i.invoice_number, i.customer_id FROM invoices i
          WHERE i.agency_id = ${agencyId} AND i.invoice_number = ${key}`,
      )
    ).map((i) => [i.invoice_number, i.customer_id]),
  );
  return invoiceRows.map((row): RowPlan => {
    const customer = customers.get(row.customer);
    if (!customer) return unknownCustomer(row);
    const owner = invoices.get(row.invoiceNumber);
    if (owner !== undefined) {
      return owner === customer.id
        ? { row, outcome: 'unchanged', customer }
        : problem(row, 'invoiceNumber', 'already exists for another customer');
    }
    const policy = row.policyNumber ? policies.get(row.policyNumber) : undefined;
    if (row.policyNumber) {
      if (!policy) return problem(row, 'policyNumber', 'unknown policy');
      if (policy.customerId !== customer.id) return problem(row, 'policyNumber', 'belongs to another customer');
    }
    // Paid in full in the old system: there is nothing left to collect, so no invoice is made.
    if (row.openBalanceCents === 0n) return { row, outcome: 'skipped', customer };
    return {
      row,
      outcome: 'create',
      customer,
      ...(policy ? { policy: { id: policy.id, planId: policy.planId } } : {}),
    };
  });
}

function problem(row: BookRow, column: string, rule: string): RowPlan {
  return { row, outcome: 'problem', problems: [{ row: row.row, column, rule }] };
}

async function planCustomers(
  db: Db | Tx,
  agencyId: string,
  rows: Extract<BookRow, { kind: 'customers' }>[],
): Promise<RowPlan[]> {
  const byExternalId = await customersByExternalId(
    db,
    agencyId,
    rows.flatMap((r) => (r.externalId ? [r.externalId] : [])),
  );
  const byNumber = await customersByNumber(
    db,
    agencyId,
    rows.flatMap((r) => (r.customerNumber ? [r.customerNumber] : [])),
  );
  return rows.map((row): RowPlan => {
    const known =
      (row.externalId ? byExternalId.get(row.externalId) : undefined) ??
      (row.customerNumber ? byNumber.get(row.customerNumber) : undefined);
    return known ? { row, outcome: 'unchanged', customer: known } : { row, outcome: 'create' };
  });
}

/** A reference to a customer: an external id imported before, else a policypay customer number. */
async function resolveCustomers(
  db: Db | Tx,
  agencyId: string,
  refs: readonly string[],
): Promise<Map<string, ResolvedCustomer>> {
  const unique = [...new Set(refs)];
  const resolved = await customersByExternalId(db, agencyId, unique);
  const numbers = unique.filter((ref) => !resolved.has(ref) && /^\d{1,9}$/.test(ref)).map(Number);
  for (const [number, customer] of await customersByNumber(db, agencyId, numbers)) {
    if (!resolved.has(String(number))) resolved.set(String(number), customer);
  }
  return resolved;
}

async function customersByExternalId(
  db: Db | Tx,
  agencyId: string,
  ids: readonly string[],
): Promise<Map<string, ResolvedCustomer>> {
  if (ids.length === 0) return new Map();
  const rows = await probeEach<{ external_id: string; id: string; customer_number: number }>(
    db,
    sql`${[...new Set(ids)]}::text[]`,
    (key) => sql`SELECT ic.external_id, c.id, c.customer_number
      FROM imported_customers ic JOIN customers c ON c.id = ic.customer_id
      WHERE ic.agency_id = ${agencyId} AND ic.external_id = ${key}`,
  );
  return new Map(rows.map((r) => [r.external_id, { id: r.id, customerNumber: r.customer_number }]));
}

async function customersByNumber(
  db: Db | Tx,
  agencyId: string,
  numbers: readonly number[],
): Promise<Map<number, ResolvedCustomer>> {
  if (numbers.length === 0) return new Map();
  const rows = await probeEach<{ id: string; customer_number: number }>(
    db,
    sql`${[...new Set(numbers)]}::int[]`,
    (key) => sql`SELECT c.id, c.customer_number FROM customers c
      WHERE c.agency_id = ${agencyId} AND c.customer_number = ${key}`,
  );
  return new Map(rows.map((r) => [r.customer_number, { id: r.id, customerNumber: r.customer_number }]));
}

/** The agency's policies with these numbers, with their customer and installment plan (the sync's opening AR reads them too). */
export async function policiesByNumber(
  db: Db | Tx,
  agencyId: string,
  numbers: readonly string[],
): Promise<Map<string, { id: string; customerId: string; planId: string | null }>> {
  if (numbers.length === 0) return new Map();
  const rows = await probeEach<{
    id: string;
    customer_id: string;
    policy_number: string;
    installment_plan_id: string | null;
  }>(
    db,
    sql`${[...new Set(numbers)]}::text[]`,
    (key) => sql`SELECT p.id, p.customer_id, p.policy_number, p.installment_plan_id FROM policies p
      WHERE p.agency_id = ${agencyId} AND p.policy_number = ${key}`,
  );
  return new Map(
    rows.map((r) => [r.policy_number, { id: r.id, customerId: r.customer_id, planId: r.installment_plan_id }]),
  );
}

/**
 * Runs `lookup` once per key of the array, as an index probe: `unnest(keys)` drives a LATERAL
 * subquery that a LIMIT keeps from being flattened into a join. Left to itself, the planner took a
 * chunk's thousand keys in an IN list or a join as a large share of a table and read the whole
 * table (a hash join, a sequential scan) for every chunk, so matching grew with the square of the
 * book: 100,000 customers re-imported in 20 s. A probe per key costs the same at any book size.
 * `unique` says a key finds at most one row (a unique key); else every row it finds comes back (OFFSET 0
 * is then the fence).
 */
async function probeEach<R>(
  db: Db | Tx,
  keys: RawBuilder<unknown>,
  lookup: (key: RawBuilder<unknown>) => RawBuilder<unknown>,
  unique = true,
): Promise<R[]> {
  const key = sql.ref('k.key');
  const { rows } = await sql<R>`SELECT m.* FROM unnest(${keys}) AS k(key)
    CROSS JOIN LATERAL (${lookup(key)}${unique ? sql` LIMIT 1` : sql` OFFSET 0`}) m`.execute(db);
  return rows;
}
