// The receipts target's baseline (issue 17): policypay's own receipt rows on policypay's own
// schema, written by raw SQL in ONE round trip per transaction. One simple-query string carries
// BEGIN, the customer lock, the invoice balances, the one write (entry, three lines, receipt, two
// applications, activity, audit row, the number from the agency's sequence) and COMMIT: the
// fewest round trips any application could spend on a receipt, so policypay's ratio to it says
// how much its own code (HTTP, validation, rules, driver, round trips) costs on top.
//
// The statements are the same-writes baseline's (receipt-same-writes.ts, which mirror
// services/receipts.ts) with their parameters written as literals, as the simple-query protocol
// takes none. The ids the write needs (customer, invoices, bank) are read once before the runs,
// as an application caching them would; the lock and the balances still run in every receipt.
// The bench's requests carry no Idempotency-Key, so policypay writes no idempotency row for
// them and neither does this.
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import pg from 'pg';
import type { Db } from '../src/platform/db/transaction.ts';
import type { RawDriver } from './baseline.ts';
import {
  createSameWritesAgency,
  INVOICE_BALANCES,
  LOCK_CUSTOMER,
  type SameWritesAgency,
  WRITE_RECEIPT,
} from './receipt-same-writes.ts';

export interface OneTripBook {
  agency: SameWritesAgency;
  bankId: string;
  /** By customer number: the customer's id and its two invoices' ids (numbers (n−1)·2+1, +2). */
  customers: Map<number, { id: string; invoices: [string, string] }>;
}

/** An agency of its own with the scenario's book, and the ids its receipts' writes name. */
export async function createOneTripBook(db: Db, slug: string, customers: number): Promise<OneTripBook> {
  const agency = await createSameWritesAgency(db, slug, customers);
  const { rows } = await sql<{ customer_number: number; id: string; invoices: string[]; bank_id: string }>`
    SELECT c.customer_number, c.id,
           array(SELECT i.id::text FROM invoices i WHERE i.agency_id = c.agency_id AND i.customer_id = c.id
                  ORDER BY i.invoice_number) AS invoices,
           (SELECT b.id FROM banks b WHERE b.agency_id = c.agency_id AND b.short_name = ${agency.bankShortName}) AS bank_id
      FROM customers c WHERE c.agency_id = ${agency.id}::uuid`.execute(db);
  const book: OneTripBook = { agency, bankId: rows[0]?.bank_id ?? '', customers: new Map() };
  for (const row of rows) {
    const [first, second] = row.invoices;
    if (!first || !second) throw new Error(`customer ${row.customer_number} has not two invoices`);
    book.customers.set(row.customer_number, { id: row.id, invoices: [first, second] });
  }
  return book;
}

/** A value as an SQL literal (the bench's own values: ids, numbers, plain text). */
function literal(value: string | number | null): string {
  if (value === null) return 'NULL';
  return typeof value === 'number' ? String(value) : pg.escapeLiteral(value);
}

/** `text` with $n replaced by `values[n−1]` as a literal, outside quoted strings ('$3.75' stays). */
export function withLiterals(text: string, values: (string | number | null)[]): string {
  return text
    .split("'")
    .map((part, index) =>
      index % 2 === 1
        ? part
        : part.replace(/\$(\d+)/g, (_, n: string) => {
            const value = values[Number(n) - 1];
            if (value === undefined) throw new Error(`no value for $${n}`);
            return literal(value);
          }),
    )
    .join("'");
}

/** The one string a receipt of $3.75 on customer n's two invoices sends. */
export function oneTripReceiptScript(book: OneTripBook, customer: number): string {
  const { agency } = book;
  const ids = book.customers.get(customer);
  if (!ids) throw new Error(`customer ${customer} is not in the book`);
  const first = (customer - 1) * 2 + 1;
  return [
    'BEGIN',
    withLiterals(LOCK_CUSTOMER, [agency.sequence, agency.bankShortName, agency.id, customer]),
    withLiterals(INVOICE_BALANCES, [agency.id, first, first + 1]),
    withLiterals(WRITE_RECEIPT, [
      agency.sequence,
      randomUUID(),
      agency.id,
      `Check 1001 from Bench Customer ${customer}`,
      agency.today,
      randomUUID(),
      book.bankId,
      ids.id,
      ids.invoices[0],
      ids.invoices[1],
    ]),
    'COMMIT',
  ].join(';\n');
}

/** Posts one receipt in one round trip. */
export function oneTripReceipt(driver: RawDriver, book: OneTripBook, customer: number): Promise<void> {
  return driver.script(oneTripReceiptScript(book, customer));
}
