import { sql } from 'kysely';
import { type Actor, systemActor } from '../kernel/actor.ts';
import { DomainError, notFound } from '../kernel/errors.ts';
import { isUuid } from '../kernel/ids.ts';
import { postCustomerReceipt } from '../ledger/receipt-posting.ts';
import { audit, logActivity } from '../platform/db/audit.ts';
import { type Db, inTransaction, type Tx } from '../platform/db/transaction.ts';
import { type JobQueue, noJobQueue, paymentQueues } from '../platform/jobs/job-queue.ts';
import { type ExecutionResult, type StartedAttempt, startAttempts } from './attempt-start.ts';
import type { ChargeOutcome, Processors } from './processors/processor.ts';
import { clientPaid, collectRequestPayment } from './request-collection.ts';
import { retryPlanById } from './retry-plans.ts';
import {
  type AttemptStatus,
  DEFAULT_JANITOR_DELAYS,
  type JanitorDelays,
  nextJanitorCheck,
} from './rules/payment-states.ts';
import { decideRetry } from './rules/retry-plans.ts';
import { transitionPayment } from './transitions.ts';
import { getPaymentById, type PaymentView } from './views.ts';

const WORKER = 'worker:payments';

export type { ExecutionResult } from './attempt-start.ts';

/**
 * Executes one requested payment: (1) in a short transaction, move it to executing and commit an
 * attempt whose id is the processor idempotency key; (2) call the processor with no transaction
 * open; (3) record the outcome in a second transaction. A crash between (1) and (3) leaves a
 * `started` attempt that the janitor resolves by asking the processor — never by charging again.
 */
export async function executePayment(
  db: Db,
  processors: Processors,
  paymentId: string,
  options: ExecutionOptions = {},
): Promise<ExecutionResult> {
  const [result] = await executePayments(db, processors, [paymentId], options);
  if (result!.status === 'rejected') throw result!.reason;
  return result!.value;
}

export interface ExecutionOptions {
  jobs?: JobQueue;
  now?: Date;
  janitorDelays?: JanitorDelays;
}

/**
 * Executes several requested payments as `executePayment` does each, with step (1) for all of
 * them in one transaction (the queue's workers take payments a few at a time; one commit instead
 * of one each). Every started attempt is charged at once, never queued behind another charge: the
 * janitor asks the processor about a `started` attempt after a delay, and the charge must be on
 * its way long before. Each payment's outcome is its own transaction; one that fails leaves the
 * others' standing, so the answer is settled per payment, in the order given.
 */
export async function executePayments(
  db: Db,
  processors: Processors,
  paymentIds: readonly string[],
  options: ExecutionOptions = {},
): Promise<PromiseSettledResult<ExecutionResult>[]> {
  const now = options.now ?? new Date();
  const delays = options.janitorDelays ?? DEFAULT_JANITOR_DELAYS;
  let starts: (StartedAttempt | ExecutionResult)[];
  try {
    starts = await inTransaction(db, (tx) => startAttempts(tx, processors, paymentIds, now, delays));
  } catch (error) {
    return paymentIds.map(() => ({ status: 'rejected', reason: error }));
  }
  return Promise.allSettled(
    starts.map(async (started): Promise<ExecutionResult> => {
      if ('status' in started) return started;
      return chargeStartedAttempt(db, started, { ...options, now, janitorDelays: delays });
    }),
  );
}

/**
 * Steps (2) and (3) for one attempt that step (1) committed: the charge, with no transaction open,
 * then its outcome in a transaction of its own. The workers and a staff member's "retry now" both
 * end here, so a retry pulled forward is charged exactly as a scheduled one.
 */
async function chargeStartedAttempt(
  db: Db,
  started: StartedAttempt,
  options: ExecutionOptions & { now: Date },
): Promise<ExecutionResult> {
  const delays = options.janitorDelays ?? DEFAULT_JANITOR_DELAYS;
  const outcome = await started.processor.charge({ ...started.charge, idempotencyKey: started.idempotencyKey });
  await inTransaction(db, (tx) =>
    recordOutcome(tx, started.attemptId, outcome, options.jobs ?? noJobQueue, options.now, delays),
  );
  return { status: outcome.status, attemptId: started.attemptId };
}

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

/**
 * Records what the processor said about an attempt. Used by execution, the janitor and webhook
 * events alike; an attempt already resolved is left alone, so a late or repeated answer changes
 * nothing twice.
 */
export async function recordOutcome(
  tx: Tx,
  attemptId: string,
  outcome: ChargeOutcome,
  jobs: JobQueue,
  now: Date,
  delays: JanitorDelays = DEFAULT_JANITOR_DELAYS,
): Promise<'recorded' | 'already_resolved'> {
  const { attempt, payment } = await lockAttemptPayment(tx, attemptId);
  const open = attempt.status === 'started' || attempt.status === 'unknown' || attempt.status === 'pending';
  if (!open || payment.state !== 'executing') return 'already_resolved';
  // An attempt that is pending (ACH) only moves on a settlement or return, not on an unknown.
  if (attempt.status === 'pending' && (outcome.status === 'unknown' || outcome.status === 'pending'))
    return 'already_resolved';

  const finish = (status: AttemptStatus, extra: Record<string, unknown> = {}) =>
    tx
      .updateTable('payment_attempts')
      .set({
        status,
        finished_at: status === 'pending' || status === 'unknown' ? null : now,
        processor_reference:
          'processorReference' in outcome
            ? (outcome.processorReference ?? attempt.processor_reference)
            : attempt.processor_reference,
        ...extra,
      })
      .where('id', '=', attempt.id)
      .execute();

  switch (outcome.status) {
    case 'succeeded': {
      await finish('succeeded', { next_check_at: null });
      if (payment.payment_request_id) {
        await collectRequestPayment(tx, { ...payment, payment_request_id: payment.payment_request_id }, jobs, now);
      } else {
        await postPayment(tx, payment, jobs, now);
        if (payment.paid_by_contact_id) await clientPaid(tx, payment, null, jobs, now);
      }
      return 'recorded';
    }
    case 'pending':
      await finish('pending', { next_check_at: null });
      return 'recorded';
    case 'unknown':
      await finish('unknown', {
        next_check_at: nextJanitorCheck(attempt.status === 'unknown' ? attempt.checks : 0, now, delays),
        message: outcome.reason,
      });
      return 'recorded';
    case 'declined': {
      await finish('declined', {
        decline_code: outcome.code,
        hard_decline: outcome.hard,
        message: outcome.message,
        next_check_at: null,
      });
      const plan = await retryPlanById(tx, payment.retry_plan_id);
      const declines = await tx
        .selectFrom('payment_attempts')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('payment_id', '=', payment.id)
        .where('status', '=', 'declined')
        .executeTakeFirstOrThrow();
      // ACH returns are not retried by the plan: an R01 is re-presented as a new payment instead.
      const isAchReturn = /^R\d{2}$/.test(outcome.code);
      const decision = decideRetry(
        plan,
        { code: outcome.code, hard: outcome.hard || isAchReturn },
        Number(declines.n),
        now,
      );
      if (decision.retry) {
        await transitionPayment(tx, payment, 'requested', WORKER, `declined (${outcome.code}); retry scheduled`, {
          next_attempt_at: decision.nextAttemptAt,
          failure_code: outcome.code,
          failure_message: outcome.message,
        });
        // Keyed by the attempts made, so the job running now does not block its retry's.
        await jobs.enqueue(
          tx,
          paymentQueues.execute,
          { paymentId: payment.id, attempts: payment.attempts },
          { startAfter: decision.nextAttemptAt },
        );
      } else {
        await transitionPayment(tx, payment, 'failed', WORKER, decision.reason, {
          failure_code: outcome.code,
          failure_message: outcome.message,
        });
        await logActivity(
          tx,
          systemActor(payment.agency_id, WORKER),
          payment.customer_id,
          'payment_failed',
          `Payment failed: ${outcome.message} (${outcome.code})`,
          {
            paymentId: payment.id,
          },
        );
      }
      return 'recorded';
    }
  }
}

/**
 * The attempt and its payment, the payment locked (every outcome of a payment is serialised on
 * it), in one round trip. The attempt is read as the lock found it, as before: the payment's
 * state, re-read under the lock, is what tells a late answer from a live one.
 */
async function lockAttemptPayment(tx: Tx, attemptId: string) {
  const row = await tx
    .selectFrom('payment_attempts as a')
    .innerJoin('payments as p', 'p.id', 'a.payment_id')
    .selectAll('p')
    .select([
      'a.id as attempt_id',
      'a.status as attempt_status',
      'a.processor_reference as attempt_processor_reference',
      'a.checks as attempt_checks',
    ])
    .where('a.id', '=', attemptId)
    .forUpdate(['p'])
    .executeTakeFirstOrThrow();
  const { attempt_id, attempt_status, attempt_processor_reference, attempt_checks, ...payment } = row;
  return {
    attempt: {
      id: attempt_id,
      status: attempt_status,
      processor_reference: attempt_processor_reference,
      checks: attempt_checks,
    },
    payment,
  };
}

/** A collected payment becomes a cash receipt applied to its targets by the receipt rules. */
async function postPayment(
  tx: Tx,
  payment: {
    id: string;
    agency_id: string;
    state: string;
    customer_id: string;
    bank_id: string;
    type: 'card' | 'ach';
    amount_cents: bigint;
    fee_cents: bigint;
  },
  jobs: JobQueue,
  now: Date,
): Promise<void> {
  const actor = systemActor(payment.agency_id, WORKER);
  // One round trip for what the receipt names: the customer's number, the bank's short name, the
  // agency's time zone and the targets' invoice numbers in order (amounts as text: never a float).
  const names = await tx
    .selectFrom('customers as c')
    .innerJoin('agencies as ag', 'ag.id', 'c.agency_id')
    .innerJoin('banks as b', (join) => join.onRef('b.agency_id', '=', 'c.agency_id').on('b.id', '=', payment.bank_id))
    .select([
      'c.customer_number',
      'b.short_name',
      'ag.time_zone',
      sql<{ invoiceNumber: number; amountCents: string }[] | null>`(
        SELECT json_agg(json_build_object('invoiceNumber', i.invoice_number, 'amountCents', t.amount_cents::text)
                        ORDER BY t.sequence)
          FROM payment_targets t JOIN invoices i ON i.id = t.invoice_id
         WHERE t.payment_id = ${payment.id}::uuid)`.as('targets'),
    ])
    .where('c.id', '=', payment.customer_id)
    .executeTakeFirstOrThrow();
  const customer = { customer_number: names.customer_number };
  const bank = { short_name: names.short_name };
  const agency = { timeZone: names.time_zone };
  const targets = (names.targets ?? []).map((t) => ({
    invoice_number: t.invoiceNumber,
    amount_cents: BigInt(t.amountCents),
  }));
  const items: { invoiceNumber?: number; amountCents: bigint }[] = targets.map((t) => ({
    invoiceNumber: t.invoice_number,
    amountCents: t.amount_cents,
  }));
  // What the targets do not take goes On Account.
  const rest = payment.amount_cents - targets.reduce((total, t) => total + t.amount_cents, 0n);
  if (rest > 0n) items.push({ amountCents: rest });
  const receipt = await postCustomerReceipt(
    tx,
    actor,
    {
      customerNumber: customer.customer_number,
      items,
      receiptAmountCents: payment.amount_cents,
      feeCents: payment.fee_cents,
      receiptDate: now.toISOString(),
      receiptDateTimeZone: agency.timeZone,
      bankShortName: bank.short_name,
      paymentCheckType: payment.type === 'card' ? 'CreditCard' : 'EFT',
      receiptDescription: `${payment.type === 'card' ? 'Card' : 'ACH'} payment ${payment.id}`,
    },
    { source: 'payment', jobs },
  );
  await transitionPayment(tx, payment, 'posted', WORKER, `receipt ${receipt.receiptNumber}`, {
    receipt_id: receipt.id,
    failure_code: null,
    failure_message: null,
  });
}

/** Requested payments whose time has come; the sweep enqueues (or runs) them. */
export async function duePaymentIds(db: Db, now: Date, limit = 500): Promise<string[]> {
  return (await duePayments(db, now, null, limit)).map((r) => r.id);
}

/** A keyset page of due requested payments with their attempt counts (the sweep's job keys). */
export async function duePayments(
  db: Db,
  now: Date,
  after: { nextAttemptAt: Date; id: string } | null,
  limit = 1000,
): Promise<{ id: string; attempts: number; nextAttemptAt: Date }[]> {
  let query = db
    .selectFrom('payments')
    .select(['id', 'attempts', 'next_attempt_at'])
    .where('state', '=', 'requested')
    .where('next_attempt_at', '<=', now);
  if (after) {
    query = query.where((eb) =>
      eb.or([
        eb('next_attempt_at', '>', after.nextAttemptAt),
        eb.and([eb('next_attempt_at', '=', after.nextAttemptAt), eb('id', '>', after.id)]),
      ]),
    );
  }
  const rows = await query.orderBy('next_attempt_at').orderBy('id').limit(limit).execute();
  return rows.map((r) => ({ id: r.id, attempts: Number(r.attempts), nextAttemptAt: r.next_attempt_at! }));
}
