import { notFound } from '../domain/errors.ts';
import type { Actor } from './actor.ts';
import type { Db } from './transaction.ts';

export interface InvoiceAutopayView {
  invoiceNumber: number;
  autopayTime: Date | null;
  suppressAutopay: boolean;
  /** The passes are done with this autopay time (fired, or skipped after the due date). */
  decided: boolean;
  firing: {
    status: string;
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
export async function getInvoiceAutopay(db: Db, actor: Actor, invoiceNumber: number): Promise<InvoiceAutopayView> {
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
          'f.status',
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
          status: firing.status,
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
