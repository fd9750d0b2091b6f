import { getAgency } from '../agency/agencies.ts';
import { loadPaymentSettings } from '../agency/payment-settings.ts';
import { cancelAutopay, enrollAutopay, getAutopayEnrollment } from '../autopay/enrollment.ts';
import { type CheckoutLimits, checkoutLimits, checkoutRefusal } from '../eligibility/rules/checkout-limits.ts';
import type { Actor } from '../kernel/actor.ts';
import { dateInZone } from '../kernel/calendar.ts';
import { DomainError, notFound } from '../kernel/errors.ts';
import { isUuid } from '../kernel/ids.ts';
import { type Cents, formatAmount } from '../kernel/money.ts';
import { listCustomerInvoices } from '../ledger/invoices.ts';
import { invoiceBalances } from '../ledger/ledger.ts';
import { cancelPayment } from '../payments/cancellation.ts';
import { createPayment } from '../payments/creation/create.ts';
import { executePayment } from '../payments/execution.ts';
import { quoteFee } from '../payments/fees/fee-quote.ts';
import type { PaymentMethodView } from '../payments/methods.ts';
import type { Processors } from '../payments/processors/processor.ts';
import { getPaymentById } from '../payments/views.ts';
import { type Db, inTransaction, isUniqueViolation, type Tx } from '../platform/db/transaction.ts';
import type { JobQueue } from '../platform/jobs/job-queue.ts';
import { lockPaymentRequest } from './request-cancellation.ts';
import { type PaymentRequestView, paymentRequestById, paymentRequestViews } from './request-views.ts';
import { type PaymentRequestReadState, refusalFor } from './rules/payment-requests.ts';

/** The route's hook into the payment's transaction (its Idempotency-Key commits with the payment). */
export interface CheckoutOptions {
  recordEffect?: ((tx: Tx, paymentId: string) => Promise<void>) | undefined;
}

/** What portal payments need from the process. */
export interface PortalPaymentDeps {
  db: Db;
  processors: Processors;
  jobs: JobQueue;
}

export interface PortalPaymentView {
  id: string;
  amountCents: Cents;
  /** The convenience fee charged with it (issue 20.3), beside the amount. */
  feeCents: Cents;
  state: string;
  type: 'card' | 'ach';
  last4: string | null;
  brand: string | null;
  paymentRequestId: string | null;
  failureMessage: string | null;
  /** The processor refused it (whatever state that left: cancelled at checkout, failed, retrying). */
  declined: boolean;
  createdAt: Date;
}

function clientOf(actor: Actor): NonNullable<Actor['client']> {
  if (actor.role !== 'client' || !actor.client) throw new DomainError('forbidden', 'only a portal client may do this');
  return actor.client;
}

/** The one customer a portal client may see; never taken from the URL. */
export function clientCustomerNumber(actor: Actor): number {
  return clientOf(actor).customerNumber;
}

export async function listPortalPaymentRequests(
  db: Db,
  actor: Actor,
  state: PaymentRequestReadState | undefined,
): Promise<PaymentRequestView[]> {
  return paymentRequestViews(db, actor.agencyId, { customerId: clientOf(actor).customerId, state, limit: 200 });
}

export async function getPortalPaymentRequest(db: Db, actor: Actor, id: string): Promise<PaymentRequestView> {
  const client = clientOf(actor);
  const [view] = isUuid(id)
    ? await paymentRequestViews(db, actor.agencyId, { ids: [id], customerId: client.customerId })
    : [];
  if (!view) throw notFound('payment request', id);
  return view;
}

async function portalPaymentViews(
  db: Db | Tx,
  actor: Actor,
  filter: { id?: string; limit: number },
): Promise<PortalPaymentView[]> {
  let query = db
    .selectFrom('payments as p')
    .innerJoin('payment_methods as m', 'm.id', 'p.payment_method_id')
    .select([
      'p.id',
      'p.amount_cents',
      'p.fee_cents',
      'p.state',
      'p.type',
      'm.last4',
      'm.brand',
      'p.payment_request_id',
    ])
    .select(['p.failure_message', 'p.failure_code', 'p.created_at'])
    .where('p.agency_id', '=', actor.agencyId)
    .where('p.customer_id', '=', clientOf(actor).customerId);
  if (filter.id) query = query.where('p.id', '=', filter.id);
  const rows = await query.orderBy('p.created_at', 'desc').orderBy('p.id').limit(filter.limit).execute();
  return rows.map((r) => ({
    id: r.id,
    amountCents: r.amount_cents,
    feeCents: r.fee_cents,
    state: r.state,
    type: r.type,
    last4: r.last4,
    brand: r.brand,
    paymentRequestId: r.payment_request_id,
    failureMessage: r.failure_message,
    declined: r.failure_code !== null && ['requested', 'failed', 'cancelled'].includes(r.state),
    createdAt: r.created_at,
  }));
}

export async function listPortalPayments(db: Db, actor: Actor): Promise<PortalPaymentView[]> {
  return portalPaymentViews(db, actor, { limit: 200 });
}

/** The payment method must be the client's own, usable one; its kind gives the payment type. */
async function clientMethod(tx: Tx, actor: Actor, id: string) {
  const method = isUuid(id)
    ? await tx
        .selectFrom('payment_methods')
        .select(['id', 'kind'])
        .where('agency_id', '=', actor.agencyId)
        .where('customer_id', '=', clientOf(actor).customerId)
        .where('id', '=', id)
        .where('deleted_at', 'is', null)
        .executeTakeFirst()
    : undefined;
  if (!method) {
    throw new DomainError('unprocessable', `payment method ${id} is not one of your saved methods`, {
      errors: [{ path: 'paymentMethodId', message: 'is not one of your saved methods' }],
    });
  }
  return method;
}

/**
 * Pays a request with a saved method: the payment is created (secure checkout, payer external, so
 * the eligibility rules apply) and then executed at once, the client waiting for the answer.
 */
export async function payPortalPaymentRequest(
  deps: PortalPaymentDeps,
  actor: Actor,
  id: string,
  input: { paymentMethodId: string },
  now = new Date(),
  options: CheckoutOptions = {},
): Promise<PortalPaymentView> {
  const client = clientOf(actor);
  const paymentId = await inTransaction(deps.db, async (tx) => {
    const row = await lockPaymentRequest(tx, actor, id);
    const current = await paymentRequestById(tx, actor.agencyId, row.id, now);
    const refusal = refusalFor('pay', current.state);
    if (refusal) throw new DomainError('illegal_transition', refusal);
    const method = await clientMethod(tx, actor, input.paymentMethodId);
    try {
      const payment = await createPayment(
        tx,
        actor,
        {
          customerNumber: client.customerNumber,
          type: method.kind,
          amountCents: row.amount_cents,
          currency: 'USD',
          paymentMethodId: method.id,
          targets: current.invoices.map((i) => ({ invoiceNumber: i.invoiceNumber, amountCents: i.amountCents })),
          // No bank named: the client cannot choose; the agency's secure-checkout default takes it.
          channel: 'secure_checkout',
          payer: 'external',
          state: 'requested',
          paymentRequestId: row.id,
          paidByContactId: client.contactId,
          allowNoTargets: true,
          executeInline: true,
        },
        deps.jobs,
        now,
      );
      await options.recordEffect?.(tx, payment.id);
      return payment.id;
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new DomainError('conflict', 'this payment request is already being paid');
      }
      throw error;
    }
  });
  return executeAtCheckout(deps, actor, paymentId);
}

/**
 * A one-time payment: for the invoices named, or else the open invoices oldest due first; what
 * they do not take goes On Account.
 */
export async function payPortalOneTime(
  deps: PortalPaymentDeps,
  actor: Actor,
  input: {
    amountCents: Cents;
    paymentMethodId: string;
    invoices?: { invoiceNumber: number; amountCents: Cents }[] | undefined;
    /** The fee the client was shown; a different one now (the rules changed) is refused. */
    feeCents?: Cents | undefined;
  },
  now = new Date(),
  options: CheckoutOptions = {},
): Promise<PortalPaymentView> {
  const client = clientOf(actor);
  const paymentId = await inTransaction(deps.db, async (tx) => {
    const method = await clientMethod(tx, actor, input.paymentMethodId);
    const limits = await portalCheckoutLimits(tx, actor, now);
    // Paying the account as a whole: the whole account's bounds. Named invoices: each policy's
    // eligibility bounds apply, and nothing beyond the payoff goes On Account.
    const refusal = checkoutRefusal(limits, input.amountCents, { minimum: !input.invoices });
    if (refusal) {
      throw new DomainError('unprocessable', refusal, { errors: [{ path: 'amount', message: refusal }] });
    }
    const targets = input.invoices ?? (await oldestFirst(tx, actor.agencyId, client.customerId, input.amountCents));
    const quote = await quoteFee(tx, actor.agencyId, { ...input, customerId: client.customerId });
    const payment = await createPayment(
      tx,
      actor,
      {
        customerNumber: client.customerNumber,
        type: method.kind,
        amountCents: input.amountCents,
        currency: 'USD',
        paymentMethodId: method.id,
        targets,
        channel: 'secure_checkout',
        payer: 'external',
        state: 'requested',
        paidByContactId: client.contactId,
        allowNoTargets: true,
        executeInline: true,
        fee: quote.feeCents > 0n && quote.ruleId ? { cents: quote.feeCents, ruleId: quote.ruleId } : undefined,
      },
      deps.jobs,
      now,
    );
    await options.recordEffect?.(tx, payment.id);
    return payment.id;
  });
  return executeAtCheckout(deps, actor, paymentId);
}

async function oldestFirst(
  tx: Tx,
  agencyId: string,
  customerId: string,
  amountCents: Cents,
): Promise<{ invoiceNumber: number; amountCents: Cents }[]> {
  const invoices = await tx
    .selectFrom('invoices')
    .select(['id', 'invoice_number'])
    .where('agency_id', '=', agencyId)
    .where('customer_id', '=', customerId)
    .orderBy('due_date')
    .orderBy('invoice_number')
    .execute();
  const balances = await invoiceBalances(
    tx,
    agencyId,
    invoices.map((i) => i.id),
  );
  const targets: { invoiceNumber: number; amountCents: Cents }[] = [];
  let left = amountCents;
  for (const invoice of invoices) {
    const balance = balances.get(invoice.id) ?? 0n;
    if (left <= 0n) break;
    if (balance <= 0n) continue;
    const take = balance < left ? balance : left;
    targets.push({ invoiceNumber: invoice.invoice_number, amountCents: take });
    left -= take;
  }
  return targets;
}

/**
 * Runs the first attempt while the client waits. A decline is not retried on a schedule (the
 * client is there to try another card): the payment is cancelled and the decline message comes
 * back as a 422. A processor that does not answer leaves the payment to the janitor, as always.
 */
async function executeAtCheckout(deps: PortalPaymentDeps, actor: Actor, paymentId: string): Promise<PortalPaymentView> {
  await executePayment(deps.db, deps.processors, paymentId, { jobs: deps.jobs });
  const payment = await getPaymentById(deps.db, actor.agencyId, paymentId);
  if (payment.state === 'requested' && payment.failureCode) {
    await cancelPayment(deps.db, actor, paymentId, `declined at checkout (${payment.failureCode}); not retried`);
  }
  return portalCheckoutAnswer(deps.db, actor, paymentId);
}

/**
 * The checkout's answer from the payment's current state: its view, or the decline as a 422.
 * Also the answer to a retried checkout whose first request died after the payment committed.
 */
export async function portalCheckoutAnswer(db: Db, actor: Actor, paymentId: string): Promise<PortalPaymentView> {
  const payment = await getPaymentById(db, actor.agencyId, paymentId);
  const declined = ['requested', 'failed', 'cancelled'].includes(payment.state) && payment.failureCode;
  if (declined && payment.failureCode) {
    const message = payment.failureMessage ?? payment.failureCode;
    throw new DomainError(
      'unprocessable',
      `the payment of ${formatAmount(payment.amountCents)} was declined: ${message}`,
      {
        errors: [{ path: 'paymentMethodId', message }],
        extensions: { paymentId, declineCode: payment.failureCode },
      },
    );
  }
  const [view] = await portalPaymentViews(db, actor, { id: paymentId, limit: 1 });
  return view!;
}

export async function setDefaultPaymentMethod(tx: Tx, actor: Actor, id: string): Promise<PaymentMethodView> {
  const client = clientOf(actor);
  const method = isUuid(id)
    ? await tx
        .selectFrom('payment_methods')
        .selectAll()
        .where('agency_id', '=', actor.agencyId)
        .where('customer_id', '=', client.customerId)
        .where('id', '=', id)
        .where('deleted_at', 'is', null)
        .executeTakeFirst()
    : undefined;
  if (!method) throw notFound('payment method', id);
  if (method.disabled_at) {
    throw new DomainError('unprocessable', 'a disabled payment method cannot be the default', {
      errors: [{ path: 'id', message: 'is disabled' }],
    });
  }
  await tx
    .updateTable('payment_methods')
    .set({ is_default: false })
    .where('customer_id', '=', client.customerId)
    .where('is_default', '=', true)
    .execute();
  await tx.updateTable('payment_methods').set({ is_default: true }).where('id', '=', method.id).execute();
  return {
    id: method.id,
    customerNumber: client.customerNumber,
    processor: method.processor,
    kind: method.kind,
    brand: method.brand,
    last4: method.last4,
    expMonth: method.exp_month,
    expYear: method.exp_year,
    bankName: method.bank_name,
    holderName: method.holder_name,
    isDefault: true,
    disabled: false,
    disabledReason: null,
  };
}

export interface PortalAutopayView {
  enrolled: boolean;
  paymentMethodId: string | null;
}

export async function getPortalAutopay(db: Db, actor: Actor): Promise<PortalAutopayView> {
  const view = await getAutopayEnrollment(db, actor, clientCustomerNumber(actor));
  return { enrolled: view.enrolled, paymentMethodId: view.paymentMethod?.id ?? null };
}

export async function enablePortalAutopay(tx: Tx, actor: Actor, paymentMethodId: string): Promise<PortalAutopayView> {
  const view = await enrollAutopay(tx, actor, clientCustomerNumber(actor), { paymentMethodId });
  return { enrolled: view.enrolled, paymentMethodId: view.paymentMethod?.id ?? null };
}

export async function disablePortalAutopay(db: Db, actor: Actor): Promise<PortalAutopayView> {
  const current = await getPortalAutopay(db, actor);
  if (current.enrolled) await cancelAutopay(db, actor, clientCustomerNumber(actor));
  return { enrolled: false, paymentMethodId: null };
}

/** The account-wide min/max a client's one-time payment must respect (when the agency enforces them). */
export async function portalCheckoutLimits(db: Db | Tx, actor: Actor, now = new Date()): Promise<CheckoutLimits> {
  const client = clientOf(actor);
  const settings = await loadPaymentSettings(db, actor.agencyId);
  if (!settings.enforceMinMaxSecureCheckout) return checkoutLimits([], '', false);
  const agency = await getAgency(db, actor.agencyId);
  const invoices = await listCustomerInvoices(db, actor.agencyId, client.customerId);
  return checkoutLimits(invoices, dateInZone(now, agency.timeZone), true);
}
