// Bench fixtures. The agency, its API key and bank go through the services; the bulk (customers,
// policies, invoices, receipts) is inserted set-based, with every invoice and receipt getting the
// journal entry the services would post (the ledger's deferred triggers check each at commit).
import { sql } from 'kysely';
import { createAgency } from '../src/agency/agencies.ts';
import { createApiKey } from '../src/agency/api-keys.ts';
import { createBank } from '../src/agency/banks.ts';
import { type Actor, systemActor } from '../src/kernel/actor.ts';
import { addDays, dateInZone } from '../src/kernel/calendar.ts';
import type { Db, Tx } from '../src/platform/db/transaction.ts';

export const BENCH_TIME_ZONE = 'America/Chicago';

export interface BenchAgency {
  id: string;
  actor: Actor;
  apiKey: string;
  bankShortName: string;
  bankId: string;
  today: string;
}

export async function createBenchAgency(db: Db, slug: string): Promise<BenchAgency> {
  const agency = await createAgency(db, { slug, name: `Bench ${slug}`, timeZone: BENCH_TIME_ZONE });
  const actor = systemActor(agency.id, 'bench');
  const { key } = await createApiKey(db, actor, { name: 'bench', role: 'staff' });
  const bank = await createBank(db, actor, { shortName: 'OPER', name: 'Operating account', division: 'Main' });
  return {
    id: agency.id,
    actor,
    apiKey: key,
    bankShortName: bank.shortName,
    bankId: bank.id,
    today: dateInZone(new Date(), BENCH_TIME_ZONE),
  };
}

/** Customers 1…count. */
async function insertCustomers(tx: Tx, agencyId: string, count: number): Promise<void> {
  await sql`
    INSERT INTO customers (agency_id, customer_number, type, name)
    SELECT ${agencyId}::uuid, n, 'individual', 'Bench Customer ' || n FROM generate_series(1, ${count}::int) n
  `.execute(tx);
}

/** The billing entry of every invoice of the agency: debit AR (invoice), credit premium. */
async function postInvoiceEntries(tx: Tx, agencyId: string, today: string): Promise<void> {
  await sql`
    INSERT INTO journal_entries (agency_id, kind, description, occurred_on, source_type, source_id)
    SELECT agency_id, 'invoice', 'Invoice ' || invoice_number, ${today}::date, 'invoice', id
      FROM invoices WHERE agency_id = ${agencyId}::uuid
  `.execute(tx);
  await sql`
    INSERT INTO journal_lines (agency_id, entry_id, account, customer_id, invoice_id, amount_cents)
    SELECT e.agency_id, e.id, x.account, i.customer_id, x.invoice_id, x.amount_cents
      FROM journal_entries e
      JOIN invoices i ON i.agency_id = e.agency_id AND i.id = e.source_id
      CROSS JOIN LATERAL (VALUES ('accounts_receivable', i.id, i.amount_cents),
                                 ('premium', NULL::uuid, -i.amount_cents)) AS x (account, invoice_id, amount_cents)
     WHERE e.agency_id = ${agencyId}::uuid AND e.source_type = 'invoice'
     ORDER BY e.occurred_on, i.invoice_number, x.account
  `.execute(tx);
}

/**
 * Receipts scenario: `customers` customers with two invoices each (customer n owns invoices
 * (n−1)·2+1 and (n−1)·2+2) of $1,000,000.00, so that a long run's receipts never close them.
 */
export async function seedReceiptCustomers(db: Db, agency: BenchAgency, customers: number): Promise<void> {
  await db.transaction().execute(async (tx) => {
    await insertCustomers(tx, agency.id, customers);
    await sql`
      INSERT INTO invoices (agency_id, customer_id, invoice_number, due_date, amount_cents, description)
      SELECT c.agency_id, c.id, (c.customer_number - 1) * 2 + k, ${addDays(agency.today, 30)}::date, 100000000,
             'Bench invoice'
        FROM customers c CROSS JOIN generate_series(1, 2) k
       WHERE c.agency_id = ${agency.id}::uuid
    `.execute(tx);
    await postInvoiceEntries(tx, agency.id, agency.today);
  });
}

/**
 * Eligibility scenario: one policy per customer (BENCH-P-n), in a mix of statuses (7 in 10 active,
 * then cancellation pending for non-pay, canceled ten days ago, expired), each with one invoice
 * past due and one due later.
 */
export async function seedEligibilityPolicies(db: Db, agency: BenchAgency, policies: number): Promise<string> {
  const prefix = 'BENCH-P-';
  const today = agency.today;
  await db.transaction().execute(async (tx) => {
    await insertCustomers(tx, agency.id, policies);
    await sql`
      INSERT INTO policies (agency_id, customer_id, policy_number, line_of_business, effective_date, expiration_date,
                            premium_cents, status, cancellation_reason, cancellation_effective_date)
      SELECT c.agency_id, c.id, ${prefix}::text || c.customer_number, 'Personal Auto',
             CASE WHEN c.customer_number % 10 = 9 THEN ${addDays(today, -400)}::date ELSE ${addDays(today, -200)}::date END,
             CASE WHEN c.customer_number % 10 = 9 THEN ${addDays(today, -35)}::date ELSE ${addDays(today, 165)}::date END,
             120000,
             CASE c.customer_number % 10 WHEN 7 THEN 'cancellation_pending' WHEN 8 THEN 'canceled'
                                         WHEN 9 THEN 'expired' ELSE 'active' END,
             CASE WHEN c.customer_number % 10 IN (7, 8) THEN 'non_pay' END,
             CASE WHEN c.customer_number % 10 = 8 THEN ${addDays(today, -10)}::date END
        FROM customers c WHERE c.agency_id = ${agency.id}::uuid
    `.execute(tx);
    await sql`
      INSERT INTO invoices (agency_id, customer_id, policy_id, invoice_number, due_date, amount_cents, description)
      SELECT p.agency_id, p.customer_id, p.id, (c.customer_number - 1) * 2 + k,
             CASE k WHEN 1 THEN ${addDays(today, -10)}::date ELSE ${addDays(today, 20)}::date END, 60000,
             'Installment ' || k
        FROM policies p
        JOIN customers c ON c.id = p.customer_id
        CROSS JOIN generate_series(1, 2) k
       WHERE p.agency_id = ${agency.id}::uuid
    `.execute(tx);
    await postInvoiceEntries(tx, agency.id, today);
  });
  return prefix;
}

export interface LedgerCustomer {
  customerNumber: number;
  invoices: number;
  receipts: number;
  /** Journal lines keyed to the customer (AR and premium): what the statement is derived from. */
  customerLines: number;
  /** All lines of the customer's entries, the receipts' cash lines (keyed to the bank) included. */
  entryLines: number;
}

/**
 * Ledger scenario: customer 1 with `invoices` invoices of $1,000.00, each paid down by
 * `receiptsPerInvoice` receipts of $10.00 (one application and one journal entry each: debit cash,
 * credit AR). The customer's own lines are invoices·(2 + receiptsPerInvoice).
 */
export async function seedLedgerCustomer(
  db: Db,
  agency: BenchAgency,
  invoices: number,
  receiptsPerInvoice: number,
): Promise<LedgerCustomer> {
  const today = agency.today;
  const receiptCents = 1000;
  await db.transaction().execute(async (tx) => {
    await insertCustomers(tx, agency.id, 1);
    await sql`
      INSERT INTO invoices (agency_id, customer_id, invoice_number, due_date, amount_cents, description)
      SELECT c.agency_id, c.id, n, ${addDays(today, -invoices)}::date + n, 100000, 'Bench invoice ' || n
        FROM customers c CROSS JOIN generate_series(1, ${invoices}::int) n
       WHERE c.agency_id = ${agency.id}::uuid
    `.execute(tx);
    await postInvoiceEntries(tx, agency.id, today);
    await sql`
      CREATE TEMPORARY TABLE bench_receipt_plan ON COMMIT DROP AS
      SELECT gen_random_uuid() AS receipt_id, gen_random_uuid() AS entry_id,
             (row_number() OVER (ORDER BY i.invoice_number, k))::int AS receipt_number,
             i.id AS invoice_id, i.customer_id, i.invoice_number
        FROM invoices i CROSS JOIN generate_series(1, ${receiptsPerInvoice}::int) k
       WHERE i.agency_id = ${agency.id}::uuid
    `.execute(tx);
    await sql`
      INSERT INTO journal_entries (id, agency_id, kind, description, occurred_on, source_type, source_id)
      SELECT entry_id, ${agency.id}::uuid, 'receipt', 'Receipt ' || receipt_number || ': bench check', ${today}::date,
             'receipt', receipt_id
        FROM bench_receipt_plan
    `.execute(tx);
    await sql`
      INSERT INTO journal_lines (agency_id, entry_id, account, customer_id, invoice_id, bank_id, amount_cents)
      SELECT ${agency.id}::uuid, p.entry_id, x.account, x.customer_id, x.invoice_id, x.bank_id, x.amount_cents
        FROM bench_receipt_plan p
        CROSS JOIN LATERAL (VALUES ('cash', NULL::uuid, NULL::uuid, ${agency.bankId}::uuid, ${receiptCents}::int8),
                                   ('accounts_receivable', p.customer_id, p.invoice_id, NULL::uuid, -${receiptCents}::int8))
             AS x (account, customer_id, invoice_id, bank_id, amount_cents)
       ORDER BY p.receipt_number, x.account DESC
    `.execute(tx);
    await sql`
      INSERT INTO receipts (id, agency_id, receipt_number, customer_id, bank_id, amount_cents, on_account_cents,
                            receipt_date, receipt_time_zone, payment_check_type, description, source,
                            journal_entry_id, created_by)
      SELECT receipt_id, ${agency.id}::uuid, receipt_number, customer_id, ${agency.bankId}::uuid, ${receiptCents}::int8, 0,
             ${today}::date, ${BENCH_TIME_ZONE}::text, 'Check', 'Check payment (bench)', 'bench', entry_id, 'bench'
        FROM bench_receipt_plan
    `.execute(tx);
    await sql`
      INSERT INTO receipt_applications (agency_id, receipt_id, sequence, invoice_id, applied_cents, on_account_cents,
                                        description)
      SELECT ${agency.id}::uuid, receipt_id, 1, invoice_id, ${receiptCents}::int8, 0, 'Payment on invoice ' || invoice_number
        FROM bench_receipt_plan
    `.execute(tx);
  });
  const counts = await sql<{
    customer_lines: bigint | string;
    entry_lines: bigint | string;
    receipts: bigint | string;
  }>`
    SELECT (SELECT count(*) FROM journal_lines l JOIN customers c ON c.id = l.customer_id
             WHERE l.agency_id = ${agency.id}::uuid AND c.customer_number = 1) AS customer_lines,
           (SELECT count(*) FROM journal_lines WHERE agency_id = ${agency.id}::uuid) AS entry_lines,
           (SELECT count(*) FROM receipts WHERE agency_id = ${agency.id}::uuid) AS receipts
  `.execute(db);
  const row = counts.rows[0]!;
  return {
    customerNumber: 1,
    invoices,
    receipts: Number(row.receipts),
    customerLines: Number(row.customer_lines),
    entryLines: Number(row.entry_lines),
  };
}
