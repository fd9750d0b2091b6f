import type { Kysely } from 'kysely';
import { runScript } from './sql-script.ts';

// Issue 18: an agency sets itself up without SQL. Its postal address is part of its profile
// (receipts and e-mails name it); every part is optional.
// An operator (hosting many agencies) creates agencies over the API, and its POSTs honour
// Idempotency-Key like every POST: its keys are stored under the nil UUID, which no agency has
// (ids come from gen_random_uuid), so they can never meet an agency's. The key table's reference
// to agencies is dropped for that; nothing joins keys to agencies.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    ALTER TABLE agencies ADD COLUMN address_line1 text;
    ALTER TABLE agencies ADD COLUMN city text;
    ALTER TABLE agencies ADD COLUMN state text;
    ALTER TABLE agencies ADD COLUMN postal_code text;
    ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_agency_id_fkey;
    `,
  );
}
