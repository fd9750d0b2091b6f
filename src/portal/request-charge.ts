import type { Actor } from '../kernel/actor.ts';
import { DomainError } from '../kernel/errors.ts';
import { isUuid } from '../kernel/ids.ts';
import { createPayment } from '../payments/creation/create.ts';
import type { PaymentView } from '../payments/views.ts';
import { isUniqueViolation, type Tx } from '../platform/db/transaction.ts';
import type { JobQueue } from '../platform/jobs/job-queue.ts';
import { lockPaymentRequest } from './request-cancellation.ts';
import { paymentRequestById } from './request-views.ts';
import { refusalFor } from './rules/payment-requests.ts';

/**
 * Staff charge an open payment request with a saved method of its customer: what the console's
 * *Charge again* does after the client's payment was declined for good. The request stays open
 * until a payment of it posts, so the new payment belongs to the request (its money is held for
 * Finalize Payment, as a client's would be) instead of paying the invoices beside it, which would
 * leave the request open for the client to pay a second time. Same rules as the client's own
 * payment: the request must still be payable, one live payment per request (a unique index), and
 * the payment goes through the one create path with its eligibility and in-flight checks.
 */
export async function chargePaymentRequest(
  tx: Tx,
  actor: Actor,
  id: string,
  input: { paymentMethodId: string; bankShortName?: string | undefined },
  jobs: JobQueue,
  now: Date,
): Promise<PaymentView> {
  const row = await lockPaymentRequest(tx, actor, id);
  const current = await paymentRequestById(tx, actor.agencyId, row.id, now);
  const refusal = refusalFor('pay', current.state);
  if (refusal) throw new DomainError('illegal_transition', refusal);
  // The method's kind names the payment's type; createPayment refuses a method of another customer.
  const method = await tx
    .selectFrom('payment_methods')
    .select('kind')
    .where('agency_id', '=', actor.agencyId)
    .where('id', '=', isUuid(input.paymentMethodId) ? input.paymentMethodId : '00000000-0000-0000-0000-000000000000')
    .executeTakeFirst();
  try {
    return await createPayment(
      tx,
      actor,
      {
        customerNumber: current.customerNumber,
        type: method?.kind ?? 'card',
        amountCents: row.amount_cents,
        currency: 'USD',
        paymentMethodId: input.paymentMethodId,
        targets: current.invoices.map((i) => ({ invoiceNumber: i.invoiceNumber, amountCents: i.amountCents })),
        channel: 'agent_sweep',
        bankShortName: input.bankShortName,
        state: 'requested',
        paymentRequestId: row.id,
        // The contact the request was sent to gets the payment's receipt, as after paying it themselves.
        paidByContactId: row.contact_id,
        allowNoTargets: true,
      },
      jobs,
      now,
    );
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new DomainError('conflict', 'a payment of this request is already in progress');
    }
    throw error;
  }
}
