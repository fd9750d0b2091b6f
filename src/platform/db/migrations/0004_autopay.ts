import type { Kysely } from 'kysely';
import { runScript } from './sql-script.ts';

// Autopay: enrollments, passes (runs), firings and skips. The firing's unique (invoice, autopay
// time) is what makes an invoice fire once per autopay time across passes and worker processes.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    -- The autopay time the passes are done with (fired, or skipped after the invoice's window).
    -- Invoices whose autopay time differs from it are the only ones a pass reads, through the
    -- partial index, so decided invoices cost nothing however large the book grows.
    ALTER TABLE invoices ADD COLUMN autopay_decided_time timestamptz;
    CREATE INDEX invoices_autopay_pending_idx ON invoices (agency_id, autopay_time, id)
      WHERE autopay_time IS NOT NULL AND autopay_decided_time IS DISTINCT FROM autopay_time;

    -- Whether a payment for an invoice is already in flight (an ACH debit stays pending for days).
    CREATE INDEX payment_targets_invoice_idx ON payment_targets (agency_id, invoice_id);

    -- Lets an enrollment's foreign key say "a method of this very customer".
    CREATE UNIQUE INDEX payment_methods_customer_key ON payment_methods (agency_id, customer_id, id);

    CREATE TABLE autopay_enrollments (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      agency_id uuid NOT NULL REFERENCES agencies(id),
      customer_id uuid NOT NULL,
      payment_method_id uuid NOT NULL,
      enrolled_by text NOT NULL,
      enrolled_at timestamptz NOT NULL DEFAULT now(),
      ended_by text,
      ended_at timestamptz,
      end_reason text,
      UNIQUE (agency_id, id),
      FOREIGN KEY (agency_id, customer_id) REFERENCES customers (agency_id, id),
      FOREIGN KEY (agency_id, customer_id, payment_method_id)
        REFERENCES payment_methods (agency_id, customer_id, id),
      CHECK ((ended_at IS NULL) = (ended_by IS NULL))
    );
    -- At most one enrollment in force per customer; ended ones are kept as history.
    CREATE UNIQUE INDEX autopay_enrollments_active ON autopay_enrollments (agency_id, customer_id)
      WHERE ended_at IS NULL;

    CREATE TABLE autopay_runs (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      agency_id uuid NOT NULL REFERENCES agencies(id),
      trigger text NOT NULL CHECK (trigger IN ('schedule', 'cli', 'manual')),
      as_of timestamptz NOT NULL,
      status text NOT NULL CHECK (status IN ('running', 'finished', 'failed')),
      started_at timestamptz NOT NULL DEFAULT now(),
      finished_at timestamptz,
      examined integer NOT NULL DEFAULT 0,
      fired integer NOT NULL DEFAULT 0,
      already_fired integer NOT NULL DEFAULT 0,
      payments_created integer NOT NULL DEFAULT 0,
      receipts_posted integer NOT NULL DEFAULT 0,
      no_payment integer NOT NULL DEFAULT 0,
      failed integer NOT NULL DEFAULT 0,
      skipped jsonb NOT NULL DEFAULT '{}'::jsonb,
      error text,
      UNIQUE (agency_id, id)
    );
    CREATE INDEX autopay_runs_agency_idx ON autopay_runs (agency_id, started_at DESC);

    CREATE TABLE autopay_firings (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      agency_id uuid NOT NULL,
      invoice_id uuid NOT NULL,
      autopay_time timestamptz NOT NULL,
      run_id uuid NOT NULL,
      status text NOT NULL CHECK (status IN ('claimed', 'payment_created', 'receipt_posted', 'no_payment', 'failed')),
      payment_id uuid,
      receipt_id uuid,
      payment_state text CHECK (payment_state IN ('draft', 'validated', 'requested')),
      next_request_time timestamptz,
      decision jsonb,
      error text,
      fired_at timestamptz NOT NULL DEFAULT now(),
      decided_at timestamptz,
      UNIQUE (invoice_id, autopay_time),
      FOREIGN KEY (agency_id, invoice_id) REFERENCES invoices (agency_id, id),
      FOREIGN KEY (agency_id, run_id) REFERENCES autopay_runs (agency_id, id),
      FOREIGN KEY (agency_id, payment_id) REFERENCES payments (agency_id, id),
      FOREIGN KEY (agency_id, receipt_id) REFERENCES receipts (agency_id, id),
      CHECK (status <> 'payment_created' OR payment_id IS NOT NULL),
      CHECK (status <> 'receipt_posted' OR receipt_id IS NOT NULL)
    );
    CREATE INDEX autopay_firings_run_idx ON autopay_firings (run_id);

    -- The latest reason an invoice was not fired for its autopay time; rewritten only when the
    -- reason changes. A final skip is one recorded after the invoice's due date: no pass reads
    -- that invoice again for this autopay time.
    CREATE TABLE autopay_skips (
      agency_id uuid NOT NULL,
      invoice_id uuid NOT NULL,
      autopay_time timestamptz NOT NULL,
      reason text NOT NULL CHECK (reason IN ('no_balance', 'suppressed', 'not_enrolled', 'payment_method_unusable',
        'payment_in_progress', 'ineligible')),
      eligibility_reason text,
      message text NOT NULL,
      final boolean NOT NULL,
      run_id uuid NOT NULL,
      skipped_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (invoice_id, autopay_time),
      FOREIGN KEY (agency_id, invoice_id) REFERENCES invoices (agency_id, id),
      FOREIGN KEY (agency_id, run_id) REFERENCES autopay_runs (agency_id, id),
      CHECK ((reason = 'ineligible') = (eligibility_reason IS NOT NULL))
    );
    CREATE INDEX autopay_skips_run_idx ON autopay_skips (run_id);
  `,
  );
}

export async function down(): Promise<void> {
  throw new Error('policypay migrations are forward-only');
}
