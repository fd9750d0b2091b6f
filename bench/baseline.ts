// Raw-SQL baselines: what the database itself can do through the same driver (the PGlite instance,
// or a `pg` Pool of the same size) at the same concurrency, with no policypay code in the path.
import type { PGlite } from '@electric-sql/pglite';
import pg from 'pg';

type RawQuery = <R = Record<string, unknown>>(text: string, params?: unknown[]) => Promise<R[]>;

export interface RawDriver {
  query: RawQuery;
  /** BEGIN … COMMIT on one session (ROLLBACK when `work` throws). */
  transaction<T>(work: (query: RawQuery) => Promise<T>): Promise<T>;
  /**
   * Several statements in one string, sent as one simple query (one round trip) on one session.
   * If one fails the rest are skipped; a transaction the string opened is rolled back.
   */
  script(text: string): Promise<void>;
  close(): Promise<void>;
}

/** The PGlite instance itself: its `transaction` holds the instance for the whole transaction. */
export function pgliteDriver(pglite: PGlite): RawDriver {
  return {
    query: async (text, params) => (await pglite.query(text, params)).rows as never,
    transaction: (work) =>
      pglite.transaction((tx) => work(async (text, params) => (await tx.query(text, params)).rows as never)),
    async script(text) {
      try {
        await pglite.exec(text);
      } catch (error) {
        await pglite.exec('ROLLBACK').catch(() => {});
        throw error;
      }
    },
    close: async () => {},
  };
}

/** A `pg` Pool like the one policypay opens: same size, same search path. */
export function postgresDriver(options: { url: string; searchPath: string; poolSize: number }): RawDriver {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize,
    options: `-c search_path=${options.searchPath}`,
  });
  return {
    query: async (text, params) => (await pool.query(text, params)).rows,
    async transaction(work) {
      const client = await pool.connect();
      const query: RawQuery = async (text, params) => (await client.query(text, params)).rows;
      try {
        await client.query('BEGIN');
        const result = await work(query);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
    async script(text) {
      const client = await pool.connect();
      try {
        await client.query(text);
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}

// --- receipts ------------------------------------------------------------------------------------

/**
 * Bench-only tables with the shape of a receipt: the receipt, its applications, the invoices whose
 * balances it moves. Invoices are numbered like the policypay fixture: customer n owns invoices
 * (n−1)·2+1 and (n−1)·2+2.
 */
export async function createReceiptBaselineTables(driver: RawDriver, customers: number): Promise<void> {
  const statements = [
    `CREATE TABLE bench_invoices (
       id integer PRIMARY KEY,
       customer_number integer NOT NULL,
       balance_cents bigint NOT NULL
     )`,
    `CREATE TABLE bench_receipts (
       id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
       customer_number integer NOT NULL,
       amount_cents bigint NOT NULL CHECK (amount_cents > 0),
       receipt_date date NOT NULL,
       payment_check_type text NOT NULL,
       created_at timestamptz NOT NULL DEFAULT now()
     )`,
    `CREATE TABLE bench_receipt_applications (
       id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
       receipt_id uuid NOT NULL REFERENCES bench_receipts (id),
       sequence integer NOT NULL,
       invoice_id integer NOT NULL REFERENCES bench_invoices (id),
       applied_cents bigint NOT NULL,
       UNIQUE (receipt_id, sequence)
     )`,
    `INSERT INTO bench_invoices (id, customer_number, balance_cents)
       SELECT (c - 1) * 2 + k, c, 100000000 FROM generate_series(1, ${Math.trunc(customers)}) c, generate_series(1, 2) k`,
    'ANALYZE bench_invoices',
  ];
  for (const statement of statements) await driver.query(statement);
}

/** One receipt: insert it, insert two applications, update two balances — one transaction. */
export async function baselineReceipt(driver: RawDriver, customer: number, receiptDate: string): Promise<void> {
  const first = (customer - 1) * 2 + 1;
  await driver.transaction(async (query) => {
    const [receipt] = await query<{ id: string }>(
      `INSERT INTO bench_receipts (customer_number, amount_cents, receipt_date, payment_check_type)
       VALUES ($1, $2, $3, 'Check') RETURNING id`,
      [customer, 375, receiptDate],
    );
    await query(
      `INSERT INTO bench_receipt_applications (receipt_id, sequence, invoice_id, applied_cents)
       VALUES ($1, 1, $2, 125), ($1, 2, $3, 250)`,
      [receipt!.id, first, first + 1],
    );
    await query('UPDATE bench_invoices SET balance_cents = balance_cents - 125 WHERE id = $1', [first]);
    await query('UPDATE bench_invoices SET balance_cents = balance_cents - 250 WHERE id = $1', [first + 1]);
  });
}

// --- eligibility ---------------------------------------------------------------------------------

/**
 * The reads an eligibility decision needs, as raw SQL in one transaction: the policy, the agency
 * (time zone and settings), the policy's invoices with balances summed from the ledger.
 */
export async function baselineEligibility(driver: RawDriver, agencyId: string, policyNumber: string): Promise<void> {
  await driver.transaction(async (query) => {
    const [policy] = await query<{ id: string; customer_id: string }>(
      `SELECT id, customer_id, status, cancellation_reason, cancellation_effective_date, tags
         FROM policies WHERE agency_id = $1 AND policy_number = $2`,
      [agencyId, policyNumber],
    );
    if (!policy) throw new Error(`baseline: policy ${policyNumber} not found`);
    await query('SELECT time_zone, settings FROM agencies WHERE id = $1', [agencyId]);
    await query(
      `SELECT i.id, i.invoice_number, i.due_date, i.amount_cents, coalesce(b.balance, 0) AS balance
         FROM invoices i
         LEFT JOIN LATERAL (
           SELECT sum(l.amount_cents) AS balance FROM journal_lines l
            WHERE l.agency_id = i.agency_id AND l.invoice_id = i.id AND l.account = 'accounts_receivable'
         ) b ON true
        WHERE i.agency_id = $1 AND i.customer_id = $2 AND i.policy_id = $3`,
      [agencyId, policy.customer_id, policy.id],
    );
  });
}

// --- ledger --------------------------------------------------------------------------------------

/**
 * A customer's statement as raw SQL: the customer, AR and On Account summed over its ledger lines,
 * and its invoices with their balances (what `GET /customers/{n}/account` derives).
 */
export async function baselineAccount(driver: RawDriver, agencyId: string, customerNumber: number): Promise<void> {
  const [customer] = await driver.query<{ id: string }>(
    'SELECT id FROM customers WHERE agency_id = $1 AND customer_number = $2',
    [agencyId, customerNumber],
  );
  if (!customer) throw new Error(`baseline: customer ${customerNumber} not found`);
  await Promise.all([
    driver.query(
      `SELECT coalesce(sum(amount_cents) FILTER (WHERE account = 'accounts_receivable'), 0)::int8 AS ar,
              coalesce(-sum(amount_cents) FILTER (WHERE account = 'on_account'), 0)::int8 AS on_account
         FROM journal_lines
        WHERE agency_id = $1 AND customer_id = $2 AND account IN ('accounts_receivable', 'on_account')`,
      [agencyId, customer.id],
    ),
    driver.query(
      `SELECT i.invoice_number, i.amount_cents, i.due_date, coalesce(b.balance, 0)::int8 AS balance
         FROM invoices i
         LEFT JOIN (
           SELECT invoice_id, sum(amount_cents) AS balance FROM journal_lines
            WHERE agency_id = $1 AND customer_id = $2 AND account = 'accounts_receivable'
            GROUP BY invoice_id
         ) b ON b.invoice_id = i.id
        WHERE i.agency_id = $1 AND i.customer_id = $2
        ORDER BY i.due_date, i.invoice_number`,
      [agencyId, customer.id],
    ),
  ]);
}
