import { getAgency } from '../agency/agencies.ts';
import { findCustomer } from '../customers/customers.ts';
import type { Actor } from '../kernel/actor.ts';
import { dateInZone } from '../kernel/calendar.ts';
import { notFound } from '../kernel/errors.ts';
import { isUuid } from '../kernel/ids.ts';
import type { Cents } from '../kernel/money.ts';
import type { Db, Tx } from '../platform/db/transaction.ts';
import { type PaymentRequestReadState, readPaymentRequestState } from './rules/payment-requests.ts';

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

function inFlightView(
  payment: { id: string; state: string; type: 'card' | 'ach'; last4: string } | undefined,
): PaymentRequestView['payment'] {
  return payment
    ? { id: payment.id, state: payment.state, type: payment.type, last4: payment.last4, paidAt: null }
    : null;
}
