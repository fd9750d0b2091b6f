import type { PaymentCheckType } from '../../ledger/rules/receipt-input.ts';
import type { Tx } from '../../platform/db/transaction.ts';
import type { JobQueue } from '../../platform/jobs/job-queue.ts';
import {
  type AmsReceiptBody,
  amsReceiptBody,
  amsReceiptIdempotencyKey,
  amsReceiptReference,
  netOfRefunds,
} from '../rules/ams-receipt-export.ts';
import { resolveAmsIdentity } from './identity.ts';

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
  const built = await buildExportBody(tx, agencyId, receiptId);
  const row = await tx
    .insertInto('ams_receipt_exports')
    .values({
      agency_id: agencyId,
      receipt_id: receiptId,
      reference: amsReceiptReference(built.receiptNumber),
      idempotency_key: amsReceiptIdempotencyKey(receiptId),
      ...('body' in built
        ? { body: JSON.stringify(built.body), status: 'pending' as const, next_attempt_at: new Date() }
        : { body: null, status: 'held' as const, next_attempt_at: null, last_error: built.held }),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  if ('body' in built) await jobs?.enqueue(tx, amsReceiptQueues.send, { exportId: row.id });
  return row.id;
}

/**
 * The AMS body for a receipt with the AMS's numbers (see `resolveAmsIdentity`) and the amounts
 * that stay applied after refunds, or why it must be held.
 */
async function buildExportBody(
  tx: Tx,
  agencyId: string,
  receiptId: string,
): Promise<{ receiptNumber: number; customerId: string } & ({ body: AmsReceiptBody } | { held: string })> {
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
      'customers.id as customer_id',
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
      'receipt_applications.invoice_id as invoiceId',
      'receipt_applications.applied_cents as appliedCents',
      'receipt_applications.on_account_cents as onAccountCents',
      'receipt_applications.description',
      'invoices.invoice_number',
    ])
    .where('receipt_applications.agency_id', '=', agencyId)
    .where('receipt_applications.receipt_id', '=', receiptId)
    .orderBy('receipt_applications.sequence')
    .execute();
  const refunded = await tx
    .selectFrom('payment_refunds')
    .innerJoin('payments', 'payments.id', 'payment_refunds.payment_id')
    .select((eb) => eb.fn.coalesce(eb.fn.sum<string>('payment_refunds.amount_cents'), eb.val('0')).as('cents'))
    .where('payment_refunds.agency_id', '=', agencyId)
    .where('payments.receipt_id', '=', receiptId)
    .where('payment_refunds.status', '=', 'succeeded')
    .executeTakeFirst();
  const refundedCents = BigInt(refunded?.cents ?? 0);
  const base = { receiptNumber: receipt.receipt_number, customerId: receipt.customer_id };
  const net = netOfRefunds(applications, refundedCents).filter((a) => a.appliedCents + a.onAccountCents > 0n);
  const invoices = applications.flatMap((a) =>
    a.invoiceId && a.invoice_number !== null ? [{ id: a.invoiceId, invoiceNumber: a.invoice_number }] : [],
  );
  const identity = await resolveAmsIdentity(
    tx,
    agencyId,
    { id: receipt.customer_id, customerNumber: receipt.customer_number },
    [...new Map(invoices.map((i) => [i.id, i])).values()],
  );
  if (!identity.ok) return { ...base, held: identity.reason };
  const body = amsReceiptBody({
    receiptNumber: receipt.receipt_number,
    customerNumber: identity.customerNumber,
    amountCents: receipt.amount_cents - refundedCents,
    receiptDate: receipt.receipt_date,
    receiptTimeZone: receipt.receipt_time_zone,
    bankShortName: receipt.short_name,
    paymentCheckType: receipt.payment_check_type as PaymentCheckType,
    description: receipt.description,
    payerCheckNumber: receipt.payer_check_number,
    items: net.map((a) => ({
      invoiceNumber: a.invoiceId ? (identity.invoiceNumbers.get(a.invoiceId) ?? null) : null,
      amountCents: a.appliedCents + a.onAccountCents,
      description: a.description,
    })),
  });
  return { ...base, body };
}

/**
 * Releases held exports whose customer and invoices now have an AMS identity (called in the
 * transaction that linked them, and by the sweep); the others keep waiting with the current reason.
 */
export async function releaseHeldAmsReceiptExports(
  tx: Tx,
  agencyId: string,
  options: { customerIds?: string[]; exportIds?: string[] } = {},
): Promise<{ released: string[]; held: { id: string; reason: string }[] }> {
  let query = tx
    .selectFrom('ams_receipt_exports as e')
    .innerJoin('receipts as r', 'r.id', 'e.receipt_id')
    .select(['e.id', 'e.receipt_id', 'e.last_error'])
    .where('e.agency_id', '=', agencyId)
    .where('e.status', '=', 'held')
    .forUpdate('e')
    .skipLocked();
  if (options.customerIds) {
    if (options.customerIds.length === 0) return { released: [], held: [] };
    query = query.where('r.customer_id', 'in', options.customerIds);
  }
  if (options.exportIds) query = query.where('e.id', 'in', options.exportIds);
  const rows = await query.limit(500).execute();
  const released: string[] = [];
  const held: { id: string; reason: string }[] = [];
  for (const row of rows) {
    const built = await buildExportBody(tx, agencyId, row.receipt_id);
    if ('held' in built) {
      held.push({ id: row.id, reason: built.held });
      if (built.held !== row.last_error) {
        await tx
          .updateTable('ams_receipt_exports')
          .set({ last_error: built.held, updated_at: new Date() })
          .where('id', '=', row.id)
          .execute();
      }
      continue;
    }
    await tx
      .updateTable('ams_receipt_exports')
      .set({
        status: 'pending',
        body: JSON.stringify(built.body),
        last_error: null,
        next_attempt_at: new Date(),
        updated_at: new Date(),
      })
      .where('id', '=', row.id)
      .execute();
    released.push(row.id);
  }
  return { released, held };
}

/**
 * A refund of a receipt whose export has not gone out yet: the body is rebuilt so the AMS gets what
 * stays applied. Only before the first attempt: once one may have reached the AMS, the same key
 * must carry the same body, and the export list tells staff to record the refund in the AMS.
 */
export async function refreshUnsentAmsReceiptExport(tx: Tx, agencyId: string, receiptId: string): Promise<void> {
  const row = await tx
    .selectFrom('ams_receipt_exports')
    .select(['id', 'status', 'attempts'])
    .where('agency_id', '=', agencyId)
    .where('receipt_id', '=', receiptId)
    .forUpdate()
    .executeTakeFirst();
  if (row?.status !== 'pending' || row.attempts > 0) return;
  const built = await buildExportBody(tx, agencyId, receiptId);
  await tx
    .updateTable('ams_receipt_exports')
    .set(
      'body' in built
        ? { body: JSON.stringify(built.body), updated_at: new Date() }
        : { status: 'held', body: null, next_attempt_at: null, last_error: built.held, updated_at: new Date() },
    )
    .where('id', '=', row.id)
    .where('status', '=', 'pending')
    .where('attempts', '=', 0)
    .execute();
}
