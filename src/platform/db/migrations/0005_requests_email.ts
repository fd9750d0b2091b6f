import type { Kysely } from 'kysely';
import { runScript } from './sql-script.ts';

// Issue 7: online payment requests, the client portal's accounts, tokens and sessions, and the
// e-mail outbox. Money collected for a request is held in the ledger (processor_clearing /
// payments_held) until staff finalize it into a cash receipt.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    ALTER TABLE journal_lines DROP CONSTRAINT journal_lines_account_check;
    ALTER TABLE journal_lines ADD CONSTRAINT journal_lines_account_check CHECK (account IN
      ('accounts_receivable', 'on_account', 'premium', 'cash', 'fees', 'processor_clearing', 'payments_held'));
    ALTER TABLE journal_lines ADD CONSTRAINT journal_lines_held_customer
      CHECK (account NOT IN ('processor_clearing', 'payments_held') OR customer_id IS NOT NULL);

    -- A contact can be named by (agency, customer, contact): requests and portal accounts use it.
    CREATE UNIQUE INDEX contacts_agency_customer_key ON contacts (agency_id, customer_id, id);

    CREATE TABLE payment_requests (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      agency_id uuid NOT NULL REFERENCES agencies(id),
      customer_id uuid NOT NULL,
      contact_id uuid NOT NULL,
      amount_cents bigint NOT NULL CHECK (amount_cents > 0),
      due_date date NOT NULL,
      -- Past this day a request still 'requested' reads as expired (derived, not stored).
      expires_on date NOT NULL CHECK (expires_on >= due_date),
      note text,
      state text NOT NULL CHECK (state IN ('requested', 'paid', 'finalized', 'cancelled')),
      requested_by text NOT NULL,
      requested_by_user_id uuid,
      requested_at timestamptz NOT NULL DEFAULT now(),
      payment_id uuid,
      paid_at timestamptz,
      held_entry_id uuid,
      receipt_id uuid,
      finalized_by text,
      finalized_at timestamptz,
      cancelled_by text,
      cancelled_at timestamptz,
      cancel_reason text,
      UNIQUE (agency_id, id),
      FOREIGN KEY (agency_id, customer_id) REFERENCES customers (agency_id, id),
      FOREIGN KEY (agency_id, customer_id, contact_id) REFERENCES contacts (agency_id, customer_id, id),
      FOREIGN KEY (agency_id, payment_id) REFERENCES payments (agency_id, id),
      FOREIGN KEY (agency_id, receipt_id) REFERENCES receipts (agency_id, id),
      FOREIGN KEY (agency_id, held_entry_id) REFERENCES journal_entries (agency_id, id),
      CHECK (state NOT IN ('paid', 'finalized') OR (payment_id IS NOT NULL AND held_entry_id IS NOT NULL)),
      CHECK (state <> 'finalized' OR receipt_id IS NOT NULL)
    );
    CREATE INDEX payment_requests_customer_idx ON payment_requests (agency_id, customer_id, requested_at DESC);
    CREATE INDEX payment_requests_state_idx ON payment_requests (agency_id, state, requested_at DESC);

    CREATE TABLE payment_request_invoices (
      agency_id uuid NOT NULL,
      payment_request_id uuid NOT NULL,
      sequence integer NOT NULL CHECK (sequence > 0),
      invoice_id uuid NOT NULL,
      amount_cents bigint NOT NULL CHECK (amount_cents > 0),
      PRIMARY KEY (payment_request_id, sequence),
      FOREIGN KEY (agency_id, payment_request_id) REFERENCES payment_requests (agency_id, id),
      FOREIGN KEY (agency_id, invoice_id) REFERENCES invoices (agency_id, id)
    );

    ALTER TABLE payments ADD COLUMN payment_request_id uuid;
    ALTER TABLE payments ADD COLUMN paid_by_contact_id uuid;
    ALTER TABLE payments ADD CONSTRAINT payments_request_fk
      FOREIGN KEY (agency_id, payment_request_id) REFERENCES payment_requests (agency_id, id);
    ALTER TABLE payments ADD CONSTRAINT payments_contact_fk
      FOREIGN KEY (agency_id, customer_id, paid_by_contact_id) REFERENCES contacts (agency_id, customer_id, id);
    -- A request is paid by at most one live payment: a second "Pay" (a double click, a retried
    -- request after a crash) is refused instead of charging twice.
    CREATE UNIQUE INDEX payments_one_live_per_request ON payments (payment_request_id)
      WHERE payment_request_id IS NOT NULL AND state NOT IN ('failed', 'cancelled', 'reversed');

    CREATE TABLE emails (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      agency_id uuid NOT NULL REFERENCES agencies(id),
      kind text NOT NULL,
      to_address text NOT NULL,
      subject text NOT NULL,
      text_body text NOT NULL,
      html_body text NOT NULL,
      status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed', 'kept')),
      attempts integer NOT NULL DEFAULT 0,
      last_error text,
      related_type text,
      related_id text,
      created_at timestamptz NOT NULL DEFAULT now(),
      sent_at timestamptz,
      UNIQUE (agency_id, id)
    );
    CREATE INDEX emails_agency_idx ON emails (agency_id, created_at DESC);

    CREATE TABLE portal_accounts (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      agency_id uuid NOT NULL REFERENCES agencies(id),
      customer_id uuid NOT NULL,
      contact_id uuid NOT NULL,
      email text NOT NULL,
      password_hash text,
      enrolled_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (agency_id, id),
      UNIQUE (agency_id, contact_id),
      FOREIGN KEY (agency_id, customer_id, contact_id) REFERENCES contacts (agency_id, customer_id, id)
    );
    -- One portal login per e-mail address and agency.
    CREATE UNIQUE INDEX portal_accounts_email_key ON portal_accounts (agency_id, lower(email));

    -- Enrollment and sign-in links: only the SHA-256 of the token is stored; single use.
    CREATE TABLE portal_tokens (
      token_hash text PRIMARY KEY,
      agency_id uuid NOT NULL REFERENCES agencies(id),
      customer_id uuid NOT NULL,
      contact_id uuid NOT NULL,
      purpose text NOT NULL CHECK (purpose IN ('enroll', 'sign_in')),
      payment_request_id uuid,
      expires_at timestamptz NOT NULL,
      used_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      FOREIGN KEY (agency_id, customer_id, contact_id) REFERENCES contacts (agency_id, customer_id, id),
      FOREIGN KEY (agency_id, payment_request_id) REFERENCES payment_requests (agency_id, id)
    );

    CREATE TABLE portal_sessions (
      token_hash text PRIMARY KEY,
      agency_id uuid NOT NULL,
      account_id uuid NOT NULL,
      expires_at timestamptz NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      FOREIGN KEY (agency_id, account_id) REFERENCES portal_accounts (agency_id, id)
    );
    CREATE INDEX portal_sessions_expiry_idx ON portal_sessions (expires_at);
  `,
  );
}

export async function down(): Promise<void> {
  throw new Error('policypay migrations are forward-only');
}
