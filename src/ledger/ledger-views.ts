import type { Actor } from '../kernel/actor.ts';
import { notFound } from '../kernel/errors.ts';
import type { Cents } from '../kernel/money.ts';
import type { Db } from '../platform/db/transaction.ts';
import { visibleReceipts } from './receipt-views.ts';
import type { LedgerAccount } from './rules/ledger.ts';

interface LedgerLineView {
  account: LedgerAccount;
  /** Signed: a debit is positive, a credit negative (as stored). */
  amountCents: Cents;
  customerNumber: number | null;
  invoiceNumber: number | null;
  bankShortName: string | null;
}

export interface LedgerEntryView {
  id: string;
  kind: string;
  description: string;
  occurredOn: string;
  createdAt: Date;
  reversesEntryId: string | null;
  lines: LedgerLineView[];
}

/** Whole journal entries, oldest first, each with every line (an entry is read whole or not at all). */
async function entriesWithLines(db: Db, agencyId: string, entryIds: readonly string[]): Promise<LedgerEntryView[]> {
  if (entryIds.length === 0) return [];
  const [entries, lines] = await Promise.all([
    db
      .selectFrom('journal_entries')
      .select(['id', 'kind', 'description', 'occurred_on', 'created_at', 'reverses_entry_id'])
      .where('agency_id', '=', agencyId)
      .where('id', 'in', entryIds)
      .orderBy('created_at')
      .orderBy('id')
      .execute(),
    db
      .selectFrom('journal_lines as l')
      .leftJoin('customers as c', 'c.id', 'l.customer_id')
      .leftJoin('invoices as i', 'i.id', 'l.invoice_id')
      .leftJoin('banks as b', 'b.id', 'l.bank_id')
      .select(['l.entry_id', 'l.account', 'l.amount_cents', 'c.customer_number', 'i.invoice_number', 'b.short_name'])
      .where('l.agency_id', '=', agencyId)
      .where('l.entry_id', 'in', entryIds)
      .orderBy('l.id')
      .execute(),
  ]);
  return entries.map((entry) => ({
    id: entry.id,
    kind: entry.kind,
    description: entry.description,
    occurredOn: entry.occurred_on,
    createdAt: entry.created_at,
    reversesEntryId: entry.reverses_entry_id,
    lines: lines
      .filter((line) => line.entry_id === entry.id)
      .map((line) => ({
        account: line.account,
        amountCents: line.amount_cents,
        customerNumber: line.customer_number,
        invoiceNumber: line.invoice_number,
        bankShortName: line.short_name,
      })),
  }));
}

/**
 * A receipt's journal entries: its posting, its reversal, and the refunds of the payment it came
 * from. Another bank's receipt, for a caller limited to banks, is as unknown as a missing one.
 */
export async function receiptLedger(db: Db, actor: Actor, receiptNumber: number): Promise<LedgerEntryView[]> {
  const receipt = await visibleReceipts(db, actor)
    .where('receipts.receipt_number', '=', receiptNumber)
    .executeTakeFirst();
  if (!receipt) throw notFound('receipt', receiptNumber);
  const [own, refunds] = await Promise.all([
    db
      .selectFrom('journal_entries')
      .select('id')
      .where('agency_id', '=', actor.agencyId)
      .where('source_type', '=', 'receipt')
      .where('source_id', '=', receipt.id)
      .execute(),
    db
      .selectFrom('payment_refunds as r')
      .innerJoin('payments as p', 'p.id', 'r.payment_id')
      .select('r.journal_entry_id as id')
      .where('p.agency_id', '=', actor.agencyId)
      .where('p.receipt_id', '=', receipt.id)
      .where('r.journal_entry_id', 'is not', null)
      .execute(),
  ]);
  return entriesWithLines(db, actor.agencyId, [...own.map((e) => e.id), ...refunds.map((e) => e.id!)]);
}

/** Every journal entry with a line on the invoice: its billing, receipts, reversals, fees. */
export async function invoiceLedger(db: Db, actor: Actor, invoiceNumber: number): Promise<LedgerEntryView[]> {
  const invoice = await db
    .selectFrom('invoices')
    .select('id')
    .where('agency_id', '=', actor.agencyId)
    .where('invoice_number', '=', invoiceNumber)
    .executeTakeFirst();
  if (!invoice) throw notFound('invoice', invoiceNumber);
  const entries = await db
    .selectFrom('journal_lines')
    .select('entry_id')
    .distinct()
    .where('agency_id', '=', actor.agencyId)
    .where('invoice_id', '=', invoice.id)
    .execute();
  return entriesWithLines(
    db,
    actor.agencyId,
    entries.map((e) => e.entry_id),
  );
}
