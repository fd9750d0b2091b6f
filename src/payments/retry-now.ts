import type { Actor } from '../kernel/actor.ts';
import { DomainError, notFound } from '../kernel/errors.ts';
import { isUuid } from '../kernel/ids.ts';
import { audit } from '../platform/db/audit.ts';
import { type Db, inTransaction, type Tx } from '../platform/db/transaction.ts';
import { startAttempts } from './attempt-start.ts';
import { chargeStartedAttempt, type ExecutionOptions } from './execution.ts';
import type { Processors } from './processors/processor.ts';
import { DEFAULT_JANITOR_DELAYS } from './rules/payment-states.ts';
import { getPaymentById, type PaymentView } from './views.ts';

/**
 * "Retry now" (staff only, as refunds): a payment whose retry the plan scheduled after a decline
 * (requested, with attempts made) has its next attempt pulled forward to now and executed by the
 * workers' own path — no second money path. The payment is locked while its attempt starts, so two
 * retries (or a retry and the worker) never start two attempts: the second finds it executing and
 * is refused. A refusal writes nothing; the Idempotency-Key commits with the started attempt.
 */
export async function retryPaymentNow(
  db: Db,
  processors: Processors,
  actor: Actor,
  paymentId: string,
  options: ExecutionOptions & {
    now: Date;
    recordEffect?: ((tx: Tx, paymentId: string) => Promise<void>) | undefined;
  },
): Promise<PaymentView> {
  if (actor.role !== 'staff') throw new DomainError('forbidden', 'only agency staff may retry payments');
  const delays = options.janitorDelays ?? DEFAULT_JANITOR_DELAYS;
  const { now } = options;
  const started = await inTransaction(db, async (tx) => {
    const payment = isUuid(paymentId)
      ? await tx
          .selectFrom('payments')
          .select(['id', 'state', 'attempts'])
          .where('agency_id', '=', actor.agencyId)
          .where('id', '=', paymentId)
          .forUpdate()
          .executeTakeFirst()
      : undefined;
    if (!payment) throw notFound('payment', paymentId);
    if (payment.state !== 'requested' || payment.attempts === 0) {
      const why =
        payment.state === 'executing'
          ? 'an attempt of this payment is in flight'
          : payment.state === 'requested'
            ? 'this payment has not been attempted yet: the workers send it when it is due'
            : `this payment is ${payment.state}`;
      throw new DomainError('conflict', `only a payment waiting for a scheduled retry can be retried now; ${why}`, {
        extensions: { state: payment.state, attempts: payment.attempts },
      });
    }
    await tx.updateTable('payments').set({ next_attempt_at: now }).where('id', '=', payment.id).execute();
    const [start] = await startAttempts(tx, processors, [payment.id], now, delays);
    await audit(tx, actor, 'payment.retried_now', { type: 'payment', id: payment.id });
    await options.recordEffect?.(tx, payment.id);
    return start!;
  });
  // Paid another way (cancelled) or an unusable method (failed): the engine already said so.
  if (!('status' in started)) await chargeStartedAttempt(db, started, { ...options, janitorDelays: delays });
  return getPaymentById(db, actor.agencyId, paymentId);
}
