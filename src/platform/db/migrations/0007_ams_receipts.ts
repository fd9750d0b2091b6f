import type { Kysely } from 'kysely';
import { runScript } from './sql-script.ts';

// The AMS360 receipt connector: per-agency configuration and an outbox of receipts to post to the
// agency's AMS. An export row is written in the transaction that posts the receipt, so it exists
// exactly when the receipt does; its idempotency key is fixed at that moment, so every retry is the
// same request to the AMS.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    CREATE TABLE ams_receipt_connectors (
      agency_id uuid PRIMARY KEY REFERENCES agencies(id),
      enabled boolean NOT NULL DEFAULT true,
      base_url text NOT NULL,
      auth_header_name text,
      auth_header_value text,
      -- Receipt sources exported: money policypay collected (payments, autopay) by default.
      sources text[] NOT NULL DEFAULT '{payment,autopay}',
      timeout_ms integer NOT NULL DEFAULT 10000 CHECK (timeout_ms BETWEEN 100 AND 120000),
      -- For an AMS that honours neither Idempotency-Key nor the reference: before sending again
      -- after an unknown outcome, ask GET /receipt/customer?externalReference=… whether it arrived.
      lookup_by_reference boolean NOT NULL DEFAULT false,
      updated_by text NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now(),
      CHECK ((auth_header_name IS NULL) = (auth_header_value IS NULL))
    );

    CREATE TABLE ams_receipt_exports (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      agency_id uuid NOT NULL REFERENCES agencies(id),
      receipt_id uuid NOT NULL,
      reference text NOT NULL,
      idempotency_key text NOT NULL UNIQUE,
      body jsonb NOT NULL,
      status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
      attempts integer NOT NULL DEFAULT 0,
      -- Set by each claim; an outcome is recorded only by the claim that is still current, so a
      -- sender whose lease ran out cannot overwrite a newer attempt's result (except with success).
      claim_id uuid,
      next_attempt_at timestamptz,
      last_http_status integer,
      last_error text,
      ams_receipt_id text,
      created_at timestamptz NOT NULL DEFAULT now(),
      sent_at timestamptz,
      updated_at timestamptz NOT NULL DEFAULT now(),
      -- One export per receipt, ever: the receipt is posted to the AMS once.
      UNIQUE (agency_id, receipt_id),
      UNIQUE (agency_id, id),
      FOREIGN KEY (agency_id, receipt_id) REFERENCES receipts (agency_id, id),
      CHECK ((status IN ('pending', 'sending')) = (next_attempt_at IS NOT NULL)),
      CHECK ((status = 'sent') = (sent_at IS NOT NULL))
    );
    -- The sender reads only open exports whose time has come.
    CREATE INDEX ams_receipt_exports_due_idx ON ams_receipt_exports (next_attempt_at)
      WHERE status IN ('pending', 'sending');
    CREATE INDEX ams_receipt_exports_agency_idx ON ams_receipt_exports (agency_id, created_at DESC);
    `,
  );
}
