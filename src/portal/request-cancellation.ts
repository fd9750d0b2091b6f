import { getAgency } from '../agency/agencies.ts';
import { loadEmailSender } from '../agency/branding.ts';
import { queueEmail } from '../email/outbox.ts';
import { paymentRequestCancelledEmail } from '../email/rules/templates.ts';
import type { Actor } from '../kernel/actor.ts';
import { DomainError, notFound } from '../kernel/errors.ts';
import { isUuid } from '../kernel/ids.ts';
import { formatAmount } from '../kernel/money.ts';
import { audit, logActivity } from '../platform/db/audit.ts';
import { type Db, inTransaction, type Tx } from '../platform/db/transaction.ts';
import { type JobQueue, noJobQueue } from '../platform/jobs/job-queue.ts';
import { type PaymentRequestView, paymentRequestById } from './request-views.ts';
import { refusalFor } from './rules/payment-requests.ts';

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
          ...(await loadEmailSender(tx, agency.id)),
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
