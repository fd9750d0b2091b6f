import type { Kysely } from 'kysely';
import { runScript } from './sql-script.ts';

// Issue 19: reports read summaries, never a scan of the ledger. `invoice_balances` holds each
// invoice's open balance (the sum of its accounts-receivable lines), kept by the database itself:
// a statement trigger on journal_lines adds each statement's AR lines per invoice, so every writer
// (receipts, reversals, billing, the import's set-based batches) keeps it true without knowing of
// it. The ledger stays append-only; this table is derived and may be rebuilt from it at any time
// (the backfill below is that rebuild). AR aging reads the open rows through a partial index.
// journal_entries gets an index on its accounting date: AR aging "as of" a past date subtracts only
// the AR lines of entries dated after it. Receipts by date and autopay attempts by start: the
// collections, deposit and autopay reports read one date range.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    CREATE TABLE invoice_balances (
      invoice_id uuid PRIMARY KEY,
      agency_id uuid NOT NULL,
      balance_cents bigint NOT NULL,
      FOREIGN KEY (agency_id, invoice_id) REFERENCES invoices (agency_id, id)
    );
    CREATE INDEX invoice_balances_open_idx ON invoice_balances (agency_id) INCLUDE (balance_cents)
      WHERE balance_cents <> 0;

    INSERT INTO invoice_balances (invoice_id, agency_id, balance_cents)
    SELECT invoice_id, agency_id, sum(amount_cents)
      FROM journal_lines
     WHERE account = 'accounts_receivable' AND invoice_id IS NOT NULL
     GROUP BY invoice_id, agency_id;

    CREATE FUNCTION invoice_balances_add() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      -- In invoice order: two transactions touching the same invoices lock them in the same order.
      INSERT INTO invoice_balances AS b (invoice_id, agency_id, balance_cents)
      SELECT invoice_id, agency_id, sum(amount_cents)
        FROM new_lines
       WHERE account = 'accounts_receivable' AND invoice_id IS NOT NULL
       GROUP BY invoice_id, agency_id
       ORDER BY invoice_id
      ON CONFLICT (invoice_id) DO UPDATE SET balance_cents = b.balance_cents + excluded.balance_cents;
      RETURN NULL;
    END $$;
    CREATE TRIGGER journal_lines_invoice_balances AFTER INSERT ON journal_lines
      REFERENCING NEW TABLE AS new_lines FOR EACH STATEMENT EXECUTE FUNCTION invoice_balances_add();

    CREATE INDEX journal_entries_occurred_idx ON journal_entries (agency_id, occurred_on);
    CREATE INDEX receipts_date_idx ON receipts (agency_id, receipt_date);
    CREATE INDEX payment_attempts_started_idx ON payment_attempts (agency_id, started_at);
    `,
  );
}
