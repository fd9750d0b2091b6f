import type { Tx } from '../../platform/db/transaction.ts';
import { inFlightRefusal } from '../rules/payment-creation.ts';
import { inFlightPaymentStates, openAttemptStatuses } from '../rules/payment-states.ts';

export interface InFlightPayment {
  invoiceId: string;
  invoiceNumber: number;
  paymentId: string;
  state: string;
}

/**
 * The payments in flight for any of the invoices, by invoice number (a second charge while the
 * first's outcome is unknown is how a customer pays twice). The invoices' rows are locked first,
 * in one order, so two concurrent creations for one invoice queue and the second sees the first.
 */
export async function lockInvoicesFindInFlight(
  tx: Tx,
  agencyId: string,
  invoiceIds: readonly string[],
): Promise<InFlightPayment[]> {
  if (invoiceIds.length === 0) return [];
  const ids = [...new Set(invoiceIds)].sort();
  // NO KEY UPDATE does not wait for the key-share locks of foreign-key checks (receipts, journal lines).
  await tx
    .selectFrom('invoices')
    .select('id')
    .where('agency_id', '=', agencyId)
    .where('id', 'in', ids)
    .orderBy('id')
    .forNoKeyUpdate()
    .execute();
  const rows = await tx
    .selectFrom('payment_targets as t')
    .innerJoin('payments as p', 'p.id', 't.payment_id')
    .innerJoin('invoices as i', 'i.id', 't.invoice_id')
    .select(['t.invoice_id', 'i.invoice_number', 'p.id', 'p.state'])
    .where('t.agency_id', '=', agencyId)
    .where('t.invoice_id', 'in', ids)
    .where((eb) =>
      eb.or([
        eb('p.state', 'in', inFlightPaymentStates),
        eb.exists(
          eb
            .selectFrom('payment_attempts as a')
            .select('a.id')
            .whereRef('a.payment_id', '=', 'p.id')
            .where('a.status', 'in', openAttemptStatuses),
        ),
      ]),
    )
    .orderBy('i.invoice_number')
    .execute();
  return rows.map((r) => ({
    invoiceId: r.invoice_id,
    invoiceNumber: r.invoice_number,
    paymentId: r.id,
    state: r.state,
  }));
}

/** Refuses a payment for an invoice another payment is in flight for (`lockInvoicesFindInFlight`). */
export async function refuseWhileInFlight(tx: Tx, agencyId: string, invoiceIds: readonly string[]): Promise<void> {
  const [other] = await lockInvoicesFindInFlight(tx, agencyId, invoiceIds);
  if (other) throw inFlightRefusal(other);
}
