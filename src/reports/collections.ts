// Collections per day by channel and method, and the daily deposit report: both read the receipts
// the caller may see (its banks only, as the receipts list does), one bounded date range at a time.
import { sql } from 'kysely';
import type { Actor } from '../kernel/actor.ts';
import type { CalendarDate } from '../kernel/calendar.ts';
import { visibleReceipts } from '../ledger/receipt-views.ts';
import type { Db } from '../platform/db/transaction.ts';
import { type CollectionGroup, collectionChannel, collectionsByDay } from './rules/collections.ts';
import { type DepositReceipt, depositSlips } from './rules/deposits.ts';

const reversed = sql<boolean>`EXISTS (SELECT 1 FROM receipt_reversals rr WHERE rr.receipt_id = receipts.id)`;

export async function collections(db: Db, actor: Actor, range: { from: CalendarDate; to: CalendarDate }) {
  // One channel per receipt even if two payments named it: a receipt is counted once.
  const paid = db
    .selectFrom('payments')
    .distinctOn('payments.receipt_id')
    .select(['payments.receipt_id', 'payments.channel'])
    .where('payments.agency_id', '=', actor.agencyId)
    .where('payments.receipt_id', 'is not', null)
    .orderBy('payments.receipt_id')
    .orderBy('payments.created_at');
  const rows = await visibleReceipts(db, actor)
    .leftJoin(paid.as('payments'), 'payments.receipt_id', 'receipts.id')
    .clearSelect()
    .select([
      sql<string>`receipts.receipt_date::text`.as('day'),
      'receipts.source',
      'payments.channel',
      'receipts.payment_check_type',
      sql<string>`count(*)`.as('count'),
      sql<bigint>`sum(receipts.amount_cents)::int8`.as('amount'),
    ])
    .where('receipts.receipt_date', '>=', range.from)
    .where('receipts.receipt_date', '<=', range.to)
    // Money that came back (NSF, chargeback, entered in error) was not collected.
    .where(sql<boolean>`NOT ${reversed}`)
    .groupBy(['receipts.receipt_date', 'receipts.source', 'payments.channel', 'receipts.payment_check_type'])
    .execute();
  const groups: CollectionGroup[] = rows.map((row) => ({
    day: row.day,
    channel: collectionChannel(row.source, row.channel),
    method: row.payment_check_type,
    count: Number(row.count),
    amountCents: BigInt(row.amount),
  }));
  return { ...range, ...collectionsByDay(groups, range.from, range.to) };
}

export async function deposits(
  db: Db,
  actor: Actor,
  filter: { from: CalendarDate; to: CalendarDate; bankShortName?: string | undefined },
) {
  let query = visibleReceipts(db, actor)
    .innerJoin('customers', 'customers.id', 'receipts.customer_id')
    .clearSelect()
    .select([
      'banks.short_name',
      'banks.name as bank_name',
      sql<string>`receipts.receipt_date::text`.as('receipt_date'),
      'receipts.receipt_number',
      'customers.customer_number',
      'customers.name as customer_name',
      'receipts.payment_check_type',
      'receipts.payer_check_number',
      'receipts.amount_cents',
      reversed.as('reversed'),
    ])
    .where('receipts.receipt_date', '>=', filter.from)
    .where('receipts.receipt_date', '<=', filter.to);
  if (filter.bankShortName) query = query.where('banks.short_name', '=', filter.bankShortName);
  const rows = await query.execute();
  const receipts: DepositReceipt[] = rows.map((row) => ({
    bankShortName: row.short_name,
    bankName: row.bank_name,
    receiptDate: row.receipt_date,
    receiptNumber: row.receipt_number,
    customerNumber: row.customer_number,
    customerName: row.customer_name,
    paymentCheckType: row.payment_check_type,
    payerCheckNumber: row.payer_check_number,
    amountCents: BigInt(row.amount_cents),
    status: row.reversed ? 'reversed' : 'posted',
  }));
  return { from: filter.from, to: filter.to, ...depositSlips(receipts) };
}
