import { getAgency } from '../agency/agencies.ts';
import { loadEmailSender } from '../agency/branding.ts';
import { loadPaymentSettings } from '../agency/payment-settings.ts';
import { findCustomer } from '../customers/customers.ts';
import { queueEmail } from '../email/outbox.ts';
import { paymentRequestEmail } from '../email/rules/templates.ts';
import type { Actor } from '../kernel/actor.ts';
import { dateInZone } from '../kernel/calendar.ts';
import { DomainError, invalid } from '../kernel/errors.ts';
import { isUuid } from '../kernel/ids.ts';
import { type Cents, formatAmount, sum } from '../kernel/money.ts';
import { invoiceBalances } from '../ledger/ledger.ts';
import { audit, logActivity } from '../platform/db/audit.ts';
import { type Db, inTransaction, type Tx } from '../platform/db/transaction.ts';
import type { JobQueue } from '../platform/jobs/job-queue.ts';
import { isEnrolled, issuePortalLink, REQUEST_LINK_HOURS } from './links.ts';
import { type PaymentRequestView, paymentRequestById } from './request-views.ts';
import { paymentRequestExpiresOn } from './rules/payment-requests.ts';

export interface PaymentRequestInput {
  customerNumber: number;
  contactId: string;
  amountCents: Cents;
  dueDate: string;
  note?: string | undefined;
  invoices: { invoiceNumber: number; amountCents: Cents }[];
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
      ...(await loadEmailSender(tx, agency.id)),
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
