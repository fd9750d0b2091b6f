import { findCustomer } from '../customers/customers.ts';
import type { PaymentChannel } from '../eligibility/rules/channels.ts';
import type { PayerActor } from '../eligibility/rules/eligibility.ts';
import type { Actor } from '../kernel/actor.ts';
import { notFound } from '../kernel/errors.ts';
import { isUuid } from '../kernel/ids.ts';
import type { Cents } from '../kernel/money.ts';
import type { Db, Tx } from '../platform/db/transaction.ts';
import type { AttemptStatus, PaymentState } from './rules/payment-states.ts';

export interface PaymentView {
  id: string;
  customerNumber: number;
  type: 'card' | 'ach';
  amountCents: Cents;
  /** A convenience fee charged with the amount (issue 20.3) and the fee rule that allowed it. */
  feeCents: Cents;
  feeRuleId: string | null;
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
  /** The payment request it pays: its money is held until Finalize Payment. */
  paymentRequestId: string | null;
  /** Extension data the creator attached (an autopay plugin's metadata), returned as stored. */
  extension: Record<string, unknown>;
  targets: { invoiceNumber: number; amountCents: Cents }[];
  transitions: { from: string | null; to: string; actor: string; reason: string | null; at: Date }[];
  createdAt: Date;
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
    feeCents: row.fee_cents,
    feeRuleId: row.fee_rule_id,
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
    paymentRequestId: row.payment_request_id,
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

export interface PaymentExportRow {
  id: string;
  createdAt: Date;
  customerNumber: number;
  type: 'card' | 'ach';
  channel: PaymentChannel;
  amountCents: Cents;
  currency: string;
  state: PaymentState;
  attempts: number;
  retryPlan: string;
  bankShortName: string;
  receiptNumber: number | null;
  failureCode: string | null;
  failureMessage: string | null;
}

/**
 * The payments the list's filter matches, in pages by id (keyset). One query a page: a payment's
 * targets and transitions, which the list shows, do not fit a row.
 */
export async function* exportPayments(
  db: Db,
  actor: Actor,
  filter: { customerNumber?: number | undefined; state?: PaymentState | undefined },
  pageSize = 1000,
): AsyncGenerator<PaymentExportRow[]> {
  const customer =
    filter.customerNumber === undefined ? undefined : await findCustomer(db, actor.agencyId, filter.customerNumber);
  let after: string | null = null;
  for (;;) {
    let query = db
      .selectFrom('payments')
      .innerJoin('customers', 'customers.id', 'payments.customer_id')
      .innerJoin('retry_plans', 'retry_plans.id', 'payments.retry_plan_id')
      .innerJoin('banks', 'banks.id', 'payments.bank_id')
      .leftJoin('receipts', 'receipts.id', 'payments.receipt_id')
      .select([
        'payments.id',
        'payments.created_at',
        'customers.customer_number',
        'payments.type',
        'payments.channel',
        'payments.amount_cents',
        'payments.currency',
        'payments.state',
        'payments.attempts',
        'retry_plans.name as plan_name',
        'banks.short_name',
        'receipts.receipt_number',
        'payments.failure_code',
        'payments.failure_message',
      ])
      .where('payments.agency_id', '=', actor.agencyId);
    if (customer) query = query.where('payments.customer_id', '=', customer.id);
    if (filter.state) query = query.where('payments.state', '=', filter.state);
    if (after !== null) query = query.where('payments.id', '>', after);
    const rows = await query.orderBy('payments.id').limit(pageSize).execute();
    if (rows.length > 0) {
      yield rows.map((row) => ({
        id: row.id,
        createdAt: row.created_at,
        customerNumber: row.customer_number,
        type: row.type,
        channel: row.channel,
        amountCents: row.amount_cents,
        currency: row.currency,
        state: row.state as PaymentState,
        attempts: row.attempts,
        retryPlan: row.plan_name,
        bankShortName: row.short_name,
        receiptNumber: row.receipt_number,
        failureCode: row.failure_code,
        failureMessage: row.failure_message,
      }));
    }
    if (rows.length < pageSize) return;
    after = rows.at(-1)!.id;
  }
}

export interface PaymentHistory {
  attempts: {
    number: number;
    processor: string;
    processorReference: string | null;
    status: AttemptStatus;
    declineCode: string | null;
    message: string | null;
    startedAt: Date;
    finishedAt: Date | null;
    /** What the processor told us about this charge, in the order it arrived (its payload stays stored). */
    events: { type: string; outcome: string | null; receivedAt: Date }[];
  }[];
  refunds: {
    amountCents: Cents;
    status: 'started' | 'succeeded' | 'failed' | 'unknown';
    reason: string | null;
    createdBy: string;
    createdAt: Date;
  }[];
}

/** A payment's attempts at the processor with the events each drew, and its refunds: the payment page's history. */
export async function paymentHistory(db: Db, actor: Actor, paymentId: string): Promise<PaymentHistory> {
  if (!isUuid(paymentId)) throw notFound('payment', paymentId);
  const payment = await db
    .selectFrom('payments')
    .select('id')
    .where('agency_id', '=', actor.agencyId)
    .where('id', '=', paymentId)
    .executeTakeFirst();
  if (!payment) throw notFound('payment', paymentId);
  const [attempts, refunds] = await Promise.all([
    db
      .selectFrom('payment_attempts')
      .selectAll()
      .where('agency_id', '=', actor.agencyId)
      .where('payment_id', '=', payment.id)
      .orderBy('number')
      .execute(),
    db
      .selectFrom('payment_refunds')
      .select(['amount_cents', 'status', 'reason', 'created_by', 'created_at'])
      .where('agency_id', '=', actor.agencyId)
      .where('payment_id', '=', payment.id)
      .orderBy('created_at')
      .execute(),
  ]);
  // Events carry the processor's reference, not ours: matched through the attempts' references.
  const references = attempts.flatMap((a) => (a.processor_reference ? [a.processor_reference] : []));
  const events = references.length
    ? await db
        .selectFrom('processor_events')
        .select(['processor', 'processor_reference', 'type', 'outcome', 'received_at'])
        .where('processor_reference', 'in', references)
        .orderBy('received_at')
        .execute()
    : [];
  return {
    attempts: attempts.map((a) => ({
      number: a.number,
      processor: a.processor,
      processorReference: a.processor_reference,
      status: a.status,
      declineCode: a.decline_code,
      message: a.message,
      startedAt: a.started_at,
      finishedAt: a.finished_at,
      events: events
        .filter((e) => e.processor === a.processor && e.processor_reference === a.processor_reference)
        .map((e) => ({ type: e.type, outcome: e.outcome, receivedAt: e.received_at })),
    })),
    refunds: refunds.map((r) => ({
      amountCents: r.amount_cents,
      status: r.status,
      reason: r.reason,
      createdBy: r.created_by,
      createdAt: r.created_at,
    })),
  };
}
