import type { Kysely } from 'kysely';
import { runScript } from './sql-script.ts';

// Autopay exactly once (issue 14) and failed firings retried (issue 15):
//
// - a run whose process died is closed as `abandoned` by the next pass, which releases its
//   `claimed` firings (`retry_due`, the invoice undecided again) for its own pages to claim;
// - a failed firing has `next_retry_at` from its retry plan (counted in `failures`); when it comes,
//   the pass makes the firing `retry_due` and the invoice undecided, and the claim takes the firing
//   row over (`attempts` + 1) instead of inserting one — one row per invoice and autopay time still.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    ALTER TABLE autopay_runs DROP CONSTRAINT autopay_runs_status_check;
    ALTER TABLE autopay_runs ADD CONSTRAINT autopay_runs_status_check
      CHECK (status IN ('running', 'finished', 'failed', 'abandoned'));
    -- The runs still marked running: each pass checks whether their owners are alive.
    CREATE INDEX autopay_runs_running_idx ON autopay_runs (agency_id) WHERE status = 'running';

    ALTER TABLE autopay_firings DROP CONSTRAINT autopay_firings_status_check;
    ALTER TABLE autopay_firings ADD CONSTRAINT autopay_firings_status_check
      CHECK (status IN ('claimed', 'payment_created', 'receipt_posted', 'no_payment', 'failed', 'retry_due'));
    ALTER TABLE autopay_firings ADD COLUMN attempts integer NOT NULL DEFAULT 1;
    ALTER TABLE autopay_firings ADD COLUMN failures integer NOT NULL DEFAULT 0;
    ALTER TABLE autopay_firings ADD COLUMN next_retry_at timestamptz;
    ALTER TABLE autopay_firings ADD CONSTRAINT autopay_firings_retry_check
      CHECK (next_retry_at IS NULL OR status = 'failed');
    CREATE INDEX autopay_firings_claimed_idx ON autopay_firings (agency_id, run_id) WHERE status = 'claimed';
    CREATE INDEX autopay_firings_retry_idx ON autopay_firings (agency_id, next_retry_at)
      WHERE next_retry_at IS NOT NULL;
  `,
  );
}

export async function down(): Promise<void> {
  throw new Error('policypay migrations are forward-only');
}
