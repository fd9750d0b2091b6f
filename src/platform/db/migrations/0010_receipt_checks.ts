import type { Kysely } from 'kysely';
import { runScript } from './sql-script.ts';

// Fewer checks per receipt, none weaker (measured in docs/architecture.md, Receipts):
//
// - receipts and activities no longer carry a key to agencies of their own: their (agency_id,
//   customer_id) key to customers, on a NOT NULL customer, already proves the agency, whose rows
//   customers reference. Each such check locked the agency's row, which every receipt of the
//   agency shares, so concurrent receipts piled up multixacts on it;
// - the ledger's statement check reads each written entry once, in one query: that the entry
//   exists in the line's agency, has at least two lines and balances. Lines in more than one
//   currency (policypay writes only USD today) are summed per currency before one is refused.
//   The two queries it replaces each planned a sort and an aggregate per statement.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    ALTER TABLE receipts DROP CONSTRAINT receipts_agency_id_fkey;
    ALTER TABLE activities DROP CONSTRAINT activities_agency_id_fkey;

    CREATE OR REPLACE FUNCTION ledger_check_written_lines() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      bad record;
      unbalanced text;
    BEGIN
      -- Only suspect entries come back: none when the statement wrote balanced entries.
      FOR bad IN
        SELECT w.entry_id, w.agency_id, e.id IS NULL AS missing, t.line_count
          FROM (SELECT DISTINCT entry_id, agency_id FROM written) w
          LEFT JOIN journal_entries e ON e.id = w.entry_id AND e.agency_id = w.agency_id
         CROSS JOIN LATERAL (SELECT count(*)::int AS line_count, sum(l.amount_cents) AS total,
                                    min(l.currency) <> max(l.currency) AS mixed
                               FROM journal_lines l WHERE l.entry_id = w.entry_id) t
         WHERE e.id IS NULL OR t.line_count < 2 OR t.total <> 0 OR t.mixed
      LOOP
        IF bad.missing THEN
          RAISE EXCEPTION 'journal lines refer to entry %, which agency % does not have', bad.entry_id, bad.agency_id
            USING ERRCODE = '23503';
        END IF;
        IF bad.line_count < 2 THEN
          RAISE EXCEPTION 'journal entry % has % line(s); an entry needs at least two', bad.entry_id, bad.line_count
            USING ERRCODE = '23514';
        END IF;
        SELECT string_agg(currency || ' ' || total::text, ', ') INTO unbalanced
          FROM (SELECT currency, sum(amount_cents) AS total FROM journal_lines WHERE entry_id = bad.entry_id
                 GROUP BY currency HAVING sum(amount_cents) <> 0) per_currency;
        IF unbalanced IS NOT NULL THEN
          RAISE EXCEPTION 'journal entry % does not balance (%)', bad.entry_id, unbalanced USING ERRCODE = '23514';
        END IF;
      END LOOP;
      RETURN NULL;
    END $$;
    `,
  );
}
