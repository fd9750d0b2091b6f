import { randomUUID } from 'node:crypto';
import type { Customer } from '../db/schema.ts';
import { DomainError, invalid, notFound } from '../domain/errors.ts';
import type { JournalLineDraft } from '../domain/ledger.ts';
import { type Cents, formatAmount, sum } from '../domain/money.ts';
import {
  type Application,
  applyPayment,
  defaultReceiptDescription,
  type OpenInvoice,
  receiptEntry,
} from '../domain/receipt-application.ts';
import {
  maskAccountNumber,
  type PaymentCheckType,
  parsePaymentCheckType,
  parseReceiptDate,
} from '../domain/receipt-input.ts';
import { resolveTimeZone } from '../domain/time-zones.ts';
import { queueAmsReceiptExport } from '../sync/ams360-receipts/outbox.ts';
import type { Actor } from './actor.ts';
import { audit, logActivity } from './audit.ts';
import { resolveDepositBank } from './bank-access.ts';
import { nextNumber } from './counters.ts';
import { findCustomer } from './customers.ts';
import type { JobQueue } from './job-queue.ts';
import { invoiceBalances, postJournalEntry } from './ledger.ts';
import { type Db, inTransaction, type Tx } from './transaction.ts';

/** A customer cash receipt as AMS360's `CustomerCashReceiptPostRequest` describes it, amounts in cents. */
export interface ReceiptRequest {
  customerNumber: number;
  items: { invoiceNumber?: number | undefined; amountCents: Cents; description?: string | undefined }[];
  receiptAmountCents: Cents;
  receiptDate: string;
  receiptDateTimeZone: string;
  bankShortName: string;
  receiptDescription?: string | undefined;
  paymentCheckType: string;
  payerBankAccountNumber?: string | undefined;
  payerCheckNumber?: string | undefined;
}

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
  status: 'posted' | 'reversed';
  reversal: { reason: string; note: string | null; at: Date; feeInvoiceNumber: number | null } | null;
  source: string;
  createdAt: Date;
}

/** Locks the customer row: every money movement of one customer is serialised on it. */
export async function lockCustomer(tx: Tx, agencyId: string, customerId: string): Promise<void> {
  await tx
    .selectFrom('customers')
    .select('id')
    .where('agency_id', '=', agencyId)
    .where('id', '=', customerId)
    .forUpdate()
    .execute();
}

/**
 * Posts a customer cash receipt and applies it to invoices, the rest On Account. Everything is
 * validated before anything is written; the whole receipt is one transaction and one journal entry.
 */
export async function postCustomerReceipt(
  db: Db | Tx,
  actor: Actor,
  request: ReceiptRequest,
  options: { source?: string; jobs?: JobQueue | undefined } = {},
): Promise<ReceiptView> {
  const timeZone = resolveTimeZone(request.receiptDateTimeZone);
  if (!timeZone) {
    throw invalid(
      'receiptDateTimeZone',
      'must be an IANA time zone (America/Chicago) or a Windows one (Central Standard Time)',
    );
  }
  const paymentCheckType = parsePaymentCheckType(request.paymentCheckType);
  const receiptDate = parseReceiptDate(request.receiptDate, timeZone);
  if (request.items.length === 0) throw invalid('invoiceInformations', 'must contain at least one item');
  const itemsTotal = sum(request.items.map((i) => i.amountCents));
  if (itemsTotal !== request.receiptAmountCents) {
    throw new DomainError(
      'unprocessable',
      `receiptAmount ${formatAmount(request.receiptAmountCents)} does not equal the sum of the paymentAmounts ${formatAmount(itemsTotal)}`,
      {
        errors: [
          { path: 'receiptAmount', message: `must equal the sum of the paymentAmounts (${formatAmount(itemsTotal)})` },
        ],
      },
    );
  }
  const isCheck = paymentCheckType === 'Check';

  return inTransaction(db, async (tx) => {
    const customer = await findCustomer(tx, actor.agencyId, request.customerNumber).catch((error) => {
      throw error instanceof DomainError && error.code === 'not_found'
        ? new DomainError('unprocessable', error.message, {
            errors: [{ path: 'customerNumber', message: 'unknown customer' }],
          })
        : error;
    });
    const bank = await resolveDepositBank(tx, actor, request.bankShortName);
    await lockCustomer(tx, actor.agencyId, customer.id);
    const invoices = await openInvoices(tx, actor.agencyId, customer, request.items);

    const result = applyPayment(
      request.items.map((item) => ({
        invoice: item.invoiceNumber === undefined ? undefined : invoices.get(item.invoiceNumber),
        amountCents: item.amountCents,
        description: item.description,
      })),
    );
    const checkNumber = isCheck ? request.payerCheckNumber?.trim() || null : null;
    const description =
      request.receiptDescription?.trim() ||
      defaultReceiptDescription({
        type: paymentCheckType,
        customerName: customer.name,
        checkNumber,
        invoiceNumbers: request.items.flatMap((i) => (i.invoiceNumber === undefined ? [] : [i.invoiceNumber])),
      });
    const receiptId = randomUUID();
    const receiptNumber = await nextNumber(tx, actor.agencyId, 'receipt', async () => {
      const row = await tx
        .selectFrom('receipts')
        .select((eb) => eb.fn.max('receipt_number').as('max'))
        .where('agency_id', '=', actor.agencyId)
        .executeTakeFirst();
      return Number(row?.max ?? 0);
    });
    const entryId = await postJournalEntry(
      tx,
      actor.agencyId,
      receiptEntry({
        receiptId,
        receiptNumber,
        customerId: customer.id,
        bankId: bank.id,
        amountCents: request.receiptAmountCents,
        receiptDate,
        result,
        description,
      }),
    );
    await tx
      .insertInto('receipts')
      .values({
        id: receiptId,
        agency_id: actor.agencyId,
        receipt_number: receiptNumber,
        customer_id: customer.id,
        bank_id: bank.id,
        amount_cents: request.receiptAmountCents,
        on_account_cents: result.onAccountCents,
        receipt_date: receiptDate,
        receipt_time_zone: timeZone,
        payment_check_type: paymentCheckType,
        description,
        payer_bank_account_last4:
          isCheck && request.payerBankAccountNumber ? maskAccountNumber(request.payerBankAccountNumber) : null,
        payer_check_number: checkNumber,
        source: options.source ?? 'api',
        journal_entry_id: entryId,
        created_by: actor.label,
      })
      .execute();
    await tx
      .insertInto('receipt_applications')
      .values(
        result.applications.map((application, index) => ({
          agency_id: actor.agencyId,
          receipt_id: receiptId,
          sequence: index + 1,
          invoice_id: application.invoiceId,
          applied_cents: application.appliedCents,
          on_account_cents: application.onAccountCents,
          description: application.description,
          note: application.note ?? null,
        })),
      )
      .execute();
    await logActivity(
      tx,
      actor,
      customer.id,
      'receipt_posted',
      `Receipt ${receiptNumber}: ${formatAmount(request.receiptAmountCents)} by ${paymentCheckType} deposited to ${bank.shortName}`,
      { receiptNumber, amountCents: request.receiptAmountCents, onAccountCents: result.onAccountCents },
    );
    await audit(tx, actor, 'receipt.posted', { type: 'receipt', id: receiptId }, { receiptNumber });
    // Outbox: the AMS360 export (when the agency has the connector) commits with the receipt.
    await queueAmsReceiptExport(tx, actor.agencyId, receiptId, options.source ?? 'api', options.jobs);
    return getReceiptById(tx, actor.agencyId, receiptId);
  });
}

/** The named invoices of the customer with their open balances, read under the customer lock. */
async function openInvoices(
  tx: Tx,
  agencyId: string,
  customer: Customer,
  items: ReceiptRequest['items'],
): Promise<Map<number, OpenInvoice>> {
  const numbers = [...new Set(items.flatMap((i) => (i.invoiceNumber === undefined ? [] : [i.invoiceNumber])))];
  if (numbers.length === 0) return new Map();
  const rows = await tx
    .selectFrom('invoices')
    .select(['id', 'invoice_number', 'customer_id'])
    .where('agency_id', '=', agencyId)
    .where('invoice_number', 'in', numbers)
    .execute();
  const byNumber = new Map(rows.map((r) => [r.invoice_number, r]));
  items.forEach((item, index) => {
    if (item.invoiceNumber === undefined) return;
    const row = byNumber.get(item.invoiceNumber);
    const path = `invoiceInformations/${index}/invoiceNumber`;
    if (!row) {
      throw new DomainError('unprocessable', `invoice ${item.invoiceNumber} does not exist`, {
        errors: [{ path, message: 'unknown invoice' }],
      });
    }
    if (row.customer_id !== customer.id) {
      throw new DomainError(
        'unprocessable',
        `invoice ${item.invoiceNumber} does not belong to customer ${customer.customer_number}`,
        { errors: [{ path, message: `belongs to another customer than ${customer.customer_number}` }] },
      );
    }
  });
  const balances = await invoiceBalances(
    tx,
    agencyId,
    rows.map((r) => r.id),
  );
  return new Map(
    rows.map((r) => [
      r.invoice_number,
      { id: r.id, invoiceNumber: r.invoice_number, balanceCents: balances.get(r.id) ?? 0n },
    ]),
  );
}

async function getReceiptById(db: Db | Tx, agencyId: string, receiptId: string): Promise<ReceiptView> {
  const [view] = await receiptViews(db, agencyId, [receiptId]);
  if (!view) throw notFound('receipt', receiptId);
  return view;
}

async function receiptViews(db: Db | Tx, agencyId: string, receiptIds: string[]): Promise<ReceiptView[]> {
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

export async function getReceipt(db: Db | Tx, actor: Actor, receiptNumber: number): Promise<ReceiptView> {
  const row = await db
    .selectFrom('receipts')
    .select('id')
    .where('agency_id', '=', actor.agencyId)
    .where('receipt_number', '=', receiptNumber)
    .executeTakeFirst();
  if (!row) throw notFound('receipt', receiptNumber);
  return getReceiptById(db, actor.agencyId, row.id);
}

export async function listCustomerReceipts(db: Db, actor: Actor, customerNumber: number): Promise<ReceiptView[]> {
  const customer = await findCustomer(db, actor.agencyId, customerNumber);
  const rows = await db
    .selectFrom('receipts')
    .select('id')
    .where('agency_id', '=', actor.agencyId)
    .where('customer_id', '=', customer.id)
    .execute();
  return receiptViews(
    db,
    actor.agencyId,
    rows.map((r) => r.id),
  );
}

/** The lines of a journal entry, as drafts (for reversing it). */
export async function entryLines(tx: Tx, agencyId: string, entryId: string): Promise<JournalLineDraft[]> {
  const lines = await tx
    .selectFrom('journal_lines')
    .select(['account', 'amount_cents', 'customer_id', 'invoice_id', 'bank_id'])
    .where('agency_id', '=', agencyId)
    .where('entry_id', '=', entryId)
    .orderBy('id')
    .execute();
  return lines.map((l) => ({
    account: l.account,
    amountCents: l.amount_cents,
    customerId: l.customer_id ?? undefined,
    invoiceId: l.invoice_id ?? undefined,
    bankId: l.bank_id ?? undefined,
  }));
}

export { getReceiptById };
