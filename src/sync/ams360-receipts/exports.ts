import { sql } from 'kysely';
import type { Actor } from '../../kernel/actor.ts';
import { DomainError, notFound } from '../../kernel/errors.ts';
import { isUuid } from '../../kernel/ids.ts';
import { formatAmount } from '../../kernel/money.ts';
import { audit } from '../../platform/db/audit.ts';
import type { AmsReceiptExportStatus } from '../../platform/db/schema.ts';
import { type Db, inTransaction, type Tx } from '../../platform/db/transaction.ts';
import { releaseHeldAmsReceiptExports } from './outbox.ts';

export interface AmsReceiptExportView {
  id: string;
  receiptNumber: number;
  customerNumber: number;
  reference: string;
  status: AmsReceiptExportStatus;
  attempts: number;
  nextAttemptAt: Date | null;
  lastHttpStatus: number | null;
  lastError: string | null;
  amsReceiptId: string | null;
  createdAt: Date;
  sentAt: Date | null;
  /** Set when the receipt was reversed in policypay: the AMS360 receipt must be reversed by hand. */
  reversal: { reason: string; at: Date } | null;
  manualAction: string | null;
}

/**
 * Exports, latest first. A reversed receipt is not un-sent: AMS360's receipt API has no reversal,
 * so the row says what staff must do in the AMS (derived here, not stored, so it cannot go stale).
 */
export async function listAmsReceiptExports(
  db: Db | Tx,
  actor: Actor,
  filter: {
    status?: AmsReceiptExportStatus | undefined;
    receiptNumber?: number | undefined;
    id?: string | undefined;
    limit?: number;
  } = {},
): Promise<AmsReceiptExportView[]> {
  let query = db
    .selectFrom('ams_receipt_exports as e')
    .innerJoin('receipts as r', 'r.id', 'e.receipt_id')
    .innerJoin('customers as c', 'c.id', 'r.customer_id')
    .leftJoin('receipt_reversals as v', 'v.receipt_id', 'r.id')
    .selectAll('e')
    .select(['r.receipt_number', 'c.customer_number', 'v.reason as reversal_reason', 'v.created_at as reversed_at'])
    .select(
      sql<string | null>`(SELECT sum(pr.amount_cents) FROM payment_refunds pr JOIN payments p ON p.id = pr.payment_id
        WHERE p.receipt_id = r.id AND pr.status = 'succeeded')`.as('refunded_cents'),
    )
    .select('r.amount_cents as receipt_cents')
    .where('e.agency_id', '=', actor.agencyId)
    .orderBy('e.created_at', 'desc')
    .orderBy('r.receipt_number', 'desc')
    .limit(filter.limit ?? 100);
  if (filter.status) query = query.where('e.status', '=', filter.status);
  if (filter.id) query = query.where('e.id', '=', filter.id);
  if (filter.receiptNumber !== undefined) query = query.where('r.receipt_number', '=', filter.receiptNumber);
  const rows = await query.execute();
  return rows.map((row) => {
    const reversal =
      row.reversal_reason && row.reversed_at ? { reason: row.reversal_reason, at: row.reversed_at } : null;
    return {
      id: row.id,
      receiptNumber: row.receipt_number,
      customerNumber: row.customer_number,
      reference: row.reference,
      status: row.status,
      attempts: row.attempts,
      nextAttemptAt: row.next_attempt_at,
      lastHttpStatus: row.last_http_status,
      lastError: row.last_error,
      amsReceiptId: row.ams_receipt_id,
      createdAt: row.created_at,
      sentAt: row.sent_at,
      reversal,
      manualAction:
        manualAction(row.status, row.reference, reversal, row.last_error) ??
        refundAction(row.reference, row.body, row.receipt_cents - BigInt(row.refunded_cents ?? 0)),
    };
  });
}

function manualAction(
  status: AmsReceiptExportStatus,
  reference: string,
  reversal: { reason: string } | null,
  lastError: string | null,
): string | null {
  if (status === 'held')
    return `Waiting for the AMS's numbers (${lastError ?? 'no AMS identity'}): link the customer and invoices to the AMS (the next sync, or a merge in the review queue); ${reference} is sent once they are linked`;
  if (status === 'failed')
    return `Fix the cause (${lastError ?? 'see the error'}) and retry, or enter ${reference} in AMS360 by hand`;
  if (!reversal) return null;
  const what = `Reverse receipt ${reference} in AMS360 (reversed in policypay: ${reversal.reason})`;
  return status === 'sent' ? what : `${what} once it has been sent`;
}

/**
 * A refund made after the body was fixed (sent, or an attempt may have reached the AMS): AMS360's
 * receipt API takes no refunds, so staff record it there by hand. Null when the body already
 * carries only what stays applied.
 */
function refundAction(reference: string, body: unknown, netCents: bigint): string | null {
  const sent = (body as { receiptAmount?: unknown } | null)?.receiptAmount;
  if (typeof sent !== 'number') return null;
  const sentCents = BigInt(Math.round(sent * 100));
  if (sentCents <= netCents) return null;
  return `Record the refund of ${formatAmount(sentCents - netCents)} against ${reference} in AMS360 (it was sent for ${formatAmount(sentCents)}; ${formatAmount(netCents)} stays applied)`;
}

/**
 * Sends a failed export again, now, with the same Idempotency-Key and body: safe even when an
 * earlier attempt did reach the AMS. Only failed exports can be retried; the others are on their way.
 */
export async function retryAmsReceiptExport(
  db: Db | Tx,
  actor: Actor,
  exportId: string,
): Promise<AmsReceiptExportView> {
  return inTransaction(db, async (tx) => {
    if (!isUuid(exportId)) throw notFound('AMS360 receipt export', exportId);
    const row = await tx
      .selectFrom('ams_receipt_exports')
      .select(['id', 'status'])
      .where('agency_id', '=', actor.agencyId)
      .where('id', '=', exportId)
      .forUpdate()
      .executeTakeFirst();
    if (!row) throw notFound('AMS360 receipt export', exportId);
    if (row.status === 'held') {
      // Held for want of the AMS's numbers: released now if they arrived, else told why not.
      const { held } = await releaseHeldAmsReceiptExports(tx, actor.agencyId, { exportIds: [row.id] });
      if (held[0]) {
        throw new DomainError('conflict', `export ${exportId} is held: ${held[0].reason}`);
      }
      await audit(tx, actor, 'ams360_receipts.export_released', { type: 'ams_receipt_export', id: row.id });
      const [view] = await listAmsReceiptExports(tx, actor, { id: row.id });
      if (!view) throw notFound('AMS360 receipt export', exportId);
      return view;
    }
    if (row.status !== 'failed') {
      throw new DomainError('conflict', `export ${exportId} is ${row.status}; only a failed export can be retried`);
    }
    await tx
      .updateTable('ams_receipt_exports')
      .set({ status: 'pending', attempts: 0, claim_id: null, next_attempt_at: new Date(), updated_at: new Date() })
      .where('id', '=', row.id)
      .execute();
    await audit(tx, actor, 'ams360_receipts.export_retried', { type: 'ams_receipt_export', id: row.id });
    const [view] = await listAmsReceiptExports(tx, actor, { id: row.id });
    if (!view) throw notFound('AMS360 receipt export', exportId);
    return view;
  });
}
