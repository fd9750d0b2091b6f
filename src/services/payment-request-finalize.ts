import { dateInZone } from '../domain/calendar.ts';
import { DomainError } from '../domain/errors.ts';
import { type Cents, formatAmount, sum } from '../domain/money.ts';
import { refusalFor } from '../domain/payment-requests.ts';
import type { Actor } from './actor.ts';
import { getAgency } from './agencies.ts';
import { audit, logActivity } from './audit.ts';
import { postJournalEntry } from './ledger.ts';
import { lockPaymentRequest, type PaymentRequestView, paymentRequestById } from './payment-requests.ts';
import { loadPaymentSettings } from './payment-settings.ts';
import { postCustomerReceipt } from './receipts.ts';
import { type Db, inTransaction, type Tx } from './transaction.ts';

export interface FinalizeInput {
  bankShortName: string;
  applications?: { invoiceNumber?: number | undefined; amountCents: Cents }[] | undefined;
  description?: string | undefined;
}

/**
 * Finalize Payment: the money held for a paid request becomes a cash receipt, applied by the
 * receipt rules (so AR drops now), and the hold is cleared, all in one transaction.
 */
export async function finalizePaymentRequest(
  db: Db | Tx,
  actor: Actor,
  id: string,
  input: FinalizeInput,
  now = new Date(),
): Promise<PaymentRequestView> {
  return inTransaction(db, async (tx) => {
    const settings = await loadPaymentSettings(tx, actor.agencyId);
    if (actor.role !== 'staff' && (actor.role !== 'agent' || settings.finalizeRestrictedToStaff)) {
      throw new DomainError('forbidden', 'this agency lets only staff finalize payment requests');
    }
    const row = await lockPaymentRequest(tx, actor, id);
    const current = await paymentRequestById(tx, actor.agencyId, row.id, now);
    const refusal = refusalFor('finalize', current.state);
    if (refusal) throw new DomainError('illegal_transition', refusal);
    const payment = await tx
      .selectFrom('payments')
      .select(['id', 'type'])
      .where('id', '=', row.payment_id!)
      .executeTakeFirstOrThrow();

    // Prefilled from the request: its invoices, the rest On Account.
    const items = input.applications ?? [
      ...current.invoices.map((i) => ({ invoiceNumber: i.invoiceNumber, amountCents: i.amountCents })),
    ];
    if (!input.applications) {
      const rest = row.amount_cents - sum(items.map((i) => i.amountCents));
      if (rest > 0n) items.push({ amountCents: rest } as { invoiceNumber?: number; amountCents: Cents });
    }
    const total = sum(items.map((i) => i.amountCents));
    if (total !== row.amount_cents) {
      throw new DomainError(
        'unprocessable',
        `the applications add up to ${formatAmount(total)}, not the ${formatAmount(row.amount_cents)} paid`,
        { errors: [{ path: 'applications', message: `must add up to ${formatAmount(row.amount_cents)}` }] },
      );
    }
    const agency = await getAgency(tx, actor.agencyId);
    const receipt = await postCustomerReceipt(
      tx,
      actor,
      {
        customerNumber: current.customerNumber,
        items,
        receiptAmountCents: row.amount_cents,
        receiptDate: now.toISOString(),
        receiptDateTimeZone: agency.timeZone,
        bankShortName: input.bankShortName,
        paymentCheckType: payment.type === 'card' ? 'CreditCard' : 'EFT',
        receiptDescription: input.description || `Online payment request ${row.id}${row.note ? `: ${row.note}` : ''}`,
      },
      { source: 'payment_request' },
    );
    // The receipt debited the bank; the hold comes off: the processor's clearing and what was owed back.
    await postJournalEntry(tx, actor.agencyId, {
      kind: 'online_payment_finalized',
      description: `Payment request ${row.id} finalized as receipt ${receipt.receiptNumber}`,
      occurredOn: dateInZone(now, agency.timeZone),
      sourceType: 'payment_request',
      sourceId: row.id,
      lines: [
        { account: 'payments_held', amountCents: row.amount_cents, customerId: row.customer_id },
        { account: 'processor_clearing', amountCents: -row.amount_cents, customerId: row.customer_id },
      ],
    });
    await tx
      .updateTable('payment_requests')
      .set({ state: 'finalized', receipt_id: receipt.id, finalized_by: actor.label, finalized_at: now })
      .where('id', '=', row.id)
      .execute();
    // A later chargeback or return reverses this receipt like any posted payment's.
    await tx.updateTable('payments').set({ receipt_id: receipt.id }).where('id', '=', payment.id).execute();
    await logActivity(
      tx,
      actor,
      row.customer_id,
      'payment_request_finalized',
      `Payment finalized by ${actor.label}: receipt ${receipt.receiptNumber} for ${formatAmount(row.amount_cents)}`,
      { paymentRequestId: row.id, receiptNumber: receipt.receiptNumber },
    );
    await audit(
      tx,
      actor,
      'payment_request.finalized',
      { type: 'payment_request', id: row.id },
      { receiptNumber: receipt.receiptNumber },
    );
    return paymentRequestById(tx, actor.agencyId, row.id, now);
  });
}
