import { sql } from 'kysely';
import { findCustomer } from '../customers/customers.ts';
import type { Actor } from '../kernel/actor.ts';
import type { Cents } from '../kernel/money.ts';
import type { Db } from '../platform/db/transaction.ts';
import { type ReceiptView, receiptViewsByIds, visibleReceipts } from './receipt-views.ts';
import type { PaymentCheckType } from './rules/receipt-input.ts';

export interface ReceiptFilter {
  /** Receipt dates from and to (inclusive), YYYY-MM-DD. */
  from?: string | undefined;
  to?: string | undefined;
  bankShortName?: string | undefined;
  paymentCheckType?: PaymentCheckType | undefined;
  customerNumber?: number | undefined;
  status?: 'posted' | 'reversed' | undefined;
}

export interface ReceiptPage {
  data: ReceiptView[];
  /** Over every receipt the filter finds, not only this page: what an accountant ticks off. */
  totals: { count: number; amountCents: Cents };
  /** The receipt number to pass as `before` for the next (older) page; null on the last. */
  nextBefore: number | null;
}

/**
 * The receipts the caller may see (its banks only), newest receipt number first, filtered, in
 * keyset pages (`before` a receipt number), with the filter's totals.
 */
/** The receipts the caller may see (its banks only) that the filter finds. */
async function filteredReceipts(db: Db, actor: Actor, filter: ReceiptFilter) {
  const customer = filter.customerNumber ? await findCustomer(db, actor.agencyId, filter.customerNumber) : null;
  let query = visibleReceipts(db, actor);
  if (filter.from) query = query.where('receipts.receipt_date', '>=', filter.from);
  if (filter.to) query = query.where('receipts.receipt_date', '<=', filter.to);
  if (filter.bankShortName) query = query.where('banks.short_name', '=', filter.bankShortName);
  if (filter.paymentCheckType) query = query.where('receipts.payment_check_type', '=', filter.paymentCheckType);
  if (customer) query = query.where('receipts.customer_id', '=', customer.id);
  if (filter.status) {
    const reversed = sql<boolean>`EXISTS (SELECT 1 FROM receipt_reversals rr WHERE rr.receipt_id = receipts.id)`;
    query = query.where(filter.status === 'reversed' ? reversed : sql<boolean>`NOT ${reversed}`);
  }
  return query;
}

/**
 * The receipts the caller may see, newest receipt number first, filtered, in keyset pages
 * (`before` a receipt number), with the filter's totals.
 */
export async function listReceipts(
  db: Db,
  actor: Actor,
  filter: ReceiptFilter,
  page: { before?: number | undefined; limit: number },
): Promise<ReceiptPage> {
  const query = await filteredReceipts(db, actor, filter);
  const [rows, totals] = await Promise.all([
    (page.before ? query.where('receipts.receipt_number', '<', page.before) : query)
      .orderBy('receipts.receipt_number', 'desc')
      .limit(page.limit + 1)
      .execute(),
    query
      .clearSelect()
      .select([sql<string>`count(*)`.as('count'), sql<string | null>`sum(receipts.amount_cents)`.as('amount')])
      .executeTakeFirstOrThrow(),
  ]);
  const more = rows.length > page.limit;
  const shown = rows.slice(0, page.limit);
  return {
    data: await receiptViewsByIds(
      db,
      actor.agencyId,
      shown.map((r) => r.id),
    ),
    totals: { count: Number(totals.count), amountCents: BigInt(totals.amount ?? 0) },
    nextBefore: more ? shown.at(-1)!.receipt_number : null,
  };
}

/** The receipts the filter finds (`filteredReceipts`), oldest first in receipt-number pages (keyset): the CSV export. */
export async function* exportReceipts(
  db: Db,
  actor: Actor,
  filter: ReceiptFilter = {},
  pageSize = 1000,
): AsyncGenerator<ReceiptView[]> {
  const filtered = await filteredReceipts(db, actor, filter);
  let after: number | null = null;
  for (;;) {
    const from: number | null = after;
    const rows = await (from === null ? filtered : filtered.where('receipts.receipt_number', '>', from))
      .orderBy('receipts.receipt_number')
      .limit(pageSize)
      .execute();
    if (rows.length > 0) {
      const views = await receiptViewsByIds(
        db,
        actor.agencyId,
        rows.map((r) => r.id),
      );
      yield views.sort((a, b) => a.receiptNumber - b.receiptNumber);
    }
    if (rows.length < pageSize) return;
    after = rows.at(-1)!.receipt_number;
  }
}
