import { checkDepositBank } from '../agency/bank-access.ts';
import type { Actor } from '../kernel/actor.ts';
import { DomainError, notFound } from '../kernel/errors.ts';
import { invoiceBalances } from '../ledger/ledger.ts';
import { refuseWhileInFlight } from '../payments/creation/in-flight.ts';
import { audit } from '../platform/db/audit.ts';
import type { AutopayFiringsTable } from '../platform/db/schema.ts';
import { type Db, inTransaction, type Tx } from '../platform/db/transaction.ts';
import { autopayQueues, type JobQueue } from '../platform/jobs/job-queue.ts';
import { seesAutopayBank } from './autopay-bank-access.ts';
import { refireRefusal } from './rules/autopay-console.ts';

export interface InvoiceAutopayView {
  invoiceNumber: number;
  autopayTime: Date | null;
  suppressAutopay: boolean;
  /** The passes are done with this autopay time (fired, or skipped after the due date). */
  decided: boolean;
  firing: {
    id: string;
    status: AutopayFiringsTable['status'];
    /** Times claimed (a retry or a re-fire claims it again). */
    attempts: number;
    failures: number;
    /** A failed firing's next automatic try (its retry plan); null = none. */
    nextRetryAt: Date | null;
    firedAt: Date;
    decidedAt: Date | null;
    paymentId: string | null;
    paymentState: string | null;
    receiptNumber: number | null;
    nextRequestTime: Date | null;
    error: string | null;
  } | null;
  skip: {
    reason: string;
    eligibilityReason: string | null;
    message: string;
    final: boolean;
    skippedAt: Date;
  } | null;
}

/** What autopay did (or why it did not) for an invoice's current autopay time. */
export async function getInvoiceAutopay(db: Db | Tx, actor: Actor, invoiceNumber: number): Promise<InvoiceAutopayView> {
  const invoice = await db
    .selectFrom('invoices')
    .select(['id', 'invoice_number', 'autopay_time', 'autopay_decided_time', 'suppress_autopay'])
    .where('agency_id', '=', actor.agencyId)
    .where('invoice_number', '=', invoiceNumber)
    .executeTakeFirst();
  if (!invoice) throw notFound('invoice', invoiceNumber);
  const time = invoice.autopay_time;
  const firing = time
    ? await db
        .selectFrom('autopay_firings as f')
        .leftJoin('receipts as r', 'r.id', 'f.receipt_id')
        .select([
          'f.id',
          'f.status',
          'f.attempts',
          'f.failures',
          'f.next_retry_at',
          'f.fired_at',
          'f.decided_at',
          'f.payment_id',
          'f.payment_state',
          'f.next_request_time',
          'f.error',
          'r.receipt_number',
        ])
        .where('f.agency_id', '=', actor.agencyId)
        .where('f.invoice_id', '=', invoice.id)
        .where('f.autopay_time', '=', time)
        .executeTakeFirst()
    : undefined;
  const skip = time
    ? await db
        .selectFrom('autopay_skips')
        .select(['reason', 'eligibility_reason', 'message', 'final', 'skipped_at'])
        .where('agency_id', '=', actor.agencyId)
        .where('invoice_id', '=', invoice.id)
        .where('autopay_time', '=', time)
        .executeTakeFirst()
    : undefined;
  return {
    invoiceNumber: invoice.invoice_number,
    autopayTime: time,
    suppressAutopay: invoice.suppress_autopay,
    decided: time !== null && invoice.autopay_decided_time?.getTime() === time.getTime(),
    firing: firing
      ? {
          id: firing.id,
          status: firing.status,
          attempts: firing.attempts,
          failures: firing.failures,
          nextRetryAt: firing.next_retry_at,
          firedAt: firing.fired_at,
          decidedAt: firing.decided_at,
          paymentId: firing.payment_id,
          paymentState: firing.payment_state,
          receiptNumber: firing.receipt_number,
          nextRequestTime: firing.next_request_time,
          error: firing.error,
        }
      : null,
    skip: skip
      ? {
          reason: skip.reason,
          eligibilityReason: skip.eligibility_reason,
          message: skip.message,
          final: skip.final,
          skippedAt: skip.skipped_at,
        }
      : null,
  };
}

/**
 * Staff fire a failed pull again, now: the firing failed (plugin, refused payment) or the payment
 * it created was declined for good. It becomes `retry_due` and its invoice undecided, and a pass
 * is queued, which claims it like any due invoice: the skip and eligibility rules first, then
 * `createPayment` with its in-flight refusal. Its retry plan's count goes on from its failures.
 * Refused here already (nothing written) when the pull is not a failed one — one that created a
 * payment still in flight or posted, or posted a receipt, must never fire twice — when the invoice
 * was paid meanwhile, or when another payment for it is in flight. A caller limited to banks needs
 * the declined payment's bank (or, with no payment, the autopay bank).
 */
export async function refireAutopay(
  db: Db | Tx,
  actor: Actor,
  invoiceNumber: number,
  jobs: JobQueue,
): Promise<InvoiceAutopayView> {
  return inTransaction(db, async (tx) => {
    const invoice = await tx
      .selectFrom('invoices')
      .select(['id', 'autopay_time'])
      .where('agency_id', '=', actor.agencyId)
      .where('invoice_number', '=', invoiceNumber)
      .executeTakeFirst();
    if (!invoice) throw notFound('invoice', invoiceNumber);
    const firing = invoice.autopay_time
      ? await tx
          .selectFrom('autopay_firings')
          .select(['id', 'status', 'payment_id'])
          .where('agency_id', '=', actor.agencyId)
          .where('invoice_id', '=', invoice.id)
          .where('autopay_time', '=', invoice.autopay_time)
          .forUpdate()
          .executeTakeFirst()
      : undefined;
    if (!firing) {
      throw new DomainError('illegal_transition', `invoice ${invoiceNumber} has not been fired for its autopay time`);
    }
    // The invoice's row lock (taken by the in-flight check) serializes this with payment creation.
    await refuseWhileInFlight(tx, actor.agencyId, [invoice.id]);
    const payment = firing.payment_id
      ? await tx
          .selectFrom('payments')
          .innerJoin('banks', 'banks.id', 'payments.bank_id')
          .innerJoin('bank_divisions', 'bank_divisions.id', 'banks.division_id')
          .select([
            'payments.state',
            'banks.id as bankId',
            'banks.short_name as shortName',
            'bank_divisions.name as division',
          ])
          .where('payments.id', '=', firing.payment_id)
          .executeTakeFirstOrThrow()
      : null;
    const balance = (await invoiceBalances(tx, actor.agencyId, [invoice.id])).get(invoice.id) ?? 0n;
    const refusal = refireRefusal({ firingStatus: firing.status, paymentState: payment?.state ?? null }, balance);
    if (refusal) {
      throw new DomainError('illegal_transition', `invoice ${invoiceNumber} cannot be fired again: ${refusal}`);
    }
    if (payment) {
      checkDepositBank(actor, payment.shortName, { id: payment.bankId, ...payment });
    } else if (!(await seesAutopayBank(tx, actor))) {
      throw new DomainError('forbidden', 'this caller has no access to the autopay deposit bank');
    }
    await tx
      .updateTable('autopay_firings')
      .set({ status: 'retry_due', next_retry_at: null })
      .where('id', '=', firing.id)
      .execute();
    await tx
      .updateTable('invoices')
      .set({ autopay_decided_time: null })
      .where('agency_id', '=', actor.agencyId)
      .where('id', '=', invoice.id)
      .execute();
    await jobs.enqueue(tx, autopayQueues.pass, {});
    await audit(
      tx,
      actor,
      'autopay.refired',
      { type: 'invoice', id: invoice.id },
      { firingId: firing.id, declinedPaymentId: firing.payment_id },
    );
    return getInvoiceAutopay(tx, actor, invoiceNumber);
  });
}
