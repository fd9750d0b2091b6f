import type { Kysely } from 'kysely';
import { runScript } from './sql-script.ts';

// Issue 19.6: AR aging renders from summaries, not from every open invoice. 0026 keeps each
// invoice's balance; at 100,000 customers that is still 500,000 rows to read and group per report
// (4.2 s p95 with 8 users). Two more summaries, kept by the same statement trigger:
// - customer_ar_balances: each customer's open invoice balance (the sum of its invoices' AR lines),
//   read through a partial index for "the customers owing most" and their count.
// - ar_due_totals: the agency's open balance per due date (a few hundred rows, whatever the size of
//   the book), which the buckets add up. Every payment of every invoice due on the 1st would update
//   the same row, so writers never touch it: each statement appends its change to ar_due_deltas
//   (an insert takes no row lock), and a maintenance job folds the deltas into the totals.
//   Readers add the two, so the figures are exact whether or not the job has run.
// All three are derived: the ledger stays append-only and the backfill below is their rebuild.
// An invoice's customer and due date never change after billing (updateInvoice edits only the
// autopay suppression), so a line's due date and customer are the invoice's for good.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    CREATE TABLE customer_ar_balances (
      customer_id uuid PRIMARY KEY,
      agency_id uuid NOT NULL,
      balance_cents bigint NOT NULL,
      FOREIGN KEY (agency_id, customer_id) REFERENCES customers (agency_id, id)
    );
    CREATE INDEX customer_ar_balances_owing_idx
      ON customer_ar_balances (agency_id, balance_cents DESC, customer_id) WHERE balance_cents <> 0;

    CREATE TABLE ar_due_totals (
      agency_id uuid NOT NULL REFERENCES agencies (id),
      due_date date NOT NULL,
      balance_cents bigint NOT NULL,
      PRIMARY KEY (agency_id, due_date)
    );
    CREATE TABLE ar_due_deltas (
      agency_id uuid NOT NULL,
      due_date date NOT NULL,
      cents bigint NOT NULL
    );
    CREATE INDEX ar_due_deltas_agency_idx ON ar_due_deltas (agency_id);

    INSERT INTO customer_ar_balances (customer_id, agency_id, balance_cents)
    SELECT i.customer_id, i.agency_id, sum(b.balance_cents)
      FROM invoice_balances b JOIN invoices i ON i.id = b.invoice_id
     GROUP BY i.customer_id, i.agency_id;
    INSERT INTO ar_due_totals (agency_id, due_date, balance_cents)
    SELECT i.agency_id, i.due_date, sum(b.balance_cents)
      FROM invoice_balances b JOIN invoices i ON i.id = b.invoice_id
     GROUP BY i.agency_id, i.due_date;

    CREATE OR REPLACE FUNCTION invoice_balances_add() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      -- One statement: the statement's AR change per invoice, with the invoice's customer and due
      -- date (an index probe per invoice: the transition table has no statistics to plan a join
      -- by), added to the three summaries. In key order: two transactions touching the same
      -- invoices or customers lock them in the same order.
      WITH changes AS MATERIALIZED (
        SELECT c.invoice_id, c.agency_id, i.customer_id, i.due_date, c.cents
          FROM (SELECT invoice_id, agency_id, sum(amount_cents) AS cents
                  FROM new_lines
                 WHERE account = 'accounts_receivable' AND invoice_id IS NOT NULL
                 GROUP BY invoice_id, agency_id) c
         CROSS JOIN LATERAL (SELECT i.customer_id, i.due_date FROM invoices i
                              WHERE i.id = c.invoice_id LIMIT 1) i
      ), by_invoice AS (
        INSERT INTO invoice_balances AS b (invoice_id, agency_id, balance_cents)
        SELECT invoice_id, agency_id, cents FROM changes ORDER BY invoice_id
        ON CONFLICT (invoice_id) DO UPDATE SET balance_cents = b.balance_cents + excluded.balance_cents
        RETURNING 1
      ), by_customer AS (
        INSERT INTO customer_ar_balances AS b (customer_id, agency_id, balance_cents)
        SELECT customer_id, agency_id, sum(cents) FROM changes
         GROUP BY customer_id, agency_id ORDER BY customer_id
        ON CONFLICT (customer_id) DO UPDATE SET balance_cents = b.balance_cents + excluded.balance_cents
        RETURNING 1
      )
      INSERT INTO ar_due_deltas (agency_id, due_date, cents)
      SELECT agency_id, due_date, sum(cents) FROM changes
       GROUP BY agency_id, due_date HAVING sum(cents) <> 0;
      RETURN NULL;
    END $$;
    `,
  );
}
