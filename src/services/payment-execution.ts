import { randomUUID } from 'node:crypto';
import {
  type AttemptStatus,
  DEFAULT_JANITOR_DELAYS,
  type JanitorDelays,
  nextJanitorCheck,
} from '../domain/payment-states.ts';
import { decideRetry } from '../domain/retry-plans.ts';
import type { ChargeOutcome, PaymentProcessor } from '../processors/processor.ts';
import { systemActor } from './actor.ts';
import { getAgency } from './agencies.ts';
import { logActivity } from './audit.ts';
import { type JobQueue, noJobQueue, paymentQueues } from './job-queue.ts';
import { invoiceBalances } from './ledger.ts';
import type { Processors } from './payment-methods.ts';
import { clientPaid, collectRequestPayment } from './payment-request-collection.ts';
import { transitionPayment } from './payments.ts';
import { postCustomerReceipt } from './receipts.ts';
import { retryPlanById } from './retry-plans.ts';
import { type Db, inTransaction, type Tx } from './transaction.ts';

const WORKER = 'worker:payments';

export type ExecutionResult =
  | { status: 'skipped'; reason: string }
  | { status: 'cancelled'; reason: string }
  | { status: 'failed'; reason: string }
  | { status: AttemptStatus; attemptId: string };

interface StartedAttempt {
  attemptId: string;
  idempotencyKey: string;
  processor: PaymentProcessor;
  charge: { amountCents: bigint; currency: string; token: string; description: string };
}

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
  options: { jobs?: JobQueue; now?: Date; janitorDelays?: JanitorDelays } = {},
): Promise<ExecutionResult> {
  const now = options.now ?? new Date();
  const delays = options.janitorDelays ?? DEFAULT_JANITOR_DELAYS;
  const started = await inTransaction(db, (tx) => startAttempt(tx, processors, paymentId, now, delays));
  if ('status' in started) return started;
  const outcome = await started.processor.charge({ ...started.charge, idempotencyKey: started.idempotencyKey });
  await inTransaction(db, (tx) =>
    recordOutcome(tx, started.attemptId, outcome, options.jobs ?? noJobQueue, now, delays),
  );
  return { status: outcome.status, attemptId: started.attemptId };
}

async function startAttempt(
  tx: Tx,
  processors: Processors,
  paymentId: string,
  now: Date,
  delays: JanitorDelays,
): Promise<StartedAttempt | ExecutionResult> {
  // SKIP LOCKED: another worker holding this payment is executing it; leave it alone.
  const payment = await tx
    .selectFrom('payments')
    .selectAll()
    .where('id', '=', paymentId)
    .where('state', '=', 'requested')
    .forUpdate()
    .skipLocked()
    .executeTakeFirst();
  if (!payment) return { status: 'skipped', reason: 'not requested (or being executed elsewhere)' };
  if (payment.next_attempt_at && payment.next_attempt_at > now) return { status: 'skipped', reason: 'not due yet' };

  // Retries stop when the targets were paid another way.
  const targets = await tx
    .selectFrom('payment_targets')
    .select(['invoice_id'])
    .where('payment_id', '=', payment.id)
    .execute();
  const balances = await invoiceBalances(
    tx,
    payment.agency_id,
    targets.map((t) => t.invoice_id),
  );
  // (A payment without targets goes wholly On Account: nothing can have paid it another way.)
  if (targets.length > 0 && [...balances.values()].every((b) => b <= 0n)) {
    await transitionPayment(tx, payment, 'cancelled', WORKER, 'targets already paid', { next_attempt_at: null });
    return { status: 'cancelled', reason: 'targets already paid' };
  }

  const method = await tx
    .selectFrom('payment_methods')
    .selectAll()
    .where('id', '=', payment.payment_method_id)
    .executeTakeFirstOrThrow();
  const processor = processors.get(method.processor);
  await transitionPayment(tx, payment, 'executing', WORKER, null, { next_attempt_at: null });
  if (!processor || method.disabled_at || method.deleted_at) {
    const reason = !processor
      ? `processor ${method.processor} is not configured`
      : 'the payment method is no longer usable';
    await transitionPayment(tx, payment, 'failed', WORKER, reason, {
      failure_code: 'payment_method_unusable',
      failure_message: reason,
    });
    return { status: 'failed', reason };
  }
  const attemptId = randomUUID();
  const idempotencyKey = `ppa_${attemptId}`;
  const number = payment.attempts + 1;
  await tx.updateTable('payments').set({ attempts: number }).where('id', '=', payment.id).execute();
  await tx
    .insertInto('payment_attempts')
    .values({
      id: attemptId,
      agency_id: payment.agency_id,
      payment_id: payment.id,
      number,
      processor: processor.name,
      idempotency_key: idempotencyKey,
      status: 'started',
      // If this worker dies before recording an outcome, the janitor looks after two minutes.
      next_check_at: new Date(now.getTime() + delays.startedMs),
    })
    .execute();
  return {
    attemptId,
    idempotencyKey,
    processor,
    charge: {
      amountCents: payment.amount_cents,
      currency: payment.currency,
      token: method.token,
      description: `policypay payment ${payment.id} attempt ${number}`,
    },
  };
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
  const attempt = await tx
    .selectFrom('payment_attempts')
    .selectAll()
    .where('id', '=', attemptId)
    .executeTakeFirstOrThrow();
  const payment = await tx
    .selectFrom('payments')
    .selectAll()
    .where('id', '=', attempt.payment_id)
    .forUpdate()
    .executeTakeFirstOrThrow();
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
  },
  jobs: JobQueue,
  now: Date,
): Promise<void> {
  const actor = systemActor(payment.agency_id, WORKER);
  const agency = await getAgency(tx, payment.agency_id);
  const customer = await tx
    .selectFrom('customers')
    .select('customer_number')
    .where('id', '=', payment.customer_id)
    .executeTakeFirstOrThrow();
  const bank = await tx
    .selectFrom('banks')
    .select('short_name')
    .where('id', '=', payment.bank_id)
    .executeTakeFirstOrThrow();
  const targets = await tx
    .selectFrom('payment_targets')
    .innerJoin('invoices', 'invoices.id', 'payment_targets.invoice_id')
    .select(['invoices.invoice_number', 'payment_targets.amount_cents'])
    .where('payment_targets.payment_id', '=', payment.id)
    .orderBy('payment_targets.sequence')
    .execute();
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
