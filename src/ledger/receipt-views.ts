import { findCustomer } from '../customers/customers.ts';
import type { Actor } from '../kernel/actor.ts';
import { notFound } from '../kernel/errors.ts';
import type { Cents } from '../kernel/money.ts';
import type { Db, Tx } from '../platform/db/transaction.ts';
import type { Application } from './rules/receipt-application.ts';
import type { PaymentCheckType } from './rules/receipt-input.ts';

export interface ReceiptView {
  id: string;
  receiptNumber: number;
  customerNumber: number;
  amountCents: Cents;
  receiptDate: string;
  receiptDateTimeZone: string;
  bankShortName: string;
  paymentCheckType: PaymentCheckType;
  description: string;
  payerBankAccountLast4: string | null;
  payerCheckNumber: string | null;
  applications: (Application & { sequence: number })[];
  onAccountCents: Cents;
  /** A convenience fee paid with it (issue 20.3): its own line, beside the amount applied. */
  feeCents: Cents;
  status: 'posted' | 'reversed';
  reversal: { reason: string; note: string | null; at: Date; feeInvoiceNumber: number | null } | null;
  source: string;
  createdAt: Date;
}

export async function getReceiptById(db: Db | Tx, agencyId: string, receiptId: string): Promise<ReceiptView> {
  const [view] = await receiptViewsByIds(db, agencyId, [receiptId]);
  if (!view) throw notFound('receipt', receiptId);
  return view;
}

/** The receipts' views, newest receipt number first. */
export async function receiptViewsByIds(db: Db | Tx, agencyId: string, receiptIds: string[]): Promise<ReceiptView[]> {
  if (receiptIds.length === 0) return [];
  const rows = await db
    .selectFrom('receipts')
    .innerJoin('customers', 'customers.id', 'receipts.customer_id')
    .innerJoin('banks', 'banks.id', 'receipts.bank_id')
    .leftJoin('receipt_reversals', 'receipt_reversals.receipt_id', 'receipts.id')
    .leftJoin('invoices as fee', 'fee.id', 'receipt_reversals.fee_invoice_id')
    .selectAll('receipts')
    .select([
      'customers.customer_number',
      'banks.short_name',
      'receipt_reversals.reason as reversal_reason',
      'receipt_reversals.note as reversal_note',
      'receipt_reversals.created_at as reversed_at',
      'fee.invoice_number as fee_invoice_number',
    ])
    .where('receipts.agency_id', '=', agencyId)
    .where('receipts.id', 'in', receiptIds)
    .orderBy('receipts.receipt_number', 'desc')
    .execute();
  const applications = await db
    .selectFrom('receipt_applications')
    .leftJoin('invoices', 'invoices.id', 'receipt_applications.invoice_id')
    .selectAll('receipt_applications')
    .select('invoices.invoice_number')
    .where('receipt_applications.agency_id', '=', agencyId)
    .where('receipt_applications.receipt_id', 'in', receiptIds)
    .orderBy('receipt_applications.sequence')
    .execute();
  return rows.map((row) => ({
    id: row.id,
    receiptNumber: row.receipt_number,
    customerNumber: row.customer_number,
    amountCents: row.amount_cents,
    receiptDate: row.receipt_date,
    receiptDateTimeZone: row.receipt_time_zone,
    bankShortName: row.short_name,
    paymentCheckType: row.payment_check_type,
    description: row.description,
    payerBankAccountLast4: row.payer_bank_account_last4,
    payerCheckNumber: row.payer_check_number,
    applications: applications
      .filter((a) => a.receipt_id === row.id)
      .map((a) => ({
        sequence: a.sequence,
        invoiceId: a.invoice_id,
        invoiceNumber: a.invoice_number,
        appliedCents: a.applied_cents,
        onAccountCents: a.on_account_cents,
        description: a.description,
        note: a.note ?? undefined,
      })),
    onAccountCents: row.on_account_cents,
    feeCents: row.fee_cents,
    status: row.reversal_reason ? 'reversed' : 'posted',
    reversal: row.reversal_reason
      ? {
          reason: row.reversal_reason,
          note: row.reversal_note,
          at: row.reversed_at!,
          feeInvoiceNumber: row.fee_invoice_number,
        }
      : null,
    source: row.source,
    createdAt: row.created_at,
  }));
}

/**
 * The agency's receipts the caller may see. A caller limited to some banks (or bank divisions)
 * sees only the receipts deposited to those: the same grant that limits where it may deposit
 * (agency/bank-access.ts) limits what it may read, one receipt or a list alike.
 */
export function visibleReceipts(db: Db | Tx, actor: Actor) {
  let query = db
    .selectFrom('receipts')
    .innerJoin('banks', 'banks.id', 'receipts.bank_id')
    .innerJoin('bank_divisions', 'bank_divisions.id', 'banks.division_id')
    .select(['receipts.id', 'receipts.receipt_number'])
    .where('receipts.agency_id', '=', actor.agencyId);
  if (actor.banks) query = query.where('banks.short_name', 'in', actor.banks.length ? actor.banks : ['']);
  if (actor.divisions) {
    query = query.where('bank_divisions.name', 'in', actor.divisions.length ? actor.divisions : ['']);
  }
  return query;
}

/** One receipt; another bank's, for a caller limited to banks, is as unknown as a missing one. */
export async function getReceipt(db: Db | Tx, actor: Actor, receiptNumber: number): Promise<ReceiptView> {
  const row = await visibleReceipts(db, actor).where('receipts.receipt_number', '=', receiptNumber).executeTakeFirst();
  if (!row) throw notFound('receipt', receiptNumber);
  return getReceiptById(db, actor.agencyId, row.id);
}

export async function listCustomerReceipts(db: Db, actor: Actor, customerNumber: number): Promise<ReceiptView[]> {
  const customer = await findCustomer(db, actor.agencyId, customerNumber);
  const rows = await visibleReceipts(db, actor).where('receipts.customer_id', '=', customer.id).execute();
  return receiptViewsByIds(
    db,
    actor.agencyId,
    rows.map((r) => r.id),
  );
}
