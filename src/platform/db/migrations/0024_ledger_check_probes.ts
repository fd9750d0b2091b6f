import type { Kysely } from 'kysely';
import { runScript } from './sql-script.ts';

// The ledger's statement check (0010) found each written entry with a join to journal_entries.
// For a receipt's one entry that was an index probe; for a statement writing thousands of entries
// (an import's batch: 2,000 invoices, 2,000 entries, 4,000 lines) the planner took the join as a
// hash join over a sequential scan of every entry in the database, once per batch: a 100,000
// customer import read journal_entries about ten million times over, more with every batch. Now
// each written entry is looked up on its own (a LIMIT keeps the lookup from being turned back
// into a join), an index probe whatever the statement's size. Same checks, same errors.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    CREATE OR REPLACE FUNCTION ledger_check_written_lines() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      bad record;
      unbalanced text;
    BEGIN
      -- Only suspect entries come back: none when the statement wrote balanced entries.
      FOR bad IN
        SELECT w.entry_id, w.agency_id, e.id IS NULL AS missing, t.line_count
          FROM (SELECT DISTINCT entry_id, agency_id FROM written) w
          LEFT JOIN LATERAL (SELECT e.id FROM journal_entries e
                              WHERE e.id = w.entry_id AND e.agency_id = w.agency_id LIMIT 1) e ON true
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
