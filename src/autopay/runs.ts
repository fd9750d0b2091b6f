import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Actor } from '../kernel/actor.ts';
import type { Db } from '../platform/db/transaction.ts';
import type { AutopayRunFigures } from './rules/autopay.ts';
import { type RunSummary, summarizeRun } from './rules/autopay-console.ts';

/** The pg-boss schedule, `policypay autopay run`, or a direct call (scripts, the bench, tests). */
export type AutopayRunTrigger = 'schedule' | 'cli' | 'manual';

export interface AutopayRunView extends AutopayRunFigures {
  id: string;
  trigger: AutopayRunTrigger;
  /** The pass's clock: invoices with an autopay time up to this instant were due. */
  asOf: Date;
  /** `abandoned`: its process died (or lost the database) mid-pass; a later pass closed it. */
  status: 'running' | 'finished' | 'failed' | 'abandoned';
  startedAt: Date;
  finishedAt: Date | null;
  error: string | null;
}

/**
 * Records a pass as running before it reads anything, so a crashed pass stays visible. Called
 * inside `holdAutopayRun`: the run is never seen running without its owner's lock.
 */
export async function startAutopayRun(
  db: Db,
  agencyId: string,
  trigger: AutopayRunTrigger,
  asOf: Date,
  id: string = randomUUID(),
): Promise<string> {
  const row = await db
    .insertInto('autopay_runs')
    .values({ id, agency_id: agencyId, trigger, as_of: asOf, status: 'running' })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/*
 * Whether a run's pass is still alive. Its owner holds, for the pass's lifetime, a session-level
 * advisory lock on one pooled connection: when the process dies (or loses that connection) the
 * server releases it, so a run whose lock can be taken has provably no owner — no timer guesses.
 * PGlite is one session, in which the lock is re-entrant, so there the process's own set of live
 * runs decides (no other process can open a PGlite database). A run wrongly found dead costs at
 * most a second plugin call: a firing's outcome commits only while its run still owns the claim.
 */
const RUN_LOCK_NAMESPACE = 0x61757470; // 'autp': keeps these keys apart from other advisory locks
const liveRuns = new Set<string>();

/** PGlite: one session, one connection at a time (holding one for the pass would stall it). */
function isSingleSession(db: Db): boolean {
  return db.getExecutor().adapter.supportsMultipleConnections === false;
}

export async function holdAutopayRun<T>(db: Db, runId: string, work: () => Promise<T>): Promise<T> {
  liveRuns.add(runId);
  try {
    if (isSingleSession(db)) return await work();
    return await db.connection().execute(async (connection) => {
      await sql`SELECT pg_advisory_lock(${RUN_LOCK_NAMESPACE}::int, hashtext(${runId}))`.execute(connection);
      try {
        return await work();
      } finally {
        await sql`SELECT pg_advisory_unlock(${RUN_LOCK_NAMESPACE}::int, hashtext(${runId}))`
          .execute(connection)
          .catch(() => {});
      }
    });
  } finally {
    liveRuns.delete(runId);
  }
}

async function isRunAlive(db: Db, runId: string): Promise<boolean> {
  if (liveRuns.has(runId)) return true;
  if (isSingleSession(db)) return false;
  return db.connection().execute(async (connection) => {
    const { rows } = await sql<{ free: boolean }>`
      SELECT pg_try_advisory_lock(${RUN_LOCK_NAMESPACE}::int, hashtext(${runId})) AS free`.execute(connection);
    if (!rows[0]!.free) return true;
    await sql`SELECT pg_advisory_unlock(${RUN_LOCK_NAMESPACE}::int, hashtext(${runId}))`.execute(connection);
    return false;
  });
}

/**
 * Closes the agency's runs that say `running` but whose pass is dead, as `abandoned`; returns how
 * many. Their claimed firings are then released by `reopenFirings` for this pass to claim.
 */
export async function closeDeadRuns(db: Db, agencyId: string, closedBy: string): Promise<number> {
  const running = await db
    .selectFrom('autopay_runs')
    .select('id')
    .where('agency_id', '=', agencyId)
    .where('status', '=', 'running')
    .where('id', '<>', closedBy)
    .execute();
  let closed = 0;
  for (const { id } of running) {
    if (await isRunAlive(db, id)) continue;
    const result = await db
      .updateTable('autopay_runs')
      .set({
        status: 'abandoned',
        finished_at: new Date(),
        error: `the pass stopped before it finished (its process died or lost the database); run ${closedBy} closed it and took over its unfinished firings`,
      })
      .where('agency_id', '=', agencyId)
      .where('id', '=', id)
      .where('status', '=', 'running')
      .executeTakeFirst();
    closed += Number(result.numUpdatedRows);
  }
  return closed;
}

export async function saveAutopayRun(
  db: Db,
  agencyId: string,
  runId: string,
  figures: AutopayRunFigures,
  end?: { status: 'finished' | 'failed'; error?: string | undefined },
): Promise<void> {
  await db
    .updateTable('autopay_runs')
    .set({
      examined: figures.examined,
      fired: figures.fired,
      already_fired: figures.alreadyFired,
      payments_created: figures.paymentsCreated,
      receipts_posted: figures.receiptsPosted,
      no_payment: figures.noPayment,
      failed: figures.failed,
      skipped: JSON.stringify(figures.skipped),
      // A run another pass found dead and closed keeps saying so, even if it did finish after all.
      ...(end
        ? {
            status: sql<'finished' | 'failed'>`CASE WHEN status = 'running' THEN ${end.status} ELSE status END`,
            finished_at: new Date(),
            error: sql<string | null>`CASE WHEN status = 'running' THEN ${end.error ?? null}::text ELSE error END`,
          }
        : {}),
    })
    .where('agency_id', '=', agencyId)
    .where('id', '=', runId)
    .execute();
}

/** A scheduled pass that changed nothing is not kept: one every minute would bury the ones that did. */
export async function discardAutopayRun(db: Db, agencyId: string, runId: string): Promise<void> {
  await db.deleteFrom('autopay_runs').where('agency_id', '=', agencyId).where('id', '=', runId).execute();
}

type RunRow = {
  id: string;
  trigger: AutopayRunTrigger;
  as_of: Date;
  status: 'running' | 'finished' | 'failed' | 'abandoned';
  started_at: Date;
  finished_at: Date | null;
  examined: number;
  fired: number;
  already_fired: number;
  payments_created: number;
  receipts_posted: number;
  no_payment: number;
  failed: number;
  skipped: Record<string, number>;
  error: string | null;
};

function runView(row: RunRow): AutopayRunView {
  return {
    id: row.id,
    trigger: row.trigger,
    asOf: row.as_of,
    status: row.status,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    examined: row.examined,
    fired: row.fired,
    alreadyFired: row.already_fired,
    paymentsCreated: row.payments_created,
    receiptsPosted: row.receipts_posted,
    noPayment: row.no_payment,
    failed: row.failed,
    skipped: row.skipped ?? {},
    error: row.error,
  };
}

export interface AutopayRunListItem extends AutopayRunView {
  /** The payments this pass's firings created that have posted since, and that ended failed. */
  paymentsPosted: number;
  paymentsFailed: number;
  summary: RunSummary;
}

/** Past passes, latest first, with what became of the payments they created. */
export async function listAutopayRuns(db: Db, actor: Actor, options: { limit: number }): Promise<AutopayRunListItem[]> {
  const outcome = (state: 'posted' | 'failed') =>
    sql<number>`(SELECT count(*)::int FROM autopay_firings f JOIN payments p ON p.id = f.payment_id
      WHERE f.agency_id = autopay_runs.agency_id AND f.run_id = autopay_runs.id AND p.state = ${state})`;
  const rows = await db
    .selectFrom('autopay_runs')
    .selectAll()
    .select([outcome('posted').as('payments_posted'), outcome('failed').as('payments_failed')])
    .where('agency_id', '=', actor.agencyId)
    .orderBy('started_at', 'desc')
    .orderBy('id', 'desc')
    .limit(options.limit)
    .execute();
  return rows.map((row) => {
    const run = runView(row);
    const paymentsPosted = Number(row.payments_posted);
    const paymentsFailed = Number(row.payments_failed);
    return {
      ...run,
      paymentsPosted,
      paymentsFailed,
      summary: summarizeRun({ ...run, paymentsPosted, paymentsFailed }),
    };
  });
}
