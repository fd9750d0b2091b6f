import { sql } from 'kysely';
import type { Db } from '../db/transaction.ts';

/**
 * What the metrics read from the database at scrape time, over all agencies. Totals come from the
 * rows themselves, not from counters kept in memory, so they are the same whichever process is
 * scraped and survive restarts: the workers that post payments and send e-mails run in other
 * processes. Each figure is one statement, answered by a partial index where one exists (attempts
 * awaiting the janitor, pending e-mails, undecided autopay times, retries, pending pushes); the
 * counts by payment state and by e-mail status read their whole tables, which is what a total
 * costs without a counter table.
 */
export interface DatabaseFigures {
  paymentsByState: Map<string, number>;
  attempts: {
    unknown: number;
    /** Attempts in `started` or `unknown` whose janitor check is due. */
    awaitingJanitor: number;
    /** The earliest janitor check still due (the janitor's lag is how long ago that was). */
    oldestDueCheck: Date | null;
    oldestUnknownStart: Date | null;
  };
  autopay: {
    /** Invoices whose autopay time has come and that no pass has decided (fired or skipped for good). */
    dueInvoices: number;
    oldestDueTime: Date | null;
    /** Failed firings whose retry time has come. */
    retriesDue: number;
    runsByStatus: Map<string, number>;
    fired: number;
    failed: number;
  };
  emailsByStatus: Map<string, { count: number; oldest: Date | null }>;
  sync: {
    /** Per system: the least recent completed daily run among the agencies with the connector enabled. */
    lastRun: Map<string, Date>;
    pushes: Map<string, { pending: number; failing: number }>;
  };
}

const count = (value: bigint | number | string | null): number => Number(value ?? 0);

export async function loadDatabaseFigures(db: Db, now: Date): Promise<DatabaseFigures> {
  // One statement after the other: a scrape takes one pooled connection, never the whole pool.
  const payments = await sql<{ state: string; n: bigint }>`
    SELECT state, count(*) AS n FROM payments GROUP BY state`.execute(db);
  const [attempts] = (
    await sql<{ unknown: bigint; due: bigint; oldest_due: Date | null; oldest_unknown: Date | null }>`
      SELECT count(*) FILTER (WHERE status = 'unknown') AS unknown,
             count(*) FILTER (WHERE next_check_at <= ${now}) AS due,
             min(next_check_at) FILTER (WHERE next_check_at <= ${now}) AS oldest_due,
             min(started_at) FILTER (WHERE status = 'unknown') AS oldest_unknown
        FROM payment_attempts WHERE status IN ('started', 'unknown')`.execute(db)
  ).rows;
  const [due] = (
    await sql<{ n: bigint; oldest: Date | null }>`
      SELECT count(*) AS n, min(autopay_time) AS oldest FROM invoices
       WHERE autopay_time IS NOT NULL AND autopay_decided_time IS DISTINCT FROM autopay_time
         AND autopay_time <= ${now}`.execute(db)
  ).rows;
  const [retries] = (
    await sql<{ n: bigint }>`
      SELECT count(*) AS n FROM autopay_firings
       WHERE next_retry_at IS NOT NULL AND next_retry_at <= ${now}`.execute(db)
  ).rows;
  // Quiet scheduled passes are not kept (autopay.ts), so this table grows with passes that did something.
  const runs = await sql<{ status: string; n: bigint; fired: bigint | null; failed: bigint | null }>`
    SELECT status, count(*) AS n, sum(fired) AS fired, sum(failed) AS failed
      FROM autopay_runs GROUP BY status`.execute(db);
  const emails = await sql<{ status: string; n: bigint; oldest: Date | null }>`
    SELECT status, count(*) AS n, min(created_at) AS oldest FROM emails GROUP BY status`.execute(db);
  const lastRuns = await sql<{ system: string; oldest: Date }>`
    SELECT k.system, min(k.updated_at) AS oldest
      FROM sync_cursors k
      JOIN sync_connectors c ON c.agency_id = k.agency_id AND c.system = k.system AND c.enabled
     WHERE k.entity = 'customer'
     GROUP BY k.system`.execute(db);
  const pushes = await sql<{ system: string; n: bigint; failing: bigint }>`
    SELECT system, count(*) AS n, count(*) FILTER (WHERE last_error IS NOT NULL) AS failing
      FROM sync_outbox WHERE done_at IS NULL GROUP BY system`.execute(db);

  return {
    paymentsByState: new Map(payments.rows.map((row) => [row.state, count(row.n)])),
    attempts: {
      unknown: count(attempts?.unknown ?? 0n),
      awaitingJanitor: count(attempts?.due ?? 0n),
      oldestDueCheck: attempts?.oldest_due ?? null,
      oldestUnknownStart: attempts?.oldest_unknown ?? null,
    },
    autopay: {
      dueInvoices: count(due?.n ?? 0n),
      oldestDueTime: due?.oldest ?? null,
      retriesDue: count(retries?.n ?? 0n),
      runsByStatus: new Map(runs.rows.map((row) => [row.status, count(row.n)])),
      fired: runs.rows.reduce((sum, row) => sum + count(row.fired), 0),
      failed: runs.rows.reduce((sum, row) => sum + count(row.failed), 0),
    },
    emailsByStatus: new Map(emails.rows.map((row) => [row.status, { count: count(row.n), oldest: row.oldest }])),
    sync: {
      lastRun: new Map(lastRuns.rows.map((row) => [row.system, row.oldest])),
      pushes: new Map(pushes.rows.map((row) => [row.system, { pending: count(row.n), failing: count(row.failing) }])),
    },
  };
}

/** Seconds from `then` to `now` (0 for none, or for a time in the future). */
export function ageSeconds(now: Date, then: Date | null): number {
  return then ? Math.max(0, (now.getTime() - then.getTime()) / 1000) : 0;
}
