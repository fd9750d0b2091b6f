// What must hold after every step of the ledger model, read from the database and the sandbox.
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import type { Sandbox } from '../../src/payments/processors/sandbox/server.ts';
import { allocateRefund } from '../../src/payments/rules/refunds.ts';
import type { Db } from '../../src/platform/db/transaction.ts';

export async function checkInvariants(
  db: Db,
  sandbox: Sandbox,
  agencyId: string,
  options: { inFlightAllowed: boolean },
): Promise<void> {
  // Debits = credits, per currency.
  const totals = await sql<{ currency: string; net: bigint; debits: bigint; credits: bigint }>`
    SELECT currency, sum(amount_cents)::int8 AS net,
           coalesce(sum(amount_cents) FILTER (WHERE amount_cents > 0), 0)::int8 AS debits,
           coalesce(-sum(amount_cents) FILTER (WHERE amount_cents < 0), 0)::int8 AS credits
    FROM journal_lines WHERE agency_id = ${agencyId} GROUP BY currency`.execute(db);
  for (const row of totals.rows) {
    assert.equal(row.net, 0n, `${row.currency} lines sum to 0`);
    assert.equal(row.debits, row.credits);
  }

  // The invoice balances the database keeps (migration 0026, read by AR aging) are the AR lines' sums.
  const kept = await sql<{ invoice_id: string; kept: bigint | null; ledger: bigint }>`
    SELECT l.invoice_id, b.balance_cents AS kept, sum(l.amount_cents)::int8 AS ledger
    FROM journal_lines l LEFT JOIN invoice_balances b ON b.invoice_id = l.invoice_id
    WHERE l.agency_id = ${agencyId} AND l.account = 'accounts_receivable' AND l.invoice_id IS NOT NULL
    GROUP BY l.invoice_id, b.balance_cents`.execute(db);
  for (const row of kept.rows) assert.equal(row.kept, row.ledger, `kept balance of invoice ${row.invoice_id}`);

  // The aging summaries (migration 0028) are the same AR lines summed per customer and per due
  // date (the folded totals plus the deltas not yet folded).
  const perCustomer = await sql<{ customer_id: string; kept: bigint | null; ledger: bigint }>`
    SELECT i.customer_id, b.balance_cents AS kept, sum(l.amount_cents)::int8 AS ledger
    FROM journal_lines l JOIN invoices i ON i.id = l.invoice_id
    LEFT JOIN customer_ar_balances b ON b.customer_id = i.customer_id
    WHERE l.agency_id = ${agencyId} AND l.account = 'accounts_receivable'
    GROUP BY i.customer_id, b.balance_cents`.execute(db);
  for (const row of perCustomer.rows) assert.equal(row.kept, row.ledger, `kept balance of customer ${row.customer_id}`);
  const perDueDate = await sql<{ due_date: string; kept: bigint; ledger: bigint }>`
    WITH kept AS (
      SELECT due_date, sum(cents)::int8 AS cents FROM (
        SELECT due_date, balance_cents AS cents FROM ar_due_totals WHERE agency_id = ${agencyId}
        UNION ALL SELECT due_date, cents FROM ar_due_deltas WHERE agency_id = ${agencyId}) k
      GROUP BY due_date
    ), ledger AS (
      SELECT i.due_date, sum(l.amount_cents)::int8 AS cents
      FROM journal_lines l JOIN invoices i ON i.id = l.invoice_id
      WHERE l.agency_id = ${agencyId} AND l.account = 'accounts_receivable'
      GROUP BY i.due_date
    )
    SELECT coalesce(kept.due_date, ledger.due_date)::text AS due_date,
           coalesce(kept.cents, 0) AS kept, coalesce(ledger.cents, 0) AS ledger
    FROM kept FULL JOIN ledger ON ledger.due_date = kept.due_date`.execute(db);
  for (const row of perDueDate.rows) assert.equal(row.kept, row.ledger, `kept balance due ${row.due_date}`);

  // Applied per invoice from the receipt records: applications of receipts not reversed, less
  // what refunds of those receipts unwound (by the refund rule, recomputed here), plus On Account
  // applications.
  const applied = new Map<string, bigint>();
  const add = (invoiceId: string, cents: bigint) => applied.set(invoiceId, (applied.get(invoiceId) ?? 0n) + cents);
  const applications = await sql<{ receipt_id: string; invoice_id: string; applied_cents: bigint }>`
    SELECT a.receipt_id, a.invoice_id, a.applied_cents FROM receipt_applications a JOIN receipts r ON r.id = a.receipt_id
    WHERE r.agency_id = ${agencyId} AND a.invoice_id IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM receipt_reversals v WHERE v.receipt_id = a.receipt_id)
    ORDER BY a.receipt_id, a.sequence`.execute(db);
  const byReceipt = new Map<string, { invoiceId: string; appliedCents: bigint }[]>();
  for (const a of applications.rows) {
    add(a.invoice_id, a.applied_cents);
    byReceipt.set(a.receipt_id, [
      ...(byReceipt.get(a.receipt_id) ?? []),
      { invoiceId: a.invoice_id, appliedCents: a.applied_cents },
    ]);
  }
  const refunds = await sql<{ receipt_id: string; on_account_cents: bigint; amount_cents: bigint }>`
    SELECT r.id AS receipt_id, r.on_account_cents, f.amount_cents
    FROM payment_refunds f JOIN payments p ON p.id = f.payment_id JOIN receipts r ON r.id = p.receipt_id
    WHERE f.agency_id = ${agencyId} AND f.status = 'succeeded'
      AND NOT EXISTS (SELECT 1 FROM receipt_reversals v WHERE v.receipt_id = r.id)
    ORDER BY f.created_at, f.id`.execute(db);
  const refundedSoFar = new Map<string, bigint>();
  for (const refund of refunds.rows) {
    const already = refundedSoFar.get(refund.receipt_id) ?? 0n;
    for (const bucket of allocateRefund(
      refund.on_account_cents,
      byReceipt.get(refund.receipt_id) ?? [],
      already,
      refund.amount_cents,
    )) {
      if (bucket.invoiceId) add(bucket.invoiceId, -bucket.cents);
    }
    refundedSoFar.set(refund.receipt_id, already + refund.amount_cents);
  }
  const onAccountApplied = await sql<{ invoice_id: string; cents: bigint }>`
    SELECT l.invoice_id, -sum(l.amount_cents)::int8 AS cents FROM journal_lines l JOIN journal_entries e ON e.id = l.entry_id
    WHERE e.agency_id = ${agencyId} AND e.kind = 'on_account_application' AND l.account = 'accounts_receivable'
    GROUP BY l.invoice_id`.execute(db);
  for (const row of onAccountApplied.rows) add(row.invoice_id, row.cents);

  const invoices = await sql<{ id: string; invoice_number: number; amount: bigint; balance: bigint }>`
    SELECT i.id, i.invoice_number, i.amount_cents AS amount,
      (SELECT coalesce(sum(j.amount_cents), 0) FROM journal_lines j
        WHERE j.invoice_id = i.id AND j.account = 'accounts_receivable')::int8 AS balance
    FROM invoices i WHERE i.agency_id = ${agencyId}`.execute(db);
  for (const invoice of invoices.rows) {
    const expected = invoice.amount - (applied.get(invoice.id) ?? 0n);
    assert.equal(invoice.balance, expected, `invoice ${invoice.invoice_number}: balance = amount − applied`);
    assert.ok(invoice.balance >= 0n, `invoice ${invoice.invoice_number}: balance ≥ 0`);
  }

  // Convenience fees (issue 20.3): what the fee income account holds is the fees of the posted,
  // unreversed payments less what their refunds returned; never anything applied to invoices.
  const fees = await sql<{ ledger: bigint; expected: bigint }>`
    SELECT
      (SELECT coalesce(-sum(amount_cents), 0) FROM journal_lines
        WHERE agency_id = ${agencyId} AND account = 'convenience_fees')::int8 AS ledger,
      ((SELECT coalesce(sum(p.fee_cents), 0) FROM payments p JOIN receipts r ON r.id = p.receipt_id
         WHERE p.agency_id = ${agencyId} AND NOT EXISTS (SELECT 1 FROM receipt_reversals v WHERE v.receipt_id = r.id))
       - (SELECT coalesce(sum(f.fee_cents), 0) FROM payment_refunds f JOIN payments p ON p.id = f.payment_id
           WHERE f.agency_id = ${agencyId} AND f.status = 'succeeded'
             AND NOT EXISTS (SELECT 1 FROM receipt_reversals v WHERE v.receipt_id = p.receipt_id)))::int8 AS expected`.execute(
    db,
  );
  assert.equal(fees.rows[0]!.ledger, fees.rows[0]!.expected, 'convenience fees in the ledger = fees kept');

  // Cash at the processor: what its charges brought in, less refunds, returns and chargebacks. The
  // sandbox serves this agency only, so all its charges are this agency's.
  const charges = sandbox.charges();
  const chargebacks = new Map(
    sandbox
      .events()
      .filter((e) => e.type === 'payment.chargeback')
      .map((e) => [e.data.charge, e.data.amountCents]),
  );
  const open = new Set(
    (
      await sql<{ key: string }>`
        SELECT idempotency_key AS key FROM payment_attempts WHERE agency_id = ${agencyId} AND status IN ('started', 'unknown')`.execute(
        db,
      )
    ).rows.map((r) => r.key),
  );
  if (!options.inFlightAllowed) assert.equal(open.size, 0, 'no attempt left in flight at the end');
  let processorCash = 0n;
  let inFlightCash = 0n;
  for (const charge of charges) {
    if (charge.status !== 'succeeded' && charge.status !== 'settled') continue;
    const cash = charge.amountCents - charge.refundedCents - (chargebacks.get(charge.id) ?? 0n);
    processorCash += cash;
    // A charge whose answer was lost is money the ledger learns of when the janitor asks.
    if (open.has(charge.idempotencyKey)) inFlightCash += cash;
  }
  const ledger = await sql<{ cash: bigint }>`
    SELECT coalesce(sum(l.amount_cents), 0)::int8 AS cash FROM journal_lines l
    WHERE l.agency_id = ${agencyId} AND l.account = 'cash' AND l.entry_id IN (
      SELECT r.journal_entry_id FROM payments p JOIN receipts r ON r.id = p.receipt_id WHERE p.agency_id = ${agencyId}
      UNION ALL
      SELECT v.journal_entry_id FROM payments p JOIN receipt_reversals v ON v.receipt_id = p.receipt_id WHERE p.agency_id = ${agencyId}
      UNION ALL
      SELECT f.journal_entry_id FROM payment_refunds f WHERE f.agency_id = ${agencyId} AND f.journal_entry_id IS NOT NULL)`.execute(
    db,
  );
  assert.equal(ledger.rows[0]!.cash, processorCash - inFlightCash, 'cash at the processor = cash in the ledger');
}
