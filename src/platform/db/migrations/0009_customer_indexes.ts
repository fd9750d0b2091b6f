import type { Kysely } from 'kysely';
import { runScript } from './sql-script.ts';

// Secondary indexes of tables that composite foreign keys point at no longer start with agency_id.
// A key check is `WHERE agency_id = $1 AND id = $2`, planned once per connection; planned while a
// table had no statistics (a fresh agency, the start of a benchmark) it could pick
// receipts (agency_id, customer_id, created_at) over the (agency_id, id) key and then read every
// receipt of the agency for each check: a third of the receipts benchmark's application checks
// did, 12.9 million index entries in ten seconds. Led by the customer (or the source) instead,
// these indexes serve only the lookups they were made for, which always name the customer.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    DROP INDEX contacts_customer_idx;
    CREATE INDEX contacts_customer_idx ON contacts (customer_id);
    DROP INDEX policies_customer_idx;
    CREATE INDEX policies_customer_idx ON policies (customer_id);
    DROP INDEX invoices_customer_idx;
    CREATE INDEX invoices_customer_idx ON invoices (customer_id);
    DROP INDEX receipts_customer_idx;
    CREATE INDEX receipts_customer_idx ON receipts (customer_id, created_at DESC);
    DROP INDEX payments_customer_idx;
    CREATE INDEX payments_customer_idx ON payments (customer_id, created_at DESC);
    DROP INDEX payment_requests_customer_idx;
    CREATE INDEX payment_requests_customer_idx ON payment_requests (customer_id, requested_at DESC);
    DROP INDEX journal_entries_source_idx;
    CREATE INDEX journal_entries_source_idx ON journal_entries (source_id, source_type);
    `,
  );
}
