import { amsReceiptBody, amsReceiptIdempotencyKey, amsReceiptReference } from '../../domain/ams-receipt-export.ts';
import type { PaymentCheckType } from '../../domain/receipt-input.ts';
import type { JobQueue } from '../../services/job-queue.ts';
import type { Tx } from '../../services/transaction.ts';

export const amsReceiptQueues = {
  send: 'ams360-receipts.send',
  sweep: 'ams360-receipts.sweep',
} as const;

/**
 * The outbox write: called inside the transaction that posts a receipt, so the export row exists
 * exactly when the receipt commits. The receipt service calls it only when the agency's enabled
 * connector exports the receipt's source (it reads the connector with the customer lock). The
 * body and idempotency key are fixed now: every retry sends the same request.
 */
export async function queueAmsReceiptExport(
  tx: Tx,
  agencyId: string,
  receiptId: string,
  jobs?: JobQueue,
): Promise<string> {
  const receipt = await tx
    .selectFrom('receipts')
    .innerJoin('customers', 'customers.id', 'receipts.customer_id')
    .innerJoin('banks', 'banks.id', 'receipts.bank_id')
    .select([
      'receipts.receipt_number',
      'receipts.amount_cents',
      'receipts.receipt_date',
      'receipts.receipt_time_zone',
      'receipts.payment_check_type',
      'receipts.description',
      'receipts.payer_check_number',
      'customers.customer_number',
      'banks.short_name',
    ])
    .where('receipts.agency_id', '=', agencyId)
    .where('receipts.id', '=', receiptId)
    .executeTakeFirstOrThrow();
  const applications = await tx
    .selectFrom('receipt_applications')
    .leftJoin('invoices', 'invoices.id', 'receipt_applications.invoice_id')
    .select([
      'receipt_applications.applied_cents',
      'receipt_applications.on_account_cents',
      'receipt_applications.description',
      'invoices.invoice_number',
    ])
    .where('receipt_applications.agency_id', '=', agencyId)
    .where('receipt_applications.receipt_id', '=', receiptId)
    .orderBy('receipt_applications.sequence')
    .execute();
  const body = amsReceiptBody({
    receiptNumber: receipt.receipt_number,
    customerNumber: receipt.customer_number,
    amountCents: receipt.amount_cents,
    receiptDate: receipt.receipt_date,
    receiptTimeZone: receipt.receipt_time_zone,
    bankShortName: receipt.short_name,
    paymentCheckType: receipt.payment_check_type as PaymentCheckType,
    description: receipt.description,
    payerCheckNumber: receipt.payer_check_number,
    items: applications.map((a) => ({
      invoiceNumber: a.invoice_number,
      amountCents: a.applied_cents + a.on_account_cents,
      description: a.description,
    })),
  });
  const row = await tx
    .insertInto('ams_receipt_exports')
    .values({
      agency_id: agencyId,
      receipt_id: receiptId,
      reference: amsReceiptReference(receipt.receipt_number),
      idempotency_key: amsReceiptIdempotencyKey(receiptId),
      body: JSON.stringify(body),
      status: 'pending',
      next_attempt_at: new Date(),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await jobs?.enqueue(tx, amsReceiptQueues.send, { exportId: row.id });
  return row.id;
}
