// A second, diagnostic baseline for the receipts scenario: policypay's own receipt statements on
// policypay's own schema (its keys, its ledger triggers), written as raw SQL and driven through
// the same driver at the same concurrency, with no policypay code in the path. The issue's
// baseline (bench/baseline.ts) writes three rows; a policypay receipt writes nine and the ledger
// checks them. This one says how much of the gap is the database's work for those rows, so the
// target's ratio can be read against what any application code could reach.
//
// The statement texts mirror ledger/receipt-posting.ts (the lock, the invoice balances, the one write
// with the number taken in it); test/bench/receipt-same-writes.test.ts posts through them on both
// databases and checks the ledger, so a schema change that breaks them fails the tests.
import { randomUUID } from 'node:crypto';
import { ensureNumberSequence, numberSequence } from '../src/customers/counters.ts';
import type { Db } from '../src/platform/db/transaction.ts';
import type { RawDriver } from './baseline.ts';
import { createBenchAgency, seedReceiptCustomers } from './fixtures.ts';

export interface SameWritesAgency {
  id: string;
  sequence: string;
  bankShortName: string;
  today: string;
}

/**
 * An agency of its own (its receipts must not count as the scenario's), with the scenario's book
 * of customers and invoices and its receipt number sequence created up front.
 */
export async function createSameWritesAgency(db: Db, slug: string, customers: number): Promise<SameWritesAgency> {
  const agency = await createBenchAgency(db, slug);
  await seedReceiptCustomers(db, agency, customers);
  const sequence = numberSequence(agency.id, 'receipt');
  await db.transaction().execute((tx) => ensureNumberSequence(tx, sequence, async () => 0));
  return { id: agency.id, sequence, bankShortName: agency.bankShortName, today: agency.today };
}

export const LOCK_CUSTOMER = `
  SELECT c.id, c.name, c.customer_number, b.id AS bank_id, b.short_name AS bank_short_name, d.name AS bank_division,
         to_regclass($1::text) IS NOT NULL AS has_number_sequence,
         (SELECT x.sources FROM ams_receipt_connectors x WHERE x.agency_id = c.agency_id AND x.enabled) AS ams_sources
    FROM customers c
    LEFT JOIN (banks b JOIN bank_divisions d ON d.id = b.division_id)
      ON b.agency_id = c.agency_id AND b.short_name = $2::text
   WHERE c.agency_id = $3::uuid AND c.customer_number = $4::int
     FOR UPDATE OF c`;

export const INVOICE_BALANCES = `
  SELECT i.id, i.invoice_number, coalesce(sum(l.amount_cents), 0)::int8 AS balance
    FROM invoices i
    LEFT JOIN journal_lines l
      ON l.agency_id = i.agency_id AND l.invoice_id = i.id AND l.account = 'accounts_receivable'
   WHERE i.agency_id = $1::uuid AND i.invoice_number IN ($2::int, $3::int)
   GROUP BY i.id`;

// $1 sequence, $2 entry id, $3 agency, $4 description, $5 date, $6 receipt id, $7 bank,
// $8 customer, $9 and $10 the invoices.
export const WRITE_RECEIPT = `
  WITH receipt_number AS (SELECT nextval($1::regclass)::int AS value),
  journal_entry AS (
    INSERT INTO journal_entries (id, agency_id, kind, description, occurred_on, source_type, source_id)
    SELECT $2::uuid, $3::uuid, 'receipt', concat('Receipt ', value, ': ', $4::text), $5::date, 'receipt', $6::uuid
      FROM receipt_number
    RETURNING id
  ),
  journal_lines AS (
    INSERT INTO journal_lines (agency_id, entry_id, account, customer_id, invoice_id, bank_id, amount_cents)
    VALUES ($3, $2, 'cash', NULL, NULL, $7, 375),
           ($3, $2, 'accounts_receivable', $8, $9, NULL, -125),
           ($3, $2, 'accounts_receivable', $8, $10, NULL, -250)
    RETURNING id
  ),
  applications AS (
    INSERT INTO receipt_applications
      (agency_id, receipt_id, sequence, invoice_id, applied_cents, on_account_cents, description, note)
    VALUES ($3, $6, 1, $9, 125, 0, 'Applied to the invoice', NULL), ($3, $6, 2, $10, 250, 0, 'Applied to the invoice', NULL)
    RETURNING id
  ),
  activity AS (
    INSERT INTO activities (agency_id, customer_id, kind, summary, data, actor)
    SELECT $3::uuid, $8::uuid, 'receipt_posted', concat('Receipt ', value, ': $3.75 by Check deposited to OPER'),
           '{"amountCents":"375","onAccountCents":"0"}'::jsonb || jsonb_build_object('receiptNumber', value), 'bench'
      FROM receipt_number
    RETURNING id
  ),
  audit AS (
    INSERT INTO audit_log (agency_id, actor, action, entity_type, entity_id, data)
    SELECT $3::uuid, 'bench', 'receipt.posted', 'receipt', $6::text, jsonb_build_object('receiptNumber', value)
      FROM receipt_number
    RETURNING id
  )
  INSERT INTO receipts (id, agency_id, receipt_number, customer_id, bank_id, amount_cents, on_account_cents,
                        receipt_date, receipt_time_zone, payment_check_type, description,
                        payer_bank_account_last4, payer_check_number, source, journal_entry_id, created_by)
  SELECT $6::uuid, $3::uuid, value, $8::uuid, $7::uuid, 375, 0, $5::date, 'America/Chicago', 'Check', $4::text,
         NULL, '1001', 'bench', $2::uuid, 'bench'
    FROM receipt_number
  RETURNING receipt_number`;

/**
 * One receipt of $3.75 on customer n's two invoices ($1.25 and $2.50), as policypay writes it:
 * BEGIN; lock the customer (with the bank); read the invoices' balances; the one write; COMMIT.
 */
export async function sameWritesReceipt(driver: RawDriver, agency: SameWritesAgency, customer: number): Promise<void> {
  const first = (customer - 1) * 2 + 1;
  await driver.transaction(async (query) => {
    const [locked] = await query<{ id: string; bank_id: string }>(LOCK_CUSTOMER, [
      agency.sequence,
      agency.bankShortName,
      agency.id,
      customer,
    ]);
    if (!locked) throw new Error(`customer ${customer} does not exist`);
    const invoices = await query<{ id: string; invoice_number: number }>(INVOICE_BALANCES, [
      agency.id,
      first,
      first + 1,
    ]);
    const invoice = (n: number) => invoices.find((i) => i.invoice_number === n)?.id;
    await query(WRITE_RECEIPT, [
      agency.sequence,
      randomUUID(),
      agency.id,
      `Check 1001 from Bench Customer ${customer}`,
      agency.today,
      randomUUID(),
      locked.bank_id,
      locked.id,
      invoice(first),
      invoice(first + 1),
    ]);
  });
}
