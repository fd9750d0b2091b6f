// A book of due autopay invoices, inserted set-based (the services would take minutes for
// thousands): customers 1…N, each with one active policy, `invoicesPerCustomer` invoices whose
// autopay time has come (with the billing journal entry the services would post), a saved card and
// an autopay enrollment. Used by the two-process test and by `npm run bench`.
import { sql } from 'kysely';
import { defaultRetryPlanFor } from '../../../src/payments/retry-plans.ts';
import type { Db } from '../../../src/platform/db/transaction.ts';
import { inTransaction } from '../../../src/platform/db/transaction.ts';

export interface AutopayBookOptions {
  customers: number;
  invoicesPerCustomer: number;
  /** Every invoice's autopay time (≤ the pass's `now` for the invoices to be due). */
  autopayTime: Date;
  dueDate: string;
  /** The agency's "today" for the billing entries. */
  today: string;
  amountCents: bigint;
  /** One processor token per customer (customer n gets tokens[n − 1]); fakes do when nothing executes. */
  tokens: readonly string[];
  processor?: string;
}

export interface AutopayBook {
  invoices: number;
  /** Sum of every invoice's amount. */
  totalCents: bigint;
}

export async function seedAutopayBook(db: Db, agencyId: string, options: AutopayBookOptions): Promise<AutopayBook> {
  const { customers, invoicesPerCustomer: perCustomer } = options;
  if (options.tokens.length !== customers) throw new Error('seedAutopayBook: one token per customer');
  await inTransaction(db, async (tx) => {
    await defaultRetryPlanFor(tx, agencyId);
    await sql`
      INSERT INTO customers (agency_id, customer_number, type, name)
      SELECT ${agencyId}::uuid, n, 'individual', 'Autopay Customer ' || n FROM generate_series(1, ${customers}::int) n
    `.execute(tx);
    await sql`
      INSERT INTO policies (agency_id, customer_id, policy_number, line_of_business, effective_date, expiration_date,
                            premium_cents, status)
      SELECT c.agency_id, c.id, 'AP-' || c.customer_number, 'Personal Auto', ${options.dueDate}::date - 30,
             ${options.dueDate}::date + 335, ${options.amountCents}::int8 * ${perCustomer}::int, 'active'
        FROM customers c WHERE c.agency_id = ${agencyId}::uuid
    `.execute(tx);
    await sql`
      INSERT INTO invoices (agency_id, customer_id, policy_id, invoice_number, due_date, amount_cents, description,
                            autopay_time)
      SELECT p.agency_id, p.customer_id, p.id, (c.customer_number - 1) * ${perCustomer}::int + k,
             ${options.dueDate}::date, ${options.amountCents}::int8, 'Autopay installment ' || k, ${options.autopayTime}
        FROM policies p JOIN customers c ON c.id = p.customer_id
        CROSS JOIN generate_series(1, ${perCustomer}::int) k
       WHERE p.agency_id = ${agencyId}::uuid
    `.execute(tx);
    // Fresh statistics before the joins below: planned for the empty tables they had, they would
    // loop over every invoice per entry. (ANALYZE counts this transaction's own rows.)
    await sql`ANALYZE customers, policies, invoices`.execute(tx);
    await sql`
      INSERT INTO journal_entries (agency_id, kind, description, occurred_on, source_type, source_id)
      SELECT agency_id, 'invoice', 'Invoice ' || invoice_number, ${options.today}::date, 'invoice', id
        FROM invoices WHERE agency_id = ${agencyId}::uuid
    `.execute(tx);
    await sql`ANALYZE journal_entries`.execute(tx);
    await sql`
      INSERT INTO journal_lines (agency_id, entry_id, account, customer_id, invoice_id, amount_cents)
      SELECT e.agency_id, e.id, x.account, i.customer_id, x.invoice_id, x.amount_cents
        FROM journal_entries e
        JOIN invoices i ON i.agency_id = e.agency_id AND i.id = e.source_id
        CROSS JOIN LATERAL (VALUES ('accounts_receivable', i.id, i.amount_cents),
                                   ('premium', NULL::uuid, -i.amount_cents)) AS x (account, invoice_id, amount_cents)
       WHERE e.agency_id = ${agencyId}::uuid AND e.source_type = 'invoice'
    `.execute(tx);
    await sql`
      INSERT INTO payment_methods (agency_id, customer_id, processor, token, kind, brand, last4, exp_month, exp_year,
                                   holder_name, is_default)
      SELECT c.agency_id, c.id, ${options.processor ?? 'sandbox'}, t.token, 'card', 'visa', '4242', 12, 2031, c.name, true
        FROM customers c
        -- A join, not tokens[n]: subscripting a text array walks it, quadratic over a big book.
        JOIN unnest(${[...options.tokens]}::text[]) WITH ORDINALITY AS t (token, n) ON t.n = c.customer_number
       WHERE c.agency_id = ${agencyId}::uuid
    `.execute(tx);
    await sql`ANALYZE payment_methods`.execute(tx);
    await sql`
      INSERT INTO autopay_enrollments (agency_id, customer_id, payment_method_id, enrolled_by)
      SELECT m.agency_id, m.customer_id, m.id, 'seed' FROM payment_methods m WHERE m.agency_id = ${agencyId}::uuid
    `.execute(tx);
  });
  await sql`ANALYZE invoices, journal_lines, payment_methods, autopay_enrollments, customers, policies`.execute(db);
  const invoices = customers * perCustomer;
  return { invoices, totalCents: options.amountCents * BigInt(invoices) };
}
