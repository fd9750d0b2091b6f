import { type Db, inTransaction } from '../platform/db/transaction.ts';
import { type JobQueue, noJobQueue } from '../platform/jobs/job-queue.ts';
import { agencyProcessors } from './agency-processors.ts';
import { recordOutcome } from './execution.ts';
import type { Processors } from './processors/processor.ts';
import { DEFAULT_JANITOR_DELAYS, type JanitorDelays, nextJanitorCheck } from './rules/payment-states.ts';
import { transitionPayment } from './transitions.ts';

export interface JanitorReport {
  checked: number;
  resolved: number;
  stillUnknown: number;
  notSent: number;
}

/**
 * Resolves attempts whose outcome is unknown (timeout, lost response, 5xx) or that a crashed
 * worker left `started`, by asking the processor about the attempt's idempotency key. It never
 * charges: an attempt the processor has no record of was not sent, and its payment goes back to
 * `requested` for a new attempt with a new key.
 */
export async function runPaymentJanitor(
  db: Db,
  processors: Processors,
  options: { jobs?: JobQueue; now?: Date; limit?: number; janitorDelays?: JanitorDelays } = {},
): Promise<JanitorReport> {
  const now = options.now ?? new Date();
  const delays = options.janitorDelays ?? DEFAULT_JANITOR_DELAYS;
  const due = await db
    .selectFrom('payment_attempts')
    .select(['id', 'agency_id', 'processor', 'idempotency_key', 'checks', 'status'])
    .where('status', 'in', ['started', 'unknown'])
    .where('next_check_at', '<=', now)
    .orderBy('next_check_at')
    .limit(options.limit ?? 200)
    .execute();
  const report: JanitorReport = { checked: due.length, resolved: 0, stillUnknown: 0, notSent: 0 };
  for (const attempt of due) {
    // Asked of the attempt's agency's account: another agency's key would not find it.
    const processor = (await agencyProcessors(db, processors, attempt.agency_id)).get(attempt.processor);
    if (!processor) continue;
    const found = await processor.lookup(attempt.idempotency_key);
    await inTransaction(db, async (tx) => {
      if (found.status === 'not_found') {
        const current = await tx
          .selectFrom('payment_attempts')
          .selectAll()
          .where('id', '=', attempt.id)
          .executeTakeFirstOrThrow();
        const payment = await tx
          .selectFrom('payments')
          .selectAll()
          .where('id', '=', current.payment_id)
          .forUpdate()
          .executeTakeFirstOrThrow();
        if (!['started', 'unknown'].includes(current.status) || payment.state !== 'executing') return;
        await tx
          .updateTable('payment_attempts')
          .set({ status: 'not_sent', finished_at: now, next_check_at: null })
          .where('id', '=', attempt.id)
          .execute();
        await transitionPayment(
          tx,
          payment,
          'requested',
          'worker:janitor',
          'the processor never received the attempt',
          { next_attempt_at: now },
        );
        report.notSent++;
      } else if (found.status === 'unknown') {
        await tx
          .updateTable('payment_attempts')
          .set({
            status: 'unknown',
            checks: attempt.checks + 1,
            next_check_at: nextJanitorCheck(attempt.checks + 1, now, delays),
            message: found.reason,
          })
          .where('id', '=', attempt.id)
          .where('status', 'in', ['started', 'unknown'])
          .execute();
        report.stillUnknown++;
      } else {
        const result = await recordOutcome(tx, attempt.id, found, options.jobs ?? noJobQueue, now, delays);
        if (result === 'recorded') report.resolved++;
      }
    });
  }
  return report;
}
