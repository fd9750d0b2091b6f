import type { Kysely } from 'kysely';
import { runScript } from './sql-script.ts';

// The founding schema. Written as SQL because constraints, triggers and partial indexes are the
// point here: the database itself refuses an unbalanced journal entry or an edited ledger row.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    CREATE TABLE agencies (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      slug text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]*$'),
      name text NOT NULL,
      time_zone text NOT NULL DEFAULT 'America/Chicago',
      settings jsonb NOT NULL DEFAULT '{}'::jsonb,
      created_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE users (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      agency_id uuid NOT NULL REFERENCES agencies(id),
      email text NOT NULL,
      name text NOT NULL,
      role text NOT NULL CHECK (role IN ('staff', 'agent', 'client')),
      password_hash text,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    -- Sign-in is by e-mail alone, so an address names one user across agencies.
    CREATE UNIQUE INDEX users_email_key ON users (lower(email));
    CREATE INDEX users_agency_idx ON users (agency_id);

    CREATE TABLE sessions (
      token_hash text PRIMARY KEY,
      agency_id uuid NOT NULL REFERENCES agencies(id),
      user_id uuid NOT NULL REFERENCES users(id),
      created_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz NOT NULL
    );

    CREATE TABLE api_keys (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      agency_id uuid NOT NULL REFERENCES agencies(id),
      name text NOT NULL,
      role text NOT NULL CHECK (role IN ('staff', 'agent')),
      key_hash text NOT NULL UNIQUE,
      key_prefix text NOT NULL,
      banks text[],
      created_at timestamptz NOT NULL DEFAULT now(),
      revoked_at timestamptz
    );

    CREATE TABLE agency_counters (
      agency_id uuid NOT NULL REFERENCES agencies(id),
      name text NOT NULL,
      last_value bigint NOT NULL DEFAULT 0,
      PRIMARY KEY (agency_id, name)
    );

    CREATE TABLE customers (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      agency_id uuid NOT NULL REFERENCES agencies(id),
      customer_number integer NOT NULL CHECK (customer_number > 0),
      type text NOT NULL CHECK (type IN ('individual', 'group')),
      name text NOT NULL,
      email text,
      phone text,
      address jsonb,
      producer_user_id uuid REFERENCES users(id),
      csr_user_id uuid REFERENCES users(id),
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (agency_id, customer_number),
      UNIQUE (agency_id, id)
    );

    CREATE TABLE contacts (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      agency_id uuid NOT NULL REFERENCES agencies(id),
      customer_id uuid NOT NULL,
      name text NOT NULL,
      email text,
      phone text,
      is_primary boolean NOT NULL DEFAULT false,
      created_at timestamptz NOT NULL DEFAULT now(),
      FOREIGN KEY (agency_id, customer_id) REFERENCES customers (agency_id, id)
    );
    CREATE INDEX contacts_customer_idx ON contacts (agency_id, customer_id);
    -- One primary contact per customer.
    CREATE UNIQUE INDEX contacts_one_primary ON contacts (customer_id) WHERE is_primary;

    CREATE TABLE installment_plans (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      agency_id uuid NOT NULL REFERENCES agencies(id),
      name text NOT NULL,
      installments integer NOT NULL CHECK (installments BETWEEN 1 AND 366),
      frequency text NOT NULL CHECK (frequency IN ('weekly', 'biweekly', 'monthly', 'quarterly', 'semiannual', 'annual')),
      autopay_lead_days integer CHECK (autopay_lead_days BETWEEN 0 AND 365),
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (agency_id, name),
      UNIQUE (agency_id, id)
    );

    CREATE TABLE policies (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      agency_id uuid NOT NULL REFERENCES agencies(id),
      customer_id uuid NOT NULL,
      policy_number text NOT NULL,
      line_of_business text NOT NULL,
      effective_date date NOT NULL,
      expiration_date date NOT NULL,
      premium_cents bigint NOT NULL CHECK (premium_cents >= 0),
      currency text NOT NULL DEFAULT 'USD',
      installment_plan_id uuid,
      status text NOT NULL CHECK (status IN ('unsubmitted', 'submitted', 'rejected', 'active',
        'cancellation_pending', 'canceled', 'expired')),
      cancellation_reason text CHECK (cancellation_reason IN ('non_pay', 'underwriting', 'insured_request', 'other')),
      cancellation_effective_date date,
      tags text[] NOT NULL DEFAULT '{}',
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (agency_id, policy_number),
      UNIQUE (agency_id, id),
      FOREIGN KEY (agency_id, customer_id) REFERENCES customers (agency_id, id),
      FOREIGN KEY (agency_id, installment_plan_id) REFERENCES installment_plans (agency_id, id),
      CHECK (expiration_date > effective_date),
      CHECK (status <> 'cancellation_pending' OR cancellation_reason IS NOT NULL),
      CHECK (status <> 'canceled' OR cancellation_effective_date IS NOT NULL)
    );
    CREATE INDEX policies_customer_idx ON policies (agency_id, customer_id);

    CREATE TABLE invoices (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      agency_id uuid NOT NULL REFERENCES agencies(id),
      customer_id uuid NOT NULL,
      policy_id uuid,
      invoice_number integer NOT NULL CHECK (invoice_number > 0),
      entity_sequence integer CHECK (entity_sequence > 0),
      due_date date NOT NULL,
      amount_cents bigint NOT NULL CHECK (amount_cents > 0),
      currency text NOT NULL DEFAULT 'USD',
      description text,
      suppress_autopay boolean NOT NULL DEFAULT false,
      autopay_time timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (agency_id, invoice_number),
      UNIQUE (agency_id, id),
      FOREIGN KEY (agency_id, customer_id) REFERENCES customers (agency_id, id),
      FOREIGN KEY (agency_id, policy_id) REFERENCES policies (agency_id, id)
    );
    CREATE INDEX invoices_customer_idx ON invoices (agency_id, customer_id);
    CREATE INDEX invoices_autopay_idx ON invoices (autopay_time) WHERE autopay_time IS NOT NULL AND NOT suppress_autopay;

    CREATE TABLE installments (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      agency_id uuid NOT NULL REFERENCES agencies(id),
      policy_id uuid NOT NULL,
      invoice_id uuid,
      sequence integer NOT NULL CHECK (sequence > 0),
      due_date date NOT NULL,
      amount_cents bigint NOT NULL CHECK (amount_cents >= 0),
      autopay_time timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (policy_id, sequence),
      FOREIGN KEY (agency_id, policy_id) REFERENCES policies (agency_id, id),
      FOREIGN KEY (agency_id, invoice_id) REFERENCES invoices (agency_id, id)
    );

    CREATE TABLE bank_divisions (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      agency_id uuid NOT NULL REFERENCES agencies(id),
      name text NOT NULL,
      UNIQUE (agency_id, name),
      UNIQUE (agency_id, id)
    );

    CREATE TABLE banks (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      agency_id uuid NOT NULL REFERENCES agencies(id),
      short_name text NOT NULL,
      name text NOT NULL,
      division_id uuid NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (agency_id, short_name),
      UNIQUE (agency_id, id),
      FOREIGN KEY (agency_id, division_id) REFERENCES bank_divisions (agency_id, id)
    );

    -- The ledger: double-entry and append-only. A line's amount is signed: debit > 0, credit < 0.
    CREATE TABLE journal_entries (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      agency_id uuid NOT NULL REFERENCES agencies(id),
      kind text NOT NULL,
      description text NOT NULL,
      occurred_on date NOT NULL,
      source_type text,
      source_id uuid,
      reverses_entry_id uuid REFERENCES journal_entries(id),
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (agency_id, id)
    );
    CREATE INDEX journal_entries_source_idx ON journal_entries (agency_id, source_type, source_id);
    -- An entry is reversed at most once.
    CREATE UNIQUE INDEX journal_entries_one_reversal ON journal_entries (reverses_entry_id) WHERE reverses_entry_id IS NOT NULL;

    CREATE TABLE journal_lines (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      agency_id uuid NOT NULL,
      entry_id uuid NOT NULL,
      account text NOT NULL CHECK (account IN ('accounts_receivable', 'on_account', 'premium', 'cash', 'fees')),
      customer_id uuid,
      invoice_id uuid,
      bank_id uuid,
      amount_cents bigint NOT NULL CHECK (amount_cents <> 0),
      currency text NOT NULL DEFAULT 'USD',
      FOREIGN KEY (agency_id, entry_id) REFERENCES journal_entries (agency_id, id),
      FOREIGN KEY (agency_id, customer_id) REFERENCES customers (agency_id, id),
      FOREIGN KEY (agency_id, invoice_id) REFERENCES invoices (agency_id, id),
      FOREIGN KEY (agency_id, bank_id) REFERENCES banks (agency_id, id),
      CHECK (account NOT IN ('accounts_receivable', 'on_account') OR customer_id IS NOT NULL),
      CHECK (account <> 'cash' OR bank_id IS NOT NULL)
    );
    CREATE INDEX journal_lines_entry_idx ON journal_lines (entry_id);
    CREATE INDEX journal_lines_invoice_idx ON journal_lines (agency_id, invoice_id) WHERE invoice_id IS NOT NULL;
    CREATE INDEX journal_lines_customer_idx ON journal_lines (agency_id, customer_id, account) WHERE customer_id IS NOT NULL;

    CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'the ledger is append-only: % on % is not allowed', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'P0001', HINT = 'post a reversing journal entry instead';
    END $$;
    CREATE TRIGGER journal_entries_append_only BEFORE UPDATE OR DELETE ON journal_entries
      FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
    CREATE TRIGGER journal_lines_append_only BEFORE UPDATE OR DELETE ON journal_lines
      FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
    CREATE TRIGGER journal_entries_no_truncate BEFORE TRUNCATE ON journal_entries
      FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
    CREATE TRIGGER journal_lines_no_truncate BEFORE TRUNCATE ON journal_lines
      FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();

    -- Checked at commit, once all of an entry's lines are in: they must sum to zero per currency,
    -- and an entry must have at least two lines.
    CREATE FUNCTION ledger_check_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      entry uuid := (to_jsonb(NEW) ->> TG_ARGV[0])::uuid;
      line_count integer;
      unbalanced text;
    BEGIN
      SELECT count(*) INTO line_count FROM journal_lines WHERE entry_id = entry;
      IF line_count < 2 THEN
        RAISE EXCEPTION 'journal entry % has % line(s); an entry needs at least two', entry, line_count
          USING ERRCODE = '23514';
      END IF;
      SELECT string_agg(currency || ' ' || total::text, ', ') INTO unbalanced FROM (
        SELECT currency, sum(amount_cents) AS total FROM journal_lines WHERE entry_id = entry
        GROUP BY currency HAVING sum(amount_cents) <> 0) t;
      IF unbalanced IS NOT NULL THEN
        RAISE EXCEPTION 'journal entry % does not balance (%)', entry, unbalanced USING ERRCODE = '23514';
      END IF;
      RETURN NULL;
    END $$;
    CREATE CONSTRAINT TRIGGER journal_lines_balanced AFTER INSERT ON journal_lines
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_balanced('entry_id');
    CREATE CONSTRAINT TRIGGER journal_entries_have_lines AFTER INSERT ON journal_entries
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_balanced('id');

    CREATE TABLE activities (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      agency_id uuid NOT NULL REFERENCES agencies(id),
      customer_id uuid NOT NULL,
      kind text NOT NULL,
      summary text NOT NULL,
      data jsonb NOT NULL DEFAULT '{}'::jsonb,
      actor text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      FOREIGN KEY (agency_id, customer_id) REFERENCES customers (agency_id, id)
    );
    CREATE INDEX activities_customer_idx ON activities (agency_id, customer_id, created_at DESC);

    CREATE TABLE idempotency_keys (
      agency_id uuid NOT NULL REFERENCES agencies(id),
      key text NOT NULL,
      request_hash text NOT NULL,
      method text NOT NULL,
      path text NOT NULL,
      state text NOT NULL CHECK (state IN ('in_progress', 'completed')),
      response_status integer,
      response_body jsonb,
      locked_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (agency_id, key)
    );
    CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);

    CREATE TABLE audit_log (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      agency_id uuid NOT NULL REFERENCES agencies(id),
      actor text NOT NULL,
      action text NOT NULL,
      entity_type text NOT NULL,
      entity_id text NOT NULL,
      data jsonb NOT NULL DEFAULT '{}'::jsonb,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX audit_log_entity_idx ON audit_log (agency_id, entity_type, entity_id);
  `,
  );
}

export async function down(): Promise<void> {
  throw new Error('policypay migrations are forward-only');
}
