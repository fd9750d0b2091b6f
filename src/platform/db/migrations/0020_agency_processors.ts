import type { Kysely } from 'kysely';
import { runScript } from './sql-script.ts';

// Issue 20: each agency may choose its own processor (its own Stripe account, or the sandbox).
// An agency without a row keeps the process default (POLICYPAY_PROCESSOR / STRIPE_SECRET_KEY).
// Secret keys and webhook signing secrets are stored sealed by the secret box (ppenc:v1:…), bound
// to this table, the agency and the column; the publishable key is public by design.
// A saved method's token is unique within its agency (two agencies' Stripe accounts are two
// namespaces: the same test PaymentMethod id can be saved by both), no longer across agencies.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    CREATE TABLE agency_processors (
      agency_id uuid PRIMARY KEY REFERENCES agencies(id),
      kind text NOT NULL CHECK (kind IN ('sandbox', 'stripe')),
      publishable_key text,
      secret_key text,
      webhook_secret text,
      updated_by text NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now(),
      CHECK (kind = 'sandbox' OR secret_key IS NOT NULL)
    );

    ALTER TABLE payment_methods DROP CONSTRAINT payment_methods_processor_token_key;
    ALTER TABLE payment_methods ADD CONSTRAINT payment_methods_agency_processor_token_key
      UNIQUE (agency_id, processor, token);
    `,
  );
}
