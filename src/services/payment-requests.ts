import { dateInZone } from '../domain/calendar.ts';
import { paymentRequestCancelledEmail, paymentRequestEmail } from '../domain/email-templates.ts';
import { DomainError, invalid, notFound } from '../domain/errors.ts';
import { isUuid } from '../domain/ids.ts';
import { type Cents, formatAmount, sum } from '../domain/money.ts';
import {
  type PaymentRequestReadState,
  paymentRequestExpiresOn,
  paymentRequestStates,
  readPaymentRequestState,
  refusalFor,
} from '../domain/payment-requests.ts';
import type { Actor } from './actor.ts';
import { getAgency } from './agencies.ts';
import { audit, logActivity } from './audit.ts';
import { findCustomer } from './customers.ts';
import { queueEmail } from './email-outbox.ts';
import { type JobQueue, noJobQueue } from './job-queue.ts';
import { invoiceBalances } from './ledger.ts';
import { loadPaymentSettings } from './payment-settings.ts';
import { isEnrolled, issuePortalLink, REQUEST_LINK_HOURS } from './portal-links.ts';
import { type Db, inTransaction, type Tx } from './transaction.ts';

export { paymentRequestStates };

export interface PaymentRequestInput {
  customerNumber: number;
  contactId: string;
  amountCents: Cents;
  dueDate: string;
  note?: string | undefined;
  invoices: { invoiceNumber: number; amountCents: Cents }[];
}

export interface PaymentRequestView {
  id: string;
  customerNumber: number;
  customerName: string;
  contact: { id: string; name: string; email: string };
  amountCents: Cents;
  dueDate: string;
  expiresOn: string;
  note: string | null;
  invoices: { invoiceNumber: number; amountCents: Cents }[];
  state: PaymentRequestReadState;
  requestedBy: string;
  requestedAt: Date;
  payment: { id: string; state: string; type: 'card' | 'ach'; last4: string | null; paidAt: Date | null } | null;
  receiptNumber: number | null;
  finalizedBy: string | null;
  finalizedAt: Date | null;
  cancelledBy: string | null;
  cancelledAt: Date | null;
  cancelReason: string | null;
}

/**
 * Asks a contact to pay online. The request, its activity, the e-mail and the portal link are
 * written in one transaction; the e-mail starts enrollment when the contact has no portal login.
 */
export async function createPaymentRequest(
  db: Db | Tx,
  actor: Actor,
  input: PaymentRequestInput,
  options: { jobs: JobQueue; portalUrl: string; now?: Date },
): Promise<PaymentRequestView> {
  const now = options.now ?? new Date();
  const invoiceTotal = sum(input.invoices.map((i) => i.amountCents));
  if (invoiceTotal > input.amountCents) {
    throw new DomainError('unprocessable', 'the invoice amounts add up to more than the requested amount', {
      errors: [{ path: 'amount', message: 'must be at least the sum of the invoice amounts' }],
    });
  }
  const seen = new Set<number>();
  input.invoices.forEach((invoice, index) => {
    if (seen.has(invoice.invoiceNumber)) throw invalid(`invoices/${index}/invoiceNumber`, 'is listed twice');
    seen.add(invoice.invoiceNumber);
  });
  return inTransaction(db, async (tx) => {
    const agency = await getAgency(tx, actor.agencyId);
    const today = dateInZone(now, agency.timeZone);
    if (input.dueDate < today) throw invalid('dueDate', `must be today (${today}) or later`);
    const customer = await findCustomer(tx, actor.agencyId, input.customerNumber).catch((error) => {
      throw error instanceof DomainError && error.code === 'not_found'
        ? new DomainError('unprocessable', error.message, {
            errors: [{ path: 'customerNumber', message: 'unknown customer' }],
          })
        : error;
    });
    const contact = isUuid(input.contactId)
      ? await tx
          .selectFrom('contacts')
          .select(['id', 'name', 'email'])
          .where('agency_id', '=', actor.agencyId)
          .where('customer_id', '=', customer.id)
          .where('id', '=', input.contactId)
          .executeTakeFirst()
      : undefined;
    if (!contact) {
      throw new DomainError('unprocessable', `contact ${input.contactId} is not a contact of this customer`, {
        errors: [{ path: 'contactId', message: 'is not a contact of this customer' }],
      });
    }
    if (!contact.email) {
      throw new DomainError('unprocessable', `contact ${contact.name} has no e-mail address`, {
        errors: [{ path: 'contactId', message: 'has no e-mail address' }],
      });
    }
    const invoiceIds = await customerInvoiceIds(tx, actor.agencyId, customer.id, input.invoices);
    const settings = await loadPaymentSettings(tx, actor.agencyId);
    const row = await tx
      .insertInto('payment_requests')
      .values({
        agency_id: actor.agencyId,
        customer_id: customer.id,
        contact_id: contact.id,
        amount_cents: input.amountCents,
        due_date: input.dueDate,
        expires_on: paymentRequestExpiresOn(input.dueDate, settings.paymentRequestExpiryDays),
        note: input.note || null,
        state: 'requested',
        requested_by: actor.label,
        requested_by_user_id: actor.userId ?? null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    if (input.invoices.length) {
      await tx
        .insertInto('payment_request_invoices')
        .values(
          input.invoices.map((invoice, index) => ({
            agency_id: actor.agencyId,
            payment_request_id: row.id,
            sequence: index + 1,
            invoice_id: invoiceIds[index]!,
            amount_cents: invoice.amountCents,
          })),
        )
        .execute();
    }
    const enrolled = await isEnrolled(tx, actor.agencyId, contact.id);
    const link = await issuePortalLink(
      tx,
      {
        agencyId: actor.agencyId,
        agencySlug: agency.slug,
        customerId: customer.id,
        contactId: contact.id,
        purpose: enrolled ? 'sign_in' : 'enroll',
        paymentRequestId: row.id,
        validMs: REQUEST_LINK_HOURS * 3_600_000,
        portalUrl: options.portalUrl,
      },
      now,
    );
    const email = paymentRequestEmail({
      agencyName: agency.name,
      contactName: contact.name,
      amountCents: input.amountCents,
      dueDate: input.dueDate,
      note: input.note || null,
      link,
      enrolled,
    });
    await queueEmail(
      tx,
      actor.agencyId,
      { kind: 'payment_requested', to: contact.email, ...email, related: { type: 'payment_request', id: row.id } },
      options.jobs,
    );
    await logActivity(
      tx,
      actor,
      customer.id,
      'payment_requested',
      `Payment requested by ${actor.label}: ${formatAmount(input.amountCents)} due ${input.dueDate}` +
        (input.note ? ` — ${input.note}` : ''),
      {
        paymentRequestId: row.id,
        requestedBy: actor.label,
        amountCents: input.amountCents,
        dueDate: input.dueDate,
        note: input.note ?? null,
        contactId: contact.id,
      },
    );
    await audit(
      tx,
      actor,
      'payment_request.created',
      { type: 'payment_request', id: row.id },
      { amountCents: input.amountCents },
    );
    return paymentRequestById(tx, actor.agencyId, row.id, now);
  });
}

/** The customer's invoices, in the order given; anything else is a 422 naming the item. */
async function customerInvoiceIds(
  tx: Tx,
  agencyId: string,
  customerId: string,
  invoices: { invoiceNumber: number; amountCents: Cents }[],
): Promise<string[]> {
  if (invoices.length === 0) return [];
  const rows = await tx
    .selectFrom('invoices')
    .select(['id', 'invoice_number', 'customer_id'])
    .where('agency_id', '=', agencyId)
    .where(
      'invoice_number',
      'in',
      invoices.map((i) => i.invoiceNumber),
    )
    .execute();
  const byNumber = new Map(rows.map((r) => [r.invoice_number, r]));
  const balances = await invoiceBalances(
    tx,
    agencyId,
    rows.map((r) => r.id),
  );
  return invoices.map((invoice, index) => {
    const row = byNumber.get(invoice.invoiceNumber);
    if (!row || row.customer_id !== customerId) {
      throw new DomainError('unprocessable', `invoice ${invoice.invoiceNumber} is not an invoice of this customer`, {
        errors: [{ path: `invoices/${index}/invoiceNumber`, message: 'is not an invoice of this customer' }],
      });
    }
    const balance = balances.get(row.id) ?? 0n;
    if (invoice.amountCents > balance) {
      throw new DomainError(
        'unprocessable',
        `invoice ${invoice.invoiceNumber} has ${formatAmount(balance)} open, less than ${formatAmount(invoice.amountCents)}`,
        {
          errors: [
            { path: `invoices/${index}/amount`, message: `must be at most the open balance ${formatAmount(balance)}` },
          ],
        },
      );
    }
    return row.id;
  });
}

export async function paymentRequestById(
  db: Db | Tx,
  agencyId: string,
  id: string,
  now = new Date(),
): Promise<PaymentRequestView> {
  const [view] = await paymentRequestViews(db, agencyId, { ids: [id] }, now);
  if (!view) throw notFound('payment request', id);
  return view;
}

interface ViewFilter {
  ids?: string[];
  customerId?: string | undefined;
  state?: PaymentRequestReadState | undefined;
  limit?: number;
}

/** Requests as people see them: expiry derived with the agency's today. */
export async function paymentRequestViews(
  db: Db | Tx,
  agencyId: string,
  filter: ViewFilter,
  now = new Date(),
): Promise<PaymentRequestView[]> {
  const agency = await getAgency(db, agencyId);
  const today = dateInZone(now, agency.timeZone);
  let query = db
    .selectFrom('payment_requests as r')
    .innerJoin('customers as c', 'c.id', 'r.customer_id')
    .innerJoin('contacts as k', 'k.id', 'r.contact_id')
    .leftJoin('payments as p', 'p.id', 'r.payment_id')
    .leftJoin('payment_methods as m', 'm.id', 'p.payment_method_id')
    .leftJoin('receipts as rc', 'rc.id', 'r.receipt_id')
    .selectAll('r')
    .select(['c.customer_number', 'c.name as customer_name', 'k.name as contact_name', 'k.email as contact_email'])
    .select(['p.state as payment_state', 'p.type as payment_type', 'm.last4', 'rc.receipt_number'])
    .where('r.agency_id', '=', agencyId);
  if (filter.ids) query = query.where('r.id', 'in', filter.ids);
  if (filter.customerId) query = query.where('r.customer_id', '=', filter.customerId);
  if (filter.state === 'expired') query = query.where('r.state', '=', 'requested').where('r.expires_on', '<', today);
  else if (filter.state === 'requested')
    query = query.where('r.state', '=', 'requested').where('r.expires_on', '>=', today);
  else if (filter.state) query = query.where('r.state', '=', filter.state);
  query = query.orderBy('r.requested_at', 'desc').orderBy('r.id');
  if (filter.limit) query = query.limit(filter.limit);
  const rows = await query.execute();
  if (rows.length === 0) return [];
  const lines = await db
    .selectFrom('payment_request_invoices as ri')
    .innerJoin('invoices as i', 'i.id', 'ri.invoice_id')
    .select(['ri.payment_request_id', 'i.invoice_number', 'ri.amount_cents'])
    .where(
      'ri.payment_request_id',
      'in',
      rows.map((r) => r.id),
    )
    .orderBy('ri.payment_request_id')
    .orderBy('ri.sequence')
    .execute();
  // A payment still in flight (an ACH debit waiting to settle) shows on its request too.
  const waiting = rows.filter((r) => !r.payment_id).map((r) => r.id);
  const inFlight = waiting.length
    ? await db
        .selectFrom('payments as p')
        .innerJoin('payment_methods as m', 'm.id', 'p.payment_method_id')
        .select(['p.id', 'p.payment_request_id', 'p.state', 'p.type', 'm.last4'])
        .where('p.payment_request_id', 'in', waiting)
        .where('p.state', 'in', ['requested', 'executing'])
        .execute()
    : [];
  return rows.map((r) => ({
    id: r.id,
    customerNumber: r.customer_number,
    customerName: r.customer_name,
    contact: { id: r.contact_id, name: r.contact_name, email: r.contact_email ?? '' },
    amountCents: r.amount_cents,
    dueDate: r.due_date,
    expiresOn: r.expires_on,
    note: r.note,
    invoices: lines
      .filter((l) => l.payment_request_id === r.id)
      .map((l) => ({ invoiceNumber: l.invoice_number, amountCents: l.amount_cents })),
    state: readPaymentRequestState(r.state, r.expires_on, today),
    requestedBy: r.requested_by,
    requestedAt: r.requested_at,
    payment:
      r.payment_id && r.payment_type
        ? {
            id: r.payment_id,
            state: r.payment_state ?? 'unknown',
            type: r.payment_type,
            last4: r.last4,
            paidAt: r.paid_at,
          }
        : inFlightView(inFlight.find((p) => p.payment_request_id === r.id)),
    receiptNumber: r.receipt_number,
    finalizedBy: r.finalized_by,
    finalizedAt: r.finalized_at,
    cancelledBy: r.cancelled_by,
    cancelledAt: r.cancelled_at,
    cancelReason: r.cancel_reason,
  }));
}

export async function getPaymentRequest(db: Db, actor: Actor, id: string): Promise<PaymentRequestView> {
  if (!isUuid(id)) throw notFound('payment request', id);
  return paymentRequestById(db, actor.agencyId, id);
}

export async function listPaymentRequests(
  db: Db,
  actor: Actor,
  filter: { customerNumber?: number | undefined; state?: PaymentRequestReadState | undefined; limit: number },
): Promise<PaymentRequestView[]> {
  const customer =
    filter.customerNumber === undefined ? undefined : await findCustomer(db, actor.agencyId, filter.customerNumber);
  return paymentRequestViews(db, actor.agencyId, {
    customerId: customer?.id,
    state: filter.state,
    limit: filter.limit,
  });
}

/** Locks a request of the agency (and, for a portal client, of their customer) for a change. */
export async function lockPaymentRequest(tx: Tx, actor: Actor, id: string) {
  let query = tx
    .selectFrom('payment_requests')
    .selectAll()
    .where('agency_id', '=', actor.agencyId)
    .where('id', '=', isUuid(id) ? id : '00000000-0000-0000-0000-000000000000');
  if (actor.client) query = query.where('customer_id', '=', actor.client.customerId);
  const row = await query.forUpdate().executeTakeFirst();
  if (!row) throw notFound('payment request', id);
  return row;
}

export async function cancelPaymentRequest(
  db: Db | Tx,
  actor: Actor,
  id: string,
  reason: string | undefined,
  now = new Date(),
  jobs: JobQueue = noJobQueue,
): Promise<PaymentRequestView> {
  return inTransaction(db, async (tx) => {
    const row = await lockPaymentRequest(tx, actor, id);
    const current = await paymentRequestById(tx, actor.agencyId, row.id, now);
    const refusal = refusalFor('cancel', current.state);
    if (refusal) throw new DomainError('illegal_transition', refusal);
    // An ACH debit for it may still be pending: the money may yet come, so the request stays.
    const inFlight = await tx
      .selectFrom('payments')
      .select('id')
      .where('payment_request_id', '=', row.id)
      .where('state', 'in', ['requested', 'executing'])
      .executeTakeFirst();
    if (inFlight) {
      throw new DomainError(
        'conflict',
        `payment ${inFlight.id} for this request is in progress; it cannot be cancelled`,
      );
    }
    await tx
      .updateTable('payment_requests')
      .set({ state: 'cancelled', cancelled_by: actor.label, cancelled_at: now, cancel_reason: reason || null })
      .where('id', '=', row.id)
      .execute();
    await logActivity(
      tx,
      actor,
      row.customer_id,
      'payment_request_cancelled',
      `Payment request for ${formatAmount(row.amount_cents)} cancelled by ${actor.label}${reason ? `: ${reason}` : ''}`,
      { paymentRequestId: row.id },
    );
    // The client was asked to pay: they are told not to (the seed's cancelled request tells the client).
    const agency = await getAgency(tx, actor.agencyId);
    await queueEmail(
      tx,
      actor.agencyId,
      {
        kind: 'payment_request_cancelled',
        to: current.contact.email,
        ...paymentRequestCancelledEmail({
          agencyName: agency.name,
          contactName: current.contact.name,
          amountCents: row.amount_cents,
          dueDate: current.dueDate,
          note: current.note,
          reason: reason || null,
        }),
        related: { type: 'payment_request', id: row.id },
      },
      jobs,
    );
    await audit(tx, actor, 'payment_request.cancelled', { type: 'payment_request', id: row.id }, { reason });
    return paymentRequestById(tx, actor.agencyId, row.id, now);
  });
}

function inFlightView(
  payment: { id: string; state: string; type: 'card' | 'ach'; last4: string } | undefined,
): PaymentRequestView['payment'] {
  return payment
    ? { id: payment.id, state: payment.state, type: payment.type, last4: payment.last4, paidAt: null }
    : null;
}
