import type { AutopayRunFigures } from '../domain/autopay.ts';
import type { Actor } from './actor.ts';
import type { Db } from './transaction.ts';

/** The pg-boss schedule, `policypay autopay run`, or a direct call (scripts, the bench, tests). */
export type AutopayRunTrigger = 'schedule' | 'cli' | 'manual';

export interface AutopayRunView extends AutopayRunFigures {
  id: string;
  trigger: AutopayRunTrigger;
  /** The pass's clock: invoices with an autopay time up to this instant were due. */
  asOf: Date;
  status: 'running' | 'finished' | 'failed';
  startedAt: Date;
  finishedAt: Date | null;
  error: string | null;
}

/** Records a pass as running before it reads anything, so a crashed pass stays visible. */
export async function startAutopayRun(
  db: Db,
  agencyId: string,
  trigger: AutopayRunTrigger,
  asOf: Date,
): Promise<string> {
  const row = await db
    .insertInto('autopay_runs')
    .values({ agency_id: agencyId, trigger, as_of: asOf, status: 'running' })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
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
      ...(end ? { status: end.status, finished_at: new Date(), error: end.error ?? null } : {}),
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
  status: 'running' | 'finished' | 'failed';
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

export async function getAutopayRun(db: Db, agencyId: string, runId: string): Promise<AutopayRunView> {
  const row = await db
    .selectFrom('autopay_runs')
    .selectAll()
    .where('agency_id', '=', agencyId)
    .where('id', '=', runId)
    .executeTakeFirstOrThrow();
  return runView(row);
}

/** Past passes, latest first. */
export async function listAutopayRuns(db: Db, actor: Actor, options: { limit: number }): Promise<AutopayRunView[]> {
  const rows = await db
    .selectFrom('autopay_runs')
    .selectAll()
    .where('agency_id', '=', actor.agencyId)
    .orderBy('started_at', 'desc')
    .orderBy('id', 'desc')
    .limit(options.limit)
    .execute();
  return rows.map(runView);
}
