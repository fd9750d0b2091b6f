import type { Kysely } from 'kysely';
import { runScript } from './sql-script.ts';

// Issue 18: an agency imports its book (customers, contacts, policies, invoices with open AR) from
// CSV files. An import is previewed, then committed in batches, each its own transaction; the row
// records the file's SHA-256 (the same file again is the same import) and how far the commit got,
// so a killed commit is run again from there. Customers are matched on the AMS's own id, kept in
// `imported_customers` (policypay's customer numbers are its own). Opening AR is a debit to AR
// against the new `opening_balance` account (an equity-like balancing account: the AMS earned
// that premium before policypay kept the books).
export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    CREATE TABLE imports (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      agency_id uuid NOT NULL REFERENCES agencies (id),
      kind text NOT NULL CHECK (kind IN ('customers', 'contacts', 'policies', 'invoices')),
      file_name text,
      sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
      content text,
      status text NOT NULL CHECK (status IN ('rejected', 'previewed', 'committing', 'committed')),
      rows_total integer NOT NULL CHECK (rows_total >= 0),
      rows_done integer NOT NULL DEFAULT 0 CHECK (rows_done >= 0),
      counts jsonb NOT NULL,
      problems jsonb NOT NULL,
      problem_count integer NOT NULL DEFAULT 0,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      committed_at timestamptz,
      UNIQUE (agency_id, kind, sha256)
    );
    CREATE TABLE imported_customers (
      agency_id uuid NOT NULL,
      external_id text NOT NULL,
      customer_id uuid NOT NULL,
      PRIMARY KEY (agency_id, external_id),
      FOREIGN KEY (agency_id, customer_id) REFERENCES customers (agency_id, id)
    );
    ALTER TABLE journal_lines DROP CONSTRAINT journal_lines_account_check;
    ALTER TABLE journal_lines ADD CONSTRAINT journal_lines_account_check CHECK (account IN
      ('accounts_receivable', 'on_account', 'premium', 'cash', 'fees', 'processor_clearing', 'payments_held',
       'opening_balance'));
    `,
  );
}
