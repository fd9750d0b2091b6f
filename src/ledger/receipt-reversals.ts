import { agencyToday } from '../agency/agencies.ts';
import { loadPaymentSettings } from '../agency/payment-settings.ts';
import { lockCustomer } from '../customers/customers.ts';
import type { Actor } from '../kernel/actor.ts';
import { DomainError, notFound } from '../kernel/errors.ts';
import { type Cents, formatAmount } from '../kernel/money.ts';
import { audit, logActivity } from '../platform/db/audit.ts';
import { type Db, inTransaction, isUniqueViolation, type Tx } from '../platform/db/transaction.ts';
import { insertInvoice } from './invoices.ts';
import { entryLines, postJournalEntry } from './ledger.ts';
import { getReceiptById, type ReceiptView, visibleReceipts } from './receipt-views.ts';
import { type JournalLineDraft, reversalEntry } from './rules/ledger.ts';

export type ReversalReason = 'nsf' | 'chargeback' | 'entered_in_error';

const reasonText: Record<ReversalReason, string> = {
  nsf: 'returned for non-sufficient funds',
  chargeback: 'charged back',
  entered_in_error: 'entered in error',
};

/**
 * Reverses a receipt with a new journal entry that negates its lines: the bank's cash goes back
 * out, the invoices reopen to their previous balances, On Account loses what the receipt put there.
 * A receipt is reversed once (409 after). An NSF reversal may bill the agency's NSF fee.
 */
export async function reverseReceipt(
  db: Db | Tx,
  actor: Actor,
  receiptNumber: number,
  input: { reason: ReversalReason; note?: string | undefined },
  now: Date = new Date(),
): Promise<ReceiptView> {
  return inTransaction(db, async (tx) => {
    // Another bank's receipt, for a caller limited to banks, is as unknown as a missing one.
    const receipt = await visibleReceipts(tx, actor)
      .select(['receipts.customer_id', 'receipts.journal_entry_id', 'receipts.amount_cents'])
      .where('receipts.receipt_number', '=', receiptNumber)
      .executeTakeFirst();
    if (!receipt) throw notFound('receipt', receiptNumber);
    await lockCustomer(tx, actor.agencyId, receipt.customer_id);
    const already = await tx
      .selectFrom('receipt_reversals')
      .select('reason')
      .where('receipt_id', '=', receipt.id)
      .executeTakeFirst();
    if (already) throw new DomainError('conflict', `receipt ${receiptNumber} is already reversed (${already.reason})`);

    // A card payment's refunds already took part of the receipt back: only what remains is
    // reversed, or a chargeback after a partial refund would return the refunded part twice.
    const refunds = await tx
      .selectFrom('payment_refunds')
      .innerJoin('payments', 'payments.id', 'payment_refunds.payment_id')
      .select('payment_refunds.journal_entry_id')
      .where('payments.agency_id', '=', actor.agencyId)
      .where('payments.receipt_id', '=', receipt.id)
      .where('payment_refunds.status', '=', 'succeeded')
      .where('payment_refunds.journal_entry_id', 'is not', null)
      .orderBy('payment_refunds.created_at')
      .execute();
    const lines = await entryLines(tx, actor.agencyId, receipt.journal_entry_id);
    for (const refund of refunds) lines.push(...(await entryLines(tx, actor.agencyId, refund.journal_entry_id!)));
    const remaining = refunds.length ? netLines(lines) : lines;
    if (remaining.length === 0) {
      throw new DomainError('conflict', `receipt ${receiptNumber} was refunded in full; nothing is left to reverse`);
    }

    const today = await agencyToday(tx, actor.agencyId, now);
    const description = `Reversal of receipt ${receiptNumber}: ${reasonText[input.reason]}`;
    const entryId = await postJournalEntry(
      tx,
      actor.agencyId,
      reversalEntry({
        originalEntryId: receipt.journal_entry_id,
        lines: remaining,
        kind: 'receipt_reversal',
        description,
        occurredOn: today,
        sourceType: 'receipt',
        sourceId: receipt.id,
      }),
    );

    let feeInvoiceId: string | null = null;
    let feeCents: Cents | null = null;
    if (input.reason === 'nsf') {
      feeCents = (await loadPaymentSettings(tx, actor.agencyId)).nsfFeeCents;
      if (feeCents) {
        const fee = await insertInvoice(
          tx,
          actor,
          {
            customerId: receipt.customer_id,
            policyId: null,
            dueDate: today,
            amountCents: feeCents,
            description: `NSF fee for returned receipt ${receiptNumber}`,
            revenueAccount: 'fees',
          },
          today,
        );
        feeInvoiceId = fee.id;
      }
    }
    try {
      await tx
        .insertInto('receipt_reversals')
        .values({
          agency_id: actor.agencyId,
          receipt_id: receipt.id,
          reason: input.reason,
          note: input.note ?? null,
          journal_entry_id: entryId,
          fee_invoice_id: feeInvoiceId,
          created_by: actor.label,
        })
        .execute();
    } catch (error) {
      if (isUniqueViolation(error)) throw new DomainError('conflict', `receipt ${receiptNumber} is already reversed`);
      throw error;
    }
    const reversedCents = remaining.filter((l) => l.account === 'cash').reduce((t, l) => t + l.amountCents, 0n);
    const summary =
      input.reason === 'nsf'
        ? `Receipt ${receiptNumber} returned NSF: ${formatAmount(reversedCents)} reversed${feeCents ? `; NSF fee ${formatAmount(feeCents)} billed` : ''}`
        : `Receipt ${receiptNumber} reversed (${reasonText[input.reason]}): ${formatAmount(reversedCents)}`;
    await logActivity(tx, actor, receipt.customer_id, `receipt_reversed_${input.reason}`, summary, {
      receiptNumber,
      note: input.note,
    });
    await audit(tx, actor, 'receipt.reversed', { type: 'receipt', id: receipt.id }, { reason: input.reason });
    return getReceiptById(tx, actor.agencyId, receipt.id);
  });
}

/** Lines summed per account, customer, invoice and bank, in first-seen order; zero sums dropped. */
function netLines(lines: readonly JournalLineDraft[]): JournalLineDraft[] {
  const byKey = new Map<string, JournalLineDraft>();
  for (const line of lines) {
    const key = [line.account, line.customerId ?? '', line.invoiceId ?? '', line.bankId ?? ''].join('|');
    const seen = byKey.get(key);
    byKey.set(key, seen ? { ...seen, amountCents: seen.amountCents + line.amountCents } : { ...line });
  }
  return [...byKey.values()].filter((line) => line.amountCents !== 0n);
}
