import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Tx } from '../platform/db/transaction.ts';
import { agencyProcessors } from './agency-processors.ts';
import type { PaymentProcessor, Processors } from './processors/processor.ts';
import type { AttemptStatus, JanitorDelays } from './rules/payment-states.ts';
import { moveToExecuting, transitionPayment } from './transitions.ts';

const WORKER = 'worker:payments';

export type ExecutionResult =
  | { status: 'skipped'; reason: string }
  | { status: 'cancelled'; reason: string }
  | { status: 'failed'; reason: string }
  | { status: AttemptStatus; attemptId: string };

export interface StartedAttempt {
  attemptId: string;
  idempotencyKey: string;
  processor: PaymentProcessor;
  charge: { amountCents: bigint; currency: string; token: string; description: string };
}

/**
 * Step (1) of execution for each payment, in the caller's transaction: a payment another worker
 * holds, or not due, is skipped; one whose targets were all paid another way is cancelled; one
 * whose method cannot be used fails; every other moves to executing with a new `started` attempt
 * whose id is the processor's idempotency key. Answers in the order of `paymentIds`.
 */
export async function startAttempts(
  tx: Tx,
  processors: Processors,
  paymentIds: readonly string[],
  now: Date,
  delays: JanitorDelays,
): Promise<(StartedAttempt | ExecutionResult)[]> {
  if (paymentIds.length === 0) return [];
  const rows = await lockDuePayments(tx, paymentIds);
  const byId = new Map(rows.map((row) => [row.id, row]));
  const starting: { row: (typeof rows)[number]; processor: PaymentProcessor; attemptId: string }[] = [];
  const answers: (StartedAttempt | ExecutionResult)[] = [];
  for (const id of paymentIds) {
    const row = byId.get(id);
    // A payment named twice (two jobs of one payment in a batch) is started once.
    byId.delete(id);
    if (!row) {
      answers.push({ status: 'skipped', reason: 'not requested (or being executed elsewhere)' });
      continue;
    }
    const { method_processor, method_token, method_disabled_at, method_deleted_at, targets_paid, ...payment } = row;
    if (payment.next_attempt_at && payment.next_attempt_at > now) {
      answers.push({ status: 'skipped', reason: 'not due yet' });
      continue;
    }
    // Retries stop when the targets were paid another way. (A payment without targets goes
    // wholly On Account: nothing can have paid it another way.)
    if (targets_paid) {
      await transitionPayment(tx, payment, 'cancelled', WORKER, 'targets already paid', { next_attempt_at: null });
      answers.push({ status: 'cancelled', reason: 'targets already paid' });
      continue;
    }
    // The agency's own processor when it chose one, else the process default.
    const processor = (await agencyProcessors(tx, processors, payment.agency_id)).get(method_processor);
    if (!processor || method_disabled_at || method_deleted_at) {
      const reason = !processor
        ? `processor ${method_processor} is not configured`
        : 'the payment method is no longer usable';
      await transitionPayment(tx, payment, 'executing', WORKER, null, { next_attempt_at: null });
      await transitionPayment(tx, payment, 'failed', WORKER, reason, {
        failure_code: 'payment_method_unusable',
        failure_message: reason,
      });
      answers.push({ status: 'failed', reason });
      continue;
    }
    const attemptId = randomUUID();
    starting.push({ row, processor, attemptId });
    answers.push({
      attemptId,
      idempotencyKey: `ppa_${attemptId}`,
      processor,
      charge: {
        // The convenience fee (issue 20.3) is charged with the amount, in the same charge.
        amountCents: payment.amount_cents + payment.fee_cents,
        currency: payment.currency,
        token: method_token,
        description: `policypay payment ${payment.id} attempt ${payment.attempts + 1}`,
      },
    });
  }
  if (starting.length === 0) return answers;

  await moveToExecuting(
    tx,
    starting.map((s) => s.row.id),
    WORKER,
  );
  await tx
    .insertInto('payment_attempts')
    .values(
      starting.map(({ row, processor, attemptId }) => ({
        id: attemptId,
        agency_id: row.agency_id,
        payment_id: row.id,
        number: row.attempts + 1,
        processor: processor.name,
        idempotency_key: `ppa_${attemptId}`,
        status: 'started' as const,
        // The caller's clock, not the database's: reports count attempts by the day they started.
        started_at: now,
        // If this worker dies before recording an outcome, the janitor looks after a delay.
        next_check_at: new Date(now.getTime() + delays.startedMs),
      })),
    )
    .execute();
  return answers;
}

/**
 * One round trip: the requested payments (SKIP LOCKED: a payment another worker holds is being
 * executed there; leave it alone), each with its method and whether every target was already paid
 * another way.
 */
function lockDuePayments(tx: Tx, paymentIds: readonly string[]) {
  return tx
    .selectFrom('payments as p')
    .innerJoin('payment_methods as m', 'm.id', 'p.payment_method_id')
    .selectAll('p')
    .select([
      'm.processor as method_processor',
      'm.token as method_token',
      'm.disabled_at as method_disabled_at',
      'm.deleted_at as method_deleted_at',
      sql<boolean>`(SELECT count(*) > 0 AND bool_and(balance <= 0) FROM (
          SELECT coalesce(sum(l.amount_cents), 0) AS balance
            FROM payment_targets t
            LEFT JOIN journal_lines l
              ON l.agency_id = p.agency_id AND l.invoice_id = t.invoice_id AND l.account = 'accounts_receivable'
           WHERE t.payment_id = p.id
           GROUP BY t.invoice_id) balances)`.as('targets_paid'),
    ])
    .where('p.id', 'in', paymentIds)
    .where('p.state', '=', 'requested')
    .forUpdate(['p'])
    .skipLocked()
    .execute();
}
