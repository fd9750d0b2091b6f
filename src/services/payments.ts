import { paymentTypeWords } from '../domain/activity-words.ts';
import type { PayerActor, PaymentChannel } from '../domain/eligibility.ts';
import { DomainError, invalid, notFound } from '../domain/errors.ts';
import { isUuid } from '../domain/ids.ts';
import { type Cents, formatAmount, sum } from '../domain/money.ts';
import { inFlightPaymentStates, openAttemptStatuses, type PaymentState } from '../domain/payment-states.ts';
import type { Actor } from './actor.ts';
import { audit, logActivity } from './audit.ts';
import { channelDepositBank, resolveDepositBank } from './bank-access.ts';
import { findCustomer } from './customers.ts';
import { type JobQueue, noJobQueue, paymentQueues } from './job-queue.ts';
import { requirePaymentEligibility } from './payment-eligibility.ts';
import { transitionPayment } from './payment-transitions.ts';
import { defaultRetryPlanFor, findRetryPlan } from './retry-plans.ts';
import { type Db, inTransaction, type Tx } from './transaction.ts';

export interface PaymentCreateRequest {
  customerNumber: number;
  type: 'card' | 'ach';
  amountCents: Cents;
  currency: string;
  paymentMethodId: string;
  targets: { invoiceNumber: number; amountCents: Cents }[];
  channel: PaymentChannel;
  retryPlan?: string | undefined;
  /**
   * `posted` only with `collectedOutside`: an autopay plugin took the money itself; the caller
   * posts its receipt in the same transaction and links it (`receipt_id`).
   */
  state?: 'draft' | 'validated' | 'requested' | 'posted' | undefined;
  collectedOutside?: boolean | undefined;
  bankShortName?: string | undefined;
  extension?: Record<string, unknown> | undefined;
  /** Who pays, when not the caller's role (autopay pulls as an outside payer). */
  payer?: PayerActor | undefined;
  /** A requested payment's first attempt waits until then (autopay's nextRequestTime); default now. */
  nextAttemptAt?: Date | undefined;
  /** A portal client paying a payment request: the money is held until staff finalize it. */
  paymentRequestId?: string | undefined;
  /** The portal contact who paid (for the activity, the agency's e-mails and the receipt). */
  paidByContactId?: string | undefined;
  /** A portal payment may go wholly On Account (no invoice open, or a request without invoices). */
  allowNoTargets?: boolean | undefined;
  /**
   * The caller executes the first attempt itself (portal checkout, the client waiting): no job is
   * queued, so no worker races it; if the caller dies first, the sweep finds the due payment.
   */
  executeInline?: boolean | undefined;
}

export interface PaymentView {
  id: string;
  customerNumber: number;
  type: 'card' | 'ach';
  amountCents: Cents;
  currency: string;
  paymentMethodId: string;
  channel: PaymentChannel;
  payer: PayerActor;
  state: PaymentState;
  retryPlan: string;
  attempts: number;
  nextAttemptAt: Date | null;
  receiptNumber: number | null;
  failureCode: string | null;
  failureMessage: string | null;
  representsPaymentId: string | null;
  /** Extension data the creator attached (an autopay plugin's metadata), returned as stored. */
  extension: Record<string, unknown>;
  targets: { invoiceNumber: number; amountCents: Cents }[];
  transitions: { from: string | null; to: string; actor: string; reason: string | null; at: Date }[];
  createdAt: Date;
}

export function payerFor(actor: Actor): PayerActor {
  return actor.role === 'client' ? 'external' : actor.role;
}

/**
 * Creates a payment. Targets must be the customer's invoices; the payment method the customer's,
 * usable and of the payment's type; every target's policy must pass the eligibility rules for the
 * payment's channel and payer. A `requested` payment is queued for execution in the same transaction.
 */
export async function createPayment(
  db: Db | Tx,
  actor: Actor,
  request: PaymentCreateRequest,
  jobs: JobQueue = noJobQueue,
  now: Date = new Date(),
): Promise<PaymentView> {
  if (request.currency !== 'USD') throw invalid('currency', 'must be USD');
  if (request.targets.length === 0 && !request.allowNoTargets) {
    throw invalid('targets', 'must name at least one invoice');
  }
  const targetTotal = sum(request.targets.map((t) => t.amountCents));
  if (targetTotal > request.amountCents) {
    throw new DomainError('unprocessable', 'the targets add up to more than the payment amount', {
      errors: [{ path: 'amount', message: 'must be at least the sum of the target amounts' }],
    });
  }
  const state = request.state ?? 'requested';
  if ((state === 'posted') !== (request.collectedOutside === true)) {
    throw new Error('only money collected outside policypay is created as a posted payment');
  }
  const payer = request.payer ?? payerFor(actor);
  return inTransaction(db, async (tx) => {
    const customer = await findCustomer(tx, actor.agencyId, request.customerNumber).catch((error) => {
      throw error instanceof DomainError && error.code === 'not_found'
        ? new DomainError('unprocessable', error.message, {
            errors: [{ path: 'customerNumber', message: 'unknown customer' }],
          })
        : error;
    });
    const method = await usableMethod(tx, actor.agencyId, customer.id, request.paymentMethodId, request.type);
    const invoices =
      request.targets.length === 0
        ? []
        : await tx
            .selectFrom('invoices')
            .leftJoin('policies', 'policies.id', 'invoices.policy_id')
            .select(['invoices.id', 'invoices.invoice_number', 'invoices.customer_id', 'policies.policy_number'])
            .where('invoices.agency_id', '=', actor.agencyId)
            .where(
              'invoices.invoice_number',
              'in',
              request.targets.map((t) => t.invoiceNumber),
            )
            .execute();
    const byNumber = new Map(invoices.map((i) => [i.invoice_number, i]));
    const perPolicy = new Map<string, Cents>();
    request.targets.forEach((target, index) => {
      const invoice = byNumber.get(target.invoiceNumber);
      if (!invoice || invoice.customer_id !== customer.id) {
        throw new DomainError(
          'unprocessable',
          invoice
            ? `invoice ${target.invoiceNumber} belongs to another customer`
            : `invoice ${target.invoiceNumber} does not exist`,
          {
            errors: [
              {
                path: `targets/${index}/invoiceNumber`,
                message: invoice ? 'belongs to another customer' : 'unknown invoice',
              },
            ],
          },
        );
      }
      if (invoice.policy_number) {
        perPolicy.set(invoice.policy_number, (perPolicy.get(invoice.policy_number) ?? 0n) + target.amountCents);
      }
    });
    await refuseWhileInFlight(
      tx,
      actor.agencyId,
      request.targets.map((t) => byNumber.get(t.invoiceNumber)!.id),
    );
    for (const [policyNumber, amountCents] of perPolicy) {
      await requirePaymentEligibility(tx, actor, policyNumber, { channel: request.channel, payer, amountCents }, now);
    }
    const plan = request.retryPlan
      ? await findRetryPlan(tx, actor.agencyId, request.retryPlan)
      : await defaultRetryPlanFor(tx, actor.agencyId);
    const bank = await depositBank(tx, actor, request.bankShortName, request.channel);

    const payment = await tx
      .insertInto('payments')
      .values({
        agency_id: actor.agencyId,
        customer_id: customer.id,
        payment_method_id: method.id,
        type: request.type,
        amount_cents: request.amountCents,
        currency: request.currency,
        channel: request.channel,
        payer,
        state,
        retry_plan_id: plan.id,
        bank_id: bank.id,
        next_attempt_at: state === 'requested' ? (request.nextAttemptAt ?? now) : null,
        extension: JSON.stringify(request.extension ?? {}),
        created_by: actor.label,
        payment_request_id: request.paymentRequestId ?? null,
        paid_by_contact_id: request.paidByContactId ?? null,
      })
      .returning(['id', 'agency_id', 'state'])
      .executeTakeFirstOrThrow();
    if (request.targets.length) {
      await tx
        .insertInto('payment_targets')
        .values(
          request.targets.map((target, index) => ({
            agency_id: actor.agencyId,
            payment_id: payment.id,
            sequence: index + 1,
            invoice_id: byNumber.get(target.invoiceNumber)!.id,
            amount_cents: target.amountCents,
          })),
        )
        .execute();
    }
    await tx
      .insertInto('payment_transitions')
      .values({
        agency_id: actor.agencyId,
        payment_id: payment.id,
        from_state: null,
        to_state: state,
        actor: actor.label,
        reason: state === 'posted' ? 'created: collected outside policypay' : 'created',
      })
      .execute();
    if (state === 'requested' && !request.executeInline) {
      await jobs.enqueue(tx, paymentQueues.execute, { paymentId: payment.id }, { startAfter: request.nextAttemptAt });
    }
    await logActivity(
      tx,
      actor,
      customer.id,
      'payment_created',
      // Money an autopay plugin collected outside policypay was not requested here: say what happened.
      `${paymentTypeWords(request.type)} payment of ${formatAmount(request.amountCents)} ${
        state === 'posted' ? 'collected outside policypay, recorded' : 'requested'
      } by ${actor.label}`,
      { paymentId: payment.id, amountCents: request.amountCents },
    );
    await audit(
      tx,
      actor,
      'payment.created',
      { type: 'payment', id: payment.id },
      { state, amountCents: request.amountCents },
    );
    return getPaymentById(tx, actor.agencyId, payment.id);
  });
}

/**
 * Refuses a payment for an invoice another payment is in flight for (a second charge while the
 * first's outcome is unknown is how a customer pays twice). The invoices' rows are locked first,
 * in one order, so two concurrent creations for one invoice queue and the second sees the first.
 */
export async function refuseWhileInFlight(tx: Tx, agencyId: string, invoiceIds: readonly string[]): Promise<void> {
  if (invoiceIds.length === 0) return;
  const ids = [...new Set(invoiceIds)].sort();
  // NO KEY UPDATE does not wait for the key-share locks of foreign-key checks (receipts, journal lines).
  await tx
    .selectFrom('invoices')
    .select('id')
    .where('agency_id', '=', agencyId)
    .where('id', 'in', ids)
    .orderBy('id')
    .forNoKeyUpdate()
    .execute();
  const other = await tx
    .selectFrom('payment_targets as t')
    .innerJoin('payments as p', 'p.id', 't.payment_id')
    .innerJoin('invoices as i', 'i.id', 't.invoice_id')
    .select(['p.id', 'p.state', 'i.invoice_number'])
    .where('t.agency_id', '=', agencyId)
    .where('t.invoice_id', 'in', ids)
    .where((eb) =>
      eb.or([
        eb('p.state', 'in', inFlightPaymentStates),
        eb.exists(
          eb
            .selectFrom('payment_attempts as a')
            .select('a.id')
            .whereRef('a.payment_id', '=', 'p.id')
            .where('a.status', 'in', openAttemptStatuses),
        ),
      ]),
    )
    .orderBy('i.invoice_number')
    .limit(1)
    .executeTakeFirst();
  if (other) {
    throw new DomainError(
      'payment_in_flight',
      `invoice ${other.invoice_number} already has payment ${other.id} in flight (${other.state}); wait for its outcome or cancel it before paying again`,
      { extensions: { invoiceNumber: other.invoice_number, paymentId: other.id, paymentState: other.state } },
    );
  }
}

async function usableMethod(tx: Tx, agencyId: string, customerId: string, id: string, type: 'card' | 'ach') {
  const validId = isUuid(id);
  const method = validId
    ? await tx
        .selectFrom('payment_methods')
        .select(['id', 'customer_id', 'kind', 'disabled_at', 'disabled_reason', 'deleted_at'])
        .where('agency_id', '=', agencyId)
        .where('id', '=', id)
        .executeTakeFirst()
    : undefined;
  const fail = (message: string) =>
    new DomainError('unprocessable', `payment method ${id}: ${message}`, {
      errors: [{ path: 'paymentMethodId', message }],
    });
  if (!method || method.customer_id !== customerId || method.deleted_at)
    throw fail('is not a saved method of this customer');
  if (method.disabled_at) throw fail(`is disabled (${method.disabled_reason ?? 'by the processor'})`);
  if (method.kind !== type) throw fail(`is a ${method.kind} method, not ${type}`);
  return method;
}

/** The bank card and ACH money is deposited to: the one named, else the channel's default bank. */
async function depositBank(tx: Tx, actor: Actor, shortName: string | undefined, channel: PaymentChannel) {
  if (shortName) return resolveDepositBank(tx, actor, shortName);
  const bank = await channelDepositBank(tx, actor.agencyId, channel);
  return resolveDepositBank(tx, actor, bank.shortName);
}

export async function getPaymentById(db: Db | Tx, agencyId: string, id: string): Promise<PaymentView> {
  const row = await db
    .selectFrom('payments')
    .innerJoin('customers', 'customers.id', 'payments.customer_id')
    .innerJoin('retry_plans', 'retry_plans.id', 'payments.retry_plan_id')
    .leftJoin('receipts', 'receipts.id', 'payments.receipt_id')
    .selectAll('payments')
    .select(['customers.customer_number', 'retry_plans.name as plan_name', 'receipts.receipt_number'])
    .where('payments.agency_id', '=', agencyId)
    .where('payments.id', '=', id)
    .executeTakeFirst();
  if (!row) throw notFound('payment', id);
  const targets = await db
    .selectFrom('payment_targets')
    .innerJoin('invoices', 'invoices.id', 'payment_targets.invoice_id')
    .select(['invoices.invoice_number', 'payment_targets.amount_cents'])
    .where('payment_targets.payment_id', '=', id)
    .orderBy('payment_targets.sequence')
    .execute();
  const transitions = await db
    .selectFrom('payment_transitions')
    .select(['from_state', 'to_state', 'actor', 'reason', 'created_at'])
    .where('payment_id', '=', id)
    .orderBy('id')
    .execute();
  return {
    id: row.id,
    customerNumber: row.customer_number,
    type: row.type,
    amountCents: row.amount_cents,
    currency: row.currency,
    paymentMethodId: row.payment_method_id,
    channel: row.channel,
    payer: row.payer,
    state: row.state as PaymentState,
    retryPlan: row.plan_name,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    receiptNumber: row.receipt_number,
    failureCode: row.failure_code,
    failureMessage: row.failure_message,
    representsPaymentId: row.represents_payment_id,
    extension: row.extension,
    targets: targets.map((t) => ({ invoiceNumber: t.invoice_number, amountCents: t.amount_cents })),
    transitions: transitions.map((t) => ({
      from: t.from_state,
      to: t.to_state,
      actor: t.actor,
      reason: t.reason,
      at: t.created_at,
    })),
    createdAt: row.created_at,
  };
}

export async function getPayment(db: Db, actor: Actor, id: string): Promise<PaymentView> {
  if (!isUuid(id)) throw notFound('payment', id);
  return getPaymentById(db, actor.agencyId, id);
}

export async function listPayments(
  db: Db,
  actor: Actor,
  filter: { customerNumber?: number | undefined; state?: PaymentState | undefined; limit: number },
): Promise<PaymentView[]> {
  let query = db.selectFrom('payments').select('payments.id').where('payments.agency_id', '=', actor.agencyId);
  if (filter.customerNumber !== undefined) {
    const customer = await findCustomer(db, actor.agencyId, filter.customerNumber);
    query = query.where('payments.customer_id', '=', customer.id);
  }
  if (filter.state) query = query.where('payments.state', '=', filter.state);
  const rows = await query.orderBy('payments.created_at', 'desc').limit(filter.limit).execute();
  return Promise.all(rows.map((r) => getPaymentById(db, actor.agencyId, r.id)));
}

/** draft, validated or requested → cancelled. */
export async function cancelPayment(db: Db | Tx, actor: Actor, id: string, reason?: string): Promise<PaymentView> {
  return inTransaction(db, async (tx) => {
    await getPayment(tx as unknown as Db, actor, id);
    const payment = await tx
      .selectFrom('payments')
      .select(['id', 'agency_id', 'state'])
      .where('agency_id', '=', actor.agencyId)
      .where('id', '=', id)
      .forUpdate()
      .executeTakeFirstOrThrow();
    await transitionPayment(tx, payment, 'cancelled', actor.label, reason ?? 'cancelled', { next_attempt_at: null });
    await audit(tx, actor, 'payment.cancelled', { type: 'payment', id });
    return getPaymentById(tx, actor.agencyId, id);
  });
}
