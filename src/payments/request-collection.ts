import { getAgency } from '../agency/agencies.ts';
import { loadEmailSender } from '../agency/branding.ts';
import { lockCustomer } from '../customers/customers.ts';
import { queueEmail } from '../email/outbox.ts';
import { describeMethod, paymentReceiptEmail } from '../email/rules/templates.ts';
import { systemActor } from '../kernel/actor.ts';
import { dateInZone } from '../kernel/calendar.ts';
import { formatAmount } from '../kernel/money.ts';
import { postJournalEntry } from '../ledger/ledger.ts';
import { reversalEntry } from '../ledger/rules/ledger.ts';
import { audit, logActivity } from '../platform/db/audit.ts';
import type { Tx } from '../platform/db/transaction.ts';
import type { JobQueue } from '../platform/jobs/job-queue.ts';
import { notifyPaymentSent, sendAgencyReceiptCopy } from './notifications.ts';
import { transitionPayment } from './transitions.ts';

const WORKER = 'worker:payments';

export interface CollectedPayment {
  id: string;
  agency_id: string;
  state: string;
  customer_id: string;
  payment_method_id: string;
  type: 'card' | 'ach';
  amount_cents: bigint;
  payment_request_id: string | null;
  paid_by_contact_id: string | null;
  /** `agent_sweep` when staff charged a request's saved method (the console's Charge again). */
  channel: string;
}

/**
 * Money a client paid online for a payment request is held, not applied: the processor has it
 * (debit `processor_clearing`) and the agency owes it to the customer until staff finalize it
 * (credit `payments_held`). AR does not move until Finalize Payment posts the cash receipt.
 */
export async function collectRequestPayment(
  tx: Tx,
  payment: CollectedPayment & { payment_request_id: string },
  jobs: JobQueue,
  now: Date,
): Promise<void> {
  const agency = await getAgency(tx, payment.agency_id);
  await lockCustomer(tx, payment.agency_id, payment.customer_id);
  const request = await tx
    .selectFrom('payment_requests')
    .selectAll()
    .where('id', '=', payment.payment_request_id)
    .forUpdate()
    .executeTakeFirstOrThrow();
  const entryId = await postJournalEntry(tx, payment.agency_id, {
    kind: 'online_payment_held',
    description: `Online payment ${payment.id} held for payment request ${request.id}`,
    occurredOn: dateInZone(now, agency.timeZone),
    sourceType: 'payment',
    sourceId: payment.id,
    lines: [
      { account: 'processor_clearing', amountCents: payment.amount_cents, customerId: payment.customer_id },
      { account: 'payments_held', amountCents: -payment.amount_cents, customerId: payment.customer_id },
    ],
  });
  // The request was open when the client paid; an ACH debit settles days later, even if the
  // request has expired meanwhile: the money came, so it is paid.
  await tx
    .updateTable('payment_requests')
    .set({ state: 'paid', payment_id: payment.id, paid_at: now, held_entry_id: entryId })
    .where('id', '=', request.id)
    .execute();
  await transitionPayment(tx, payment, 'posted', WORKER, `held for payment request ${request.id}`, {
    failure_code: null,
    failure_message: null,
  });
  await clientPaid(tx, payment, { ...request, requestorUserId: request.requested_by_user_id }, jobs, now);
}

/** After a client's online payment posts: activity "Payment sent", the agency's e-mails, the payer's receipt. */
export async function clientPaid(
  tx: Tx,
  payment: CollectedPayment,
  request: { id: string; note: string | null; due_date: string; requestorUserId: string | null } | null,
  jobs: JobQueue,
  now: Date,
): Promise<void> {
  const contact = payment.paid_by_contact_id
    ? await tx
        .selectFrom('contacts')
        .select(['name', 'email'])
        .where('id', '=', payment.paid_by_contact_id)
        .executeTakeFirst()
    : undefined;
  const payerName = contact?.name ?? 'The client';
  const method = await tx
    .selectFrom('payment_methods')
    .select(['brand', 'last4'])
    .where('id', '=', payment.payment_method_id)
    .executeTakeFirstOrThrow();
  const methodText = describeMethod({ type: payment.type, brand: method.brand, last4: method.last4 });
  const actor = systemActor(payment.agency_id, WORKER);
  await logActivity(
    tx,
    actor,
    payment.customer_id,
    'payment_sent',
    (payment.channel === 'agent_sweep'
      ? `Payment sent: the agency charged ${formatAmount(payment.amount_cents)} to ${payerName}'s ${methodText}`
      : `Payment sent: ${payerName} paid ${formatAmount(payment.amount_cents)} online (${methodText})`) +
      (request ? ` for the payment request${request.note ? ` "${request.note}"` : ''}` : ''),
    { paymentId: payment.id, paymentRequestId: request?.id ?? null, amountCents: payment.amount_cents },
  );
  await notifyPaymentSent(
    tx,
    payment,
    payerName,
    request
      ? { id: request.id, note: request.note, dueDate: request.due_date, requestorUserId: request.requestorUserId }
      : null,
    jobs,
  );
  const agency = await getAgency(tx, payment.agency_id);
  const reference = await tx
    .selectFrom('payment_attempts')
    .select('processor_reference')
    .where('payment_id', '=', payment.id)
    .where('status', '=', 'succeeded')
    .executeTakeFirst();
  const receiptFacts = {
    payerName,
    method: methodText,
    reference: reference?.processor_reference ?? payment.id,
    paidAt: dateInZone(now, agency.timeZone),
  };
  if (contact?.email) {
    const receipt = paymentReceiptEmail({
      ...(await loadEmailSender(tx, agency.id)),
      amountCents: payment.amount_cents,
      ...receiptFacts,
    });
    await queueEmail(
      tx,
      payment.agency_id,
      { kind: 'payment_receipt', to: contact.email, ...receipt, related: { type: 'payment', id: payment.id } },
      jobs,
    );
  }
  await sendAgencyReceiptCopy(tx, payment, receiptFacts, jobs);
  if (request) {
    await audit(
      tx,
      actor,
      'payment_request.paid',
      { type: 'payment_request', id: request.id },
      { paymentId: payment.id },
    );
  }
}

/**
 * A return or chargeback of a request payment not finalized yet: undo the hold (new entry) and
 * reopen the request so the client can pay again. Returns false when there is nothing held.
 */
export async function releaseHeldRequestPayment(
  tx: Tx,
  payment: { id: string; agency_id: string; customer_id: string; payment_request_id: string | null },
  reason: string,
  now: Date,
): Promise<boolean> {
  if (!payment.payment_request_id) return false;
  const request = await tx
    .selectFrom('payment_requests')
    .selectAll()
    .where('id', '=', payment.payment_request_id)
    .forUpdate()
    .executeTakeFirstOrThrow();
  if (request.state !== 'paid' || !request.held_entry_id || request.payment_id !== payment.id) return false;
  const agency = await getAgency(tx, payment.agency_id);
  const lines = await tx
    .selectFrom('journal_lines')
    .select(['account', 'amount_cents', 'customer_id', 'invoice_id', 'bank_id'])
    .where('entry_id', '=', request.held_entry_id)
    .execute();
  await postJournalEntry(
    tx,
    payment.agency_id,
    reversalEntry({
      originalEntryId: request.held_entry_id,
      lines: lines.map((l) => ({
        account: l.account,
        amountCents: l.amount_cents,
        customerId: l.customer_id ?? undefined,
        invoiceId: l.invoice_id ?? undefined,
        bankId: l.bank_id ?? undefined,
      })),
      kind: 'online_payment_released',
      description: `Online payment ${payment.id} ${reason}`,
      occurredOn: dateInZone(now, agency.timeZone),
      sourceType: 'payment',
      sourceId: payment.id,
    }),
  );
  await tx
    .updateTable('payment_requests')
    .set({ state: 'requested', payment_id: null, paid_at: null, held_entry_id: null })
    .where('id', '=', request.id)
    .execute();
  return true;
}
