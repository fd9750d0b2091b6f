import type { Kysely } from 'kysely';
import { runScript } from './sql-script.ts';

// The payments engine: saved payment methods (tokens only), payments with their recorded
// transitions, processor attempts (the attempt id is the processor idempotency key, committed
// before the call), retry plans and de-duplicated processor events.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    CREATE TABLE retry_plans (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      agency_id uuid NOT NULL REFERENCES agencies(id),
      name text NOT NULL,
      delay_days integer[] NOT NULL,
      retry_codes text[],
      is_default boolean NOT NULL DEFAULT false,
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (agency_id, name),
      UNIQUE (agency_id, id)
    );
    CREATE UNIQUE INDEX retry_plans_one_default ON retry_plans (agency_id) WHERE is_default;

    CREATE TABLE payment_methods (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      agency_id uuid NOT NULL REFERENCES agencies(id),
      customer_id uuid NOT NULL,
      processor text NOT NULL,
      token text NOT NULL,
      kind text NOT NULL CHECK (kind IN ('card', 'ach')),
      brand text,
      last4 text NOT NULL CHECK (last4 ~ '^[0-9]{2,4}$'),
      exp_month integer CHECK (exp_month BETWEEN 1 AND 12),
      exp_year integer,
      bank_name text,
      holder_name text,
      is_default boolean NOT NULL DEFAULT false,
      disabled_at timestamptz,
      disabled_reason text,
      deleted_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (agency_id, id),
      UNIQUE (processor, token),
      FOREIGN KEY (agency_id, customer_id) REFERENCES customers (agency_id, id)
    );
    CREATE UNIQUE INDEX payment_methods_one_default ON payment_methods (customer_id) WHERE is_default AND deleted_at IS NULL;

    CREATE TABLE payments (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      agency_id uuid NOT NULL REFERENCES agencies(id),
      customer_id uuid NOT NULL,
      payment_method_id uuid NOT NULL,
      type text NOT NULL CHECK (type IN ('card', 'ach')),
      amount_cents bigint NOT NULL CHECK (amount_cents > 0),
      currency text NOT NULL DEFAULT 'USD',
      channel text NOT NULL CHECK (channel IN ('agent_sweep', 'secure_checkout', 'autopay')),
      payer text NOT NULL CHECK (payer IN ('external', 'agent', 'staff')),
      state text NOT NULL CHECK (state IN ('draft', 'validated', 'requested', 'executing', 'posted', 'failed', 'cancelled', 'reversed')),
      retry_plan_id uuid NOT NULL,
      bank_id uuid NOT NULL,
      attempts integer NOT NULL DEFAULT 0,
      next_attempt_at timestamptz,
      receipt_id uuid,
      represents_payment_id uuid,
      failure_code text,
      failure_message text,
      extension jsonb NOT NULL DEFAULT '{}'::jsonb,
      created_by text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (agency_id, id),
      FOREIGN KEY (agency_id, customer_id) REFERENCES customers (agency_id, id),
      FOREIGN KEY (agency_id, payment_method_id) REFERENCES payment_methods (agency_id, id),
      FOREIGN KEY (agency_id, retry_plan_id) REFERENCES retry_plans (agency_id, id),
      FOREIGN KEY (agency_id, bank_id) REFERENCES banks (agency_id, id),
      FOREIGN KEY (agency_id, receipt_id) REFERENCES receipts (agency_id, id),
      FOREIGN KEY (agency_id, represents_payment_id) REFERENCES payments (agency_id, id)
    );
    CREATE INDEX payments_customer_idx ON payments (agency_id, customer_id, created_at DESC);
    CREATE INDEX payments_due_idx ON payments (next_attempt_at) WHERE state = 'requested';

    CREATE TABLE payment_targets (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      agency_id uuid NOT NULL,
      payment_id uuid NOT NULL,
      sequence integer NOT NULL,
      invoice_id uuid NOT NULL,
      amount_cents bigint NOT NULL CHECK (amount_cents > 0),
      UNIQUE (payment_id, sequence),
      FOREIGN KEY (agency_id, payment_id) REFERENCES payments (agency_id, id),
      FOREIGN KEY (agency_id, invoice_id) REFERENCES invoices (agency_id, id)
    );

    CREATE TABLE payment_transitions (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      agency_id uuid NOT NULL,
      payment_id uuid NOT NULL,
      from_state text,
      to_state text NOT NULL,
      actor text NOT NULL,
      reason text,
      created_at timestamptz NOT NULL DEFAULT now(),
      FOREIGN KEY (agency_id, payment_id) REFERENCES payments (agency_id, id)
    );
    CREATE INDEX payment_transitions_payment_idx ON payment_transitions (payment_id, id);

    CREATE TABLE payment_attempts (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      agency_id uuid NOT NULL,
      payment_id uuid NOT NULL,
      number integer NOT NULL CHECK (number > 0),
      processor text NOT NULL,
      idempotency_key text NOT NULL UNIQUE,
      status text NOT NULL CHECK (status IN ('started', 'succeeded', 'pending', 'declined', 'unknown', 'not_sent')),
      processor_reference text,
      decline_code text,
      hard_decline boolean,
      message text,
      checks integer NOT NULL DEFAULT 0,
      next_check_at timestamptz,
      started_at timestamptz NOT NULL DEFAULT now(),
      finished_at timestamptz,
      UNIQUE (payment_id, number),
      FOREIGN KEY (agency_id, payment_id) REFERENCES payments (agency_id, id)
    );
    -- At most one attempt per payment whose outcome is open: never two charges in flight.
    CREATE UNIQUE INDEX payment_attempts_one_open ON payment_attempts (payment_id)
      WHERE status IN ('started', 'unknown', 'pending');
    CREATE UNIQUE INDEX payment_attempts_reference ON payment_attempts (processor, processor_reference)
      WHERE processor_reference IS NOT NULL;
    CREATE INDEX payment_attempts_janitor_idx ON payment_attempts (next_check_at) WHERE status IN ('started', 'unknown');

    CREATE TABLE processor_events (
      processor text NOT NULL,
      event_id text NOT NULL,
      type text NOT NULL,
      processor_reference text NOT NULL,
      payload jsonb NOT NULL,
      outcome text,
      received_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (processor, event_id)
    );

    CREATE TABLE payment_refunds (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      agency_id uuid NOT NULL,
      payment_id uuid NOT NULL,
      amount_cents bigint NOT NULL CHECK (amount_cents > 0),
      idempotency_key text NOT NULL UNIQUE,
      status text NOT NULL CHECK (status IN ('started', 'succeeded', 'failed', 'unknown')),
      processor_reference text,
      journal_entry_id uuid,
      reason text,
      created_by text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      FOREIGN KEY (agency_id, payment_id) REFERENCES payments (agency_id, id)
    );
  `,
  );
}

export async function down(): Promise<void> {
  throw new Error('policypay migrations are forward-only');
}
