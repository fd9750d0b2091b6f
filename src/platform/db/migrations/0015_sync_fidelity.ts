import type { Kysely } from 'kysely';
import { runScript } from './sql-script.ts';

// Issue 16 items 5 and 6. `sync_outbox.fields`: the fields an update carries (null = the whole
// record, as before), so an AMS change reaches the benefits system as only what changed and a
// benefits-only edit of another field survives. `sync_links` may link invoices (their AMS
// identity). An AMS360 receipt export whose customer or invoice has no AMS identity yet is `held`
// with its reason and no body: the body is built, with the AMS's numbers, when it is released.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    ALTER TABLE sync_outbox ADD COLUMN fields jsonb;
    ALTER TABLE sync_links DROP CONSTRAINT sync_links_entity_check;
    ALTER TABLE sync_links ADD CONSTRAINT sync_links_entity_check
      CHECK (entity IN ('customer', 'contact', 'policy', 'invoice'));
    ALTER TABLE ams_receipt_exports ALTER COLUMN body DROP NOT NULL;
    ALTER TABLE ams_receipt_exports DROP CONSTRAINT ams_receipt_exports_status_check;
    ALTER TABLE ams_receipt_exports ADD CONSTRAINT ams_receipt_exports_status_check
      CHECK (status IN ('held', 'pending', 'sending', 'sent', 'failed'));
    ALTER TABLE ams_receipt_exports ADD CONSTRAINT ams_receipt_exports_body_check
      CHECK ((status = 'held') = (body IS NULL));
    CREATE INDEX ams_receipt_exports_held_idx ON ams_receipt_exports (agency_id) WHERE status = 'held';
    `,
  );
}
