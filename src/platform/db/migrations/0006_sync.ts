import type { Kysely } from 'kysely';
import { runScript } from './sql-script.ts';

// The sync hub (issue 8): connectors per agency and system role, the cross-reference of local
// records to external ids, cursors, webhook event ids, the review queue, the outbox of pushes and
// the sync log. The unique (agency, system, entity, external id) on links is what keeps two
// deliveries of one external record from ever making two local ones.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    CREATE TABLE sync_connectors (
      agency_id uuid NOT NULL REFERENCES agencies(id),
      system text NOT NULL CHECK (system IN ('ams', 'benefits', 'crm')),
      kind text NOT NULL CHECK (kind IN ('rest')),
      config jsonb NOT NULL,
      webhook_secret text,
      enabled boolean NOT NULL DEFAULT true,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (agency_id, system)
    );

    -- One row per agency: the rules (null = the defaults in sync/rules/rules.ts). Sync work locks
    -- this row so a webhook and a daily page never match the same new account at once.
    CREATE TABLE sync_settings (
      agency_id uuid PRIMARY KEY REFERENCES agencies(id),
      rules jsonb,
      updated_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE sync_links (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      agency_id uuid NOT NULL REFERENCES agencies(id),
      entity text NOT NULL CHECK (entity IN ('customer', 'contact', 'policy')),
      local_id uuid NOT NULL,
      system text NOT NULL CHECK (system IN ('ams', 'benefits', 'crm')),
      external_id text NOT NULL,
      -- The AMS customer number this record carries (its own in the AMS, the AMS's in the benefits
      -- system): the first stable key for matching.
      ams_customer_number text,
      external_version bigint,
      content_hash text,
      status text NOT NULL DEFAULT 'synced' CHECK (status IN ('synced', 'pending', 'error')),
      last_error text,
      synced_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (agency_id, system, entity, external_id),
      UNIQUE (agency_id, system, entity, local_id)
    );
    CREATE INDEX sync_links_local_idx ON sync_links (agency_id, entity, local_id);
    CREATE INDEX sync_links_ams_number_idx ON sync_links (agency_id, ams_customer_number)
      WHERE ams_customer_number IS NOT NULL;

    -- Matching by normalized name reads customers through this index.
    CREATE INDEX customers_sync_name_idx ON customers (agency_id, lower(regexp_replace(name, '[^a-zA-Z0-9]+', '', 'g')));

    CREATE TABLE sync_cursors (
      agency_id uuid NOT NULL REFERENCES agencies(id),
      system text NOT NULL,
      entity text NOT NULL,
      cursor text,
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (agency_id, system, entity)
    );

    CREATE TABLE sync_events (
      agency_id uuid NOT NULL REFERENCES agencies(id),
      system text NOT NULL,
      event_id text NOT NULL,
      outcome text NOT NULL,
      received_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (agency_id, system, event_id)
    );

    CREATE TABLE sync_reviews (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      agency_id uuid NOT NULL REFERENCES agencies(id),
      system text NOT NULL,
      entity text NOT NULL,
      external_id text NOT NULL,
      record jsonb NOT NULL,
      candidate_ids uuid[] NOT NULL,
      reason text NOT NULL,
      status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'accepted', 'merged', 'rejected')),
      resolved_customer_id uuid,
      resolved_by text,
      created_at timestamptz NOT NULL DEFAULT now(),
      resolved_at timestamptz
    );
    CREATE UNIQUE INDEX sync_reviews_one_open ON sync_reviews (agency_id, system, entity, external_id)
      WHERE status = 'open';
    CREATE INDEX sync_reviews_agency_idx ON sync_reviews (agency_id, status, created_at);

    -- Pushes to external systems, written in the transaction of the change and sent after commit.
    CREATE TABLE sync_outbox (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      agency_id uuid NOT NULL REFERENCES agencies(id),
      system text NOT NULL,
      entity text NOT NULL,
      local_id uuid NOT NULL,
      operation text NOT NULL CHECK (operation IN ('create', 'update')),
      attempts integer NOT NULL DEFAULT 0,
      last_error text,
      created_at timestamptz NOT NULL DEFAULT now(),
      -- Counted up by every later request for the same push; a push is done only if it did not move.
      requests integer NOT NULL DEFAULT 1,
      done_at timestamptz
    );
    -- Repeated edits before a push coalesce into one pending row.
    CREATE UNIQUE INDEX sync_outbox_one_pending ON sync_outbox (agency_id, system, entity, local_id)
      WHERE done_at IS NULL;

    CREATE TABLE sync_log (
      id bigserial PRIMARY KEY,
      agency_id uuid NOT NULL REFERENCES agencies(id),
      system text NOT NULL,
      direction text NOT NULL CHECK (direction IN ('inbound', 'outbound')),
      entity text NOT NULL,
      local_id uuid,
      external_id text,
      action text NOT NULL,
      message text,
      at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX sync_log_agency_idx ON sync_log (agency_id, id);
    `,
  );
}
