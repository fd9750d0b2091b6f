import type { Kysely } from 'kysely';
import { runScript } from './sql-script.ts';

// Cash receipts and their applications. A receipt's state is derived: it is reversed when a
// reversal row exists (one at most, by a unique constraint), never by editing the receipt.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    ALTER TABLE api_keys ADD COLUMN divisions text[];

    CREATE TABLE receipts (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      agency_id uuid NOT NULL REFERENCES agencies(id),
      receipt_number integer NOT NULL CHECK (receipt_number > 0),
      customer_id uuid NOT NULL,
      bank_id uuid NOT NULL,
      amount_cents bigint NOT NULL CHECK (amount_cents > 0),
      on_account_cents bigint NOT NULL CHECK (on_account_cents >= 0),
      currency text NOT NULL DEFAULT 'USD',
      receipt_date date NOT NULL,
      receipt_time_zone text NOT NULL,
      payment_check_type text NOT NULL CHECK (payment_check_type IN ('Check', 'Cash', 'CreditCard', 'DebitCard', 'EFT')),
      description text NOT NULL,
      payer_bank_account_last4 text CHECK (payer_bank_account_last4 ~ '^[0-9]{1,4}$'),
      payer_check_number text,
      source text NOT NULL DEFAULT 'api',
      journal_entry_id uuid NOT NULL,
      created_by text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (agency_id, receipt_number),
      UNIQUE (agency_id, id),
      FOREIGN KEY (agency_id, customer_id) REFERENCES customers (agency_id, id),
      FOREIGN KEY (agency_id, bank_id) REFERENCES banks (agency_id, id),
      FOREIGN KEY (agency_id, journal_entry_id) REFERENCES journal_entries (agency_id, id),
      -- Check details are kept only for checks.
      CHECK (payment_check_type = 'Check' OR (payer_bank_account_last4 IS NULL AND payer_check_number IS NULL))
    );
    CREATE INDEX receipts_customer_idx ON receipts (agency_id, customer_id, created_at DESC);

    CREATE TABLE receipt_applications (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      agency_id uuid NOT NULL,
      receipt_id uuid NOT NULL,
      sequence integer NOT NULL CHECK (sequence > 0),
      invoice_id uuid,
      applied_cents bigint NOT NULL CHECK (applied_cents >= 0),
      on_account_cents bigint NOT NULL CHECK (on_account_cents >= 0),
      description text NOT NULL,
      note text,
      UNIQUE (receipt_id, sequence),
      FOREIGN KEY (agency_id, receipt_id) REFERENCES receipts (agency_id, id),
      FOREIGN KEY (agency_id, invoice_id) REFERENCES invoices (agency_id, id),
      CHECK (invoice_id IS NOT NULL OR applied_cents = 0)
    );
    CREATE INDEX receipt_applications_invoice_idx ON receipt_applications (agency_id, invoice_id) WHERE invoice_id IS NOT NULL;

    CREATE TABLE receipt_reversals (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      agency_id uuid NOT NULL,
      receipt_id uuid NOT NULL UNIQUE,
      reason text NOT NULL CHECK (reason IN ('nsf', 'chargeback', 'entered_in_error')),
      note text,
      journal_entry_id uuid NOT NULL,
      fee_invoice_id uuid,
      created_by text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      FOREIGN KEY (agency_id, receipt_id) REFERENCES receipts (agency_id, id),
      FOREIGN KEY (agency_id, journal_entry_id) REFERENCES journal_entries (agency_id, id),
      FOREIGN KEY (agency_id, fee_invoice_id) REFERENCES invoices (agency_id, id)
    );
  `,
  );
}

export async function down(): Promise<void> {
  throw new Error('policypay migrations are forward-only');
}
