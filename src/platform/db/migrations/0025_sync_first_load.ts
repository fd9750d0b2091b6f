import type { Kysely } from 'kysely';
import { runScript } from './sql-script.ts';

// Opening AR from a connector (an AMS invoice with an open balance that matches nothing here) is
// written only during that connector's first load: its first daily sync that reads the system to
// the end. Afterwards policypay bills, and an AMS invoice it does not know is not billed twice.
// Connectors configured before this migration have loaded already (they only linked invoices):
// they are marked done, so turning on an open-balance field later creates no AR either.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    ALTER TABLE sync_connectors ADD COLUMN first_load_done_at timestamptz;
    UPDATE sync_connectors SET first_load_done_at = updated_at;
    `,
  );
}
