import { loadPaymentSettings } from '../agency/payment-settings.ts';
import { POOR_PAYMENT_HISTORY_TAG } from '../eligibility/rules/eligibility.ts';
import { systemActor } from '../kernel/actor.ts';
import { reverseReceipt } from '../ledger/receipt-reversals.ts';
import { audit, bigintReplacer, logActivity } from '../platform/db/audit.ts';
import { type Db, inTransaction, type Tx } from '../platform/db/transaction.ts';
import { type JobQueue, noJobQueue, paymentQueues } from '../platform/jobs/job-queue.ts';
import { recordOutcome } from './execution.ts';
import { disablePaymentMethod } from './methods.ts';
import { notifyPaymentReversed } from './notifications.ts';
import type { ProcessorEvent } from './processors/processor.ts';
import { releaseHeldRequestPayment } from './request-collection.ts';
import { mayRepresent, returnDisablesMethod } from './rules/retry-plans.ts';
import { transitionPayment } from './transitions.ts';

export type EventOutcome = 'duplicate' | 'unmatched' | 'ignored' | 'posted' | 'failed' | 'reversed';

const WORKER = 'worker:processor-events';

/**
 * Applies a verified processor event once. The event row (primary key: processor + event id) is
 * written in the same transaction as its effect, so a second delivery finds it and changes
 * nothing; an event that arrives out of order (a settlement after a return) is ignored.
 */
export async function handleProcessorEvent(
  db: Db,
  processor: string,
  event: ProcessorEvent,
  /** `agencyId`: the event came to that agency's own endpoint, signed with its secret: only its attempts match. */
  options: { jobs?: JobQueue; now?: Date; agencyId?: string | undefined } = {},
): Promise<EventOutcome> {
  const now = options.now ?? new Date();
  return inTransaction(db, async (tx) => {
    const inserted = await tx
      .insertInto('processor_events')
      .values({
        processor,
        event_id: event.id,
        type: event.type,
        processor_reference: event.processorReference,
        payload: JSON.stringify(event, bigintReplacer),
      })
      .onConflict((oc) => oc.columns(['processor', 'event_id']).doNothing())
      .returning('event_id')
      .executeTakeFirst();
    if (!inserted) return 'duplicate';
    const outcome = await apply(tx, processor, event, options.jobs ?? noJobQueue, now, options.agencyId);
    await tx
      .updateTable('processor_events')
      .set({ outcome })
      .where('processor', '=', processor)
      .where('event_id', '=', event.id)
      .execute();
    return outcome;
  });
}

async function apply(
  tx: Tx,
  processor: string,
  event: ProcessorEvent,
  jobs: JobQueue,
  now: Date,
  agencyId: string | undefined,
): Promise<EventOutcome> {
  let query = tx.selectFrom('payment_attempts').selectAll().where('processor', '=', processor);
  if (agencyId) query = query.where('agency_id', '=', agencyId);
  query = event.idempotencyKey
    ? query.where((eb) =>
        eb.or([
          eb('processor_reference', '=', event.processorReference),
          eb('idempotency_key', '=', event.idempotencyKey!),
        ]),
      )
    : query.where('processor_reference', '=', event.processorReference);
  const attempt = await query.executeTakeFirst();
  if (!attempt) return 'unmatched';
  const payment = await tx
    .selectFrom('payments')
    .selectAll()
    .where('id', '=', attempt.payment_id)
    .forUpdate()
    .executeTakeFirstOrThrow();

  if (event.type === 'payment.settled') {
    if (payment.state !== 'executing') return 'ignored';
    const result = await recordOutcome(
      tx,
      attempt.id,
      { status: 'succeeded', processorReference: event.processorReference },
      jobs,
      now,
    );
    return result === 'recorded' ? 'posted' : 'ignored';
  }

  const actor = systemActor(payment.agency_id, WORKER);
  const returnCode = event.type === 'payment.returned' ? (event.returnCode ?? 'R01') : null;
  const attemptOpen = attempt.status === 'pending' || attempt.status === 'started' || attempt.status === 'unknown';
  if (payment.state === 'executing' && returnCode) {
    // A failure for an attempt already declined (a processor's late echo of a synchronous decline).
    if (!attemptOpen) return 'ignored';
    // Returned before it settled: nothing was posted, the payment failed.
    await recordOutcome(
      tx,
      attempt.id,
      {
        status: 'declined',
        code: returnCode,
        hard: true,
        message: `ACH return ${returnCode}`,
        processorReference: event.processorReference,
      },
      jobs,
      now,
    );
    await afterReturn(tx, payment, returnCode, jobs, now);
    return 'failed';
  }
  if (payment.state !== 'posted') return 'ignored';
  const reason = returnCode ? `ACH return ${returnCode}` : 'chargeback';
  if (payment.receipt_id) {
    // A charge refunded in full brings nothing back when disputed: the refunds took it all.
    const refunded = await tx
      .selectFrom('payment_refunds')
      .select((eb) => eb.fn.sum<string | bigint | null>('amount_cents').as('cents'))
      .where('payment_id', '=', payment.id)
      .where('status', '=', 'succeeded')
      .executeTakeFirstOrThrow();
    if (BigInt(refunded.cents ?? 0) >= payment.amount_cents) return 'ignored';
    const receipt = await tx
      .selectFrom('receipts')
      .select('receipt_number')
      .where('id', '=', payment.receipt_id)
      .executeTakeFirstOrThrow();
    await reverseReceipt(
      tx,
      actor,
      receipt.receipt_number,
      { reason: returnCode ? 'nsf' : 'chargeback', note: returnCode ? `ACH return ${returnCode}` : 'card chargeback' },
      now,
    );
  } else if (!(await releaseHeldRequestPayment(tx, payment, reason, now))) {
    return 'ignored';
  }
  await transitionPayment(tx, payment, 'reversed', WORKER, returnCode ? `ACH return ${returnCode}` : 'chargeback', {
    failure_code: returnCode ?? 'chargeback',
    failure_message: returnCode ? `ACH return ${returnCode}` : 'card chargeback',
  });
  await logActivity(
    tx,
    actor,
    payment.customer_id,
    'payment_reversed',
    `Payment reversed: ${returnCode ? `ACH return ${returnCode}` : 'chargeback'}`,
    {
      paymentId: payment.id,
    },
  );
  if (returnCode) await afterReturn(tx, payment, returnCode, jobs, now);
  await notifyPaymentReversed(
    tx,
    payment,
    { kind: returnCode ? 'return' : 'chargeback', code: returnCode ?? 'chargeback' },
    jobs,
  );
  await audit(tx, actor, 'payment.reversed', { type: 'payment', id: payment.id }, { event: event.id });
  return 'reversed';
}

/** What an ACH return leads to: disable the account, re-present an NSF, flag a poor history. */
async function afterReturn(
  tx: Tx,
  payment: {
    id: string;
    agency_id: string;
    customer_id: string;
    payment_method_id: string;
    represents_payment_id: string | null;
  },
  code: string,
  jobs: JobQueue,
  now: Date,
): Promise<void> {
  if (returnDisablesMethod(code)) await disablePaymentMethod(tx, payment.payment_method_id, `ACH return ${code}`);
  let representments = 0;
  for (let id = payment.represents_payment_id; id; representments++) {
    const previous = await tx
      .selectFrom('payments')
      .select('represents_payment_id')
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    id = previous.represents_payment_id;
  }
  if (mayRepresent(code, representments)) await represent(tx, payment.id, jobs, now);

  const settings = await loadPaymentSettings(tx, payment.agency_id);
  const threshold = settings.poorPaymentHistoryAfterReturns;
  const yearAgo = new Date(now.getTime() - 365 * 86_400_000);
  const returns = await tx
    .selectFrom('payment_attempts')
    .innerJoin('payments', 'payments.id', 'payment_attempts.payment_id')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('payments.customer_id', '=', payment.customer_id)
    .where('payment_attempts.decline_code', 'like', 'R%')
    .where('payment_attempts.finished_at', '>=', yearAgo)
    .executeTakeFirstOrThrow();
  const reversedByReturn = await tx
    .selectFrom('payments')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('customer_id', '=', payment.customer_id)
    .where('state', '=', 'reversed')
    .where('failure_code', 'like', 'R%')
    .where('updated_at', '>=', yearAgo)
    .executeTakeFirstOrThrow();
  if (threshold > 0 && Number(returns.n) + Number(reversedByReturn.n) >= threshold) {
    const policies = await tx
      .selectFrom('policies')
      .select(['id', 'tags'])
      .where('customer_id', '=', payment.customer_id)
      .execute();
    for (const policy of policies) {
      if (!policy.tags.includes(POOR_PAYMENT_HISTORY_TAG)) {
        await tx
          .updateTable('policies')
          .set({ tags: [...policy.tags, POOR_PAYMENT_HISTORY_TAG], updated_at: now })
          .where('id', '=', policy.id)
          .execute();
      }
    }
  }
}

/** A new payment for the same targets and method, presented again. */
async function represent(tx: Tx, paymentId: string, jobs: JobQueue, now: Date): Promise<void> {
  const original = await tx.selectFrom('payments').selectAll().where('id', '=', paymentId).executeTakeFirstOrThrow();
  const copy = await tx
    .insertInto('payments')
    .values({
      agency_id: original.agency_id,
      customer_id: original.customer_id,
      payment_method_id: original.payment_method_id,
      type: original.type,
      amount_cents: original.amount_cents,
      currency: original.currency,
      channel: original.channel,
      payer: original.payer,
      state: 'requested',
      retry_plan_id: original.retry_plan_id,
      bank_id: original.bank_id,
      next_attempt_at: now,
      represents_payment_id: original.id,
      extension: JSON.stringify(original.extension),
      created_by: WORKER,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const targets = await tx.selectFrom('payment_targets').selectAll().where('payment_id', '=', original.id).execute();
  await tx
    .insertInto('payment_targets')
    .values(
      targets.map((t) => ({
        agency_id: t.agency_id,
        payment_id: copy.id,
        sequence: t.sequence,
        invoice_id: t.invoice_id,
        amount_cents: t.amount_cents,
      })),
    )
    .execute();
  await tx
    .insertInto('payment_transitions')
    .values({
      agency_id: original.agency_id,
      payment_id: copy.id,
      from_state: null,
      to_state: 'requested',
      actor: WORKER,
      reason: `re-presentment of ${original.id}`,
    })
    .execute();
  await jobs.enqueue(tx, paymentQueues.execute, { paymentId: copy.id });
}
