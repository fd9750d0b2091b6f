import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { sql } from 'kysely';
import { createBank } from '../../src/agency/banks.ts';
import { updatePaymentSettings } from '../../src/agency/payment-settings.ts';
import { createCustomer } from '../../src/customers/customers.ts';
import { createInvoice } from '../../src/ledger/invoices.ts';
import { applyOnAccountCredit } from '../../src/ledger/on-account.ts';
import { postCustomerReceipt } from '../../src/ledger/receipt-posting.ts';
import { reverseReceipt } from '../../src/ledger/receipt-reversals.ts';
import type { DatabaseHandle } from '../../src/platform/db/database.ts';
import { databaseTargets, openTestDatabase } from '../support/db.ts';
import { createTestAgency } from '../support/fixtures.ts';

type Op =
  | { kind: 'receipt'; customer: number; items: { invoice: number | null; cents: number }[] }
  | { kind: 'reverse'; pick: number; reason: 'nsf' | 'chargeback' | 'entered_in_error' }
  | { kind: 'onAccount'; customer: number; invoice: number; fraction: number };

const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('receipt' as const),
    customer: fc.nat(1),
    items: fc.array(
      fc.record({ invoice: fc.option(fc.nat(2), { nil: null }), cents: fc.integer({ min: 1, max: 60_000 }) }),
      {
        minLength: 1,
        maxLength: 3,
      },
    ),
  }),
  fc.record({
    kind: fc.constant('reverse' as const),
    pick: fc.nat(20),
    reason: fc.constantFrom('nsf' as const, 'chargeback' as const, 'entered_in_error' as const),
  }),
  fc.record({
    kind: fc.constant('onAccount' as const),
    customer: fc.nat(1),
    invoice: fc.nat(2),
    fraction: fc.double({ min: 0.05, max: 1, noNaN: true }),
  }),
);

// Any sequence of receipts, reversals and On Account applications keeps the books: debits equal
// credits, every invoice balance is its amount less what was applied and never negative, and the
// net cash received equals what was applied plus what sits On Account.
for (const target of databaseTargets()) {
  describe(`receipt ledger invariants on ${target}`, () => {
    let database: DatabaseHandle;
    before(async () => {
      database = await openTestDatabase(target);
    });
    after(async () => database.close());

    it('holds for any sequence of operations (property)', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(opArbitrary, { minLength: 1, maxLength: 14 }), fc.boolean(), async (ops, withFee) => {
          const db = database.db;
          const agency = await createTestAgency(db);
          const actor = agency.actor;
          await createBank(db, actor, { shortName: 'OPER', name: 'Operating', division: 'Main' });
          if (withFee) await updatePaymentSettings(db, actor, { nsfFeeCents: 1_500n });
          const customers = [];
          for (const name of ['A', 'B']) {
            const c = await createCustomer(db, actor, { type: 'individual', name });
            const invoices = [];
            for (const cents of [25_000n, 40_000n, 10_000n]) {
              invoices.push(
                (
                  await createInvoice(db, actor, {
                    customerNumber: c.customerNumber,
                    dueDate: '2026-12-01',
                    amountCents: cents,
                  })
                ).invoiceNumber,
              );
            }
            customers.push({ number: c.customerNumber, invoices });
          }
          const receipts: number[] = [];
          for (const op of ops) {
            if (op.kind === 'receipt') {
              const customer = customers[op.customer]!;
              const items = op.items.map((i) => ({
                invoiceNumber: i.invoice === null ? undefined : customer.invoices[i.invoice],
                amountCents: BigInt(i.cents),
              }));
              const receipt = await postCustomerReceipt(db, actor, {
                customerNumber: customer.number,
                items,
                receiptAmountCents: items.reduce((t, i) => t + i.amountCents, 0n),
                receiptDate: '2026-11-21',
                receiptDateTimeZone: 'America/Chicago',
                bankShortName: 'OPER',
                paymentCheckType: 'Check',
              });
              receipts.push(receipt.receiptNumber);
            } else if (op.kind === 'reverse' && receipts.length) {
              const [receiptNumber] = receipts.splice(op.pick % receipts.length, 1);
              await reverseReceipt(db, actor, receiptNumber!, { reason: op.reason });
            } else if (op.kind === 'onAccount') {
              const customer = customers[op.customer]!;
              const account = await sql<{ on_account: bigint; balance: bigint }>`
                SELECT
                  (SELECT coalesce(-sum(l.amount_cents), 0) FROM journal_lines l JOIN customers c ON c.id = l.customer_id
                    WHERE c.agency_id = ${agency.id} AND c.customer_number = ${customer.number} AND l.account = 'on_account')::int8 AS on_account,
                  (SELECT coalesce(sum(l.amount_cents), 0) FROM journal_lines l JOIN invoices i ON i.id = l.invoice_id
                    WHERE i.agency_id = ${agency.id} AND i.invoice_number = ${customer.invoices[op.invoice]!} AND l.account = 'accounts_receivable')::int8 AS balance
              `.execute(db);
              const { on_account, balance } = account.rows[0]!;
              const limit = on_account < balance ? on_account : balance;
              const amountCents = BigInt(Math.floor(Number(limit) * op.fraction));
              if (amountCents > 0n) {
                await applyOnAccountCredit(db, actor, customer.number, {
                  invoiceNumber: customer.invoices[op.invoice]!,
                  amountCents,
                });
              }
            }
          }

          const totals = await sql<{ net: bigint; debits: bigint; credits: bigint }>`
            SELECT coalesce(sum(amount_cents), 0)::int8 AS net,
                   coalesce(sum(amount_cents) FILTER (WHERE amount_cents > 0), 0)::int8 AS debits,
                   coalesce(-sum(amount_cents) FILTER (WHERE amount_cents < 0), 0)::int8 AS credits
            FROM journal_lines WHERE agency_id = ${agency.id}`.execute(db);
          assert.equal(totals.rows[0]!.net, 0n);
          assert.equal(totals.rows[0]!.debits, totals.rows[0]!.credits);

          // Applied per invoice, from the receipt and application records rather than AR lines.
          const invoices = await sql<{ amount: bigint; balance: bigint; applied: bigint; fee: boolean }>`
            SELECT i.amount_cents AS amount,
              (SELECT coalesce(sum(j.amount_cents), 0) FROM journal_lines j WHERE j.invoice_id = i.id AND j.account = 'accounts_receivable')::int8 AS balance,
              ((SELECT coalesce(sum(a.applied_cents), 0) FROM receipt_applications a
                 WHERE a.invoice_id = i.id AND NOT EXISTS (SELECT 1 FROM receipt_reversals v WHERE v.receipt_id = a.receipt_id))
               + (SELECT coalesce(-sum(l.amount_cents), 0) FROM journal_lines l JOIN journal_entries e ON e.id = l.entry_id
                 WHERE e.kind = 'on_account_application' AND l.invoice_id = i.id AND l.account = 'accounts_receivable'))::int8 AS applied,
              i.description LIKE 'NSF fee%' AS fee
            FROM invoices i WHERE i.agency_id = ${agency.id}`.execute(db);
          for (const invoice of invoices.rows) {
            assert.equal(invoice.balance, invoice.amount - invoice.applied);
            assert.ok(invoice.balance >= 0n);
          }

          const money = await sql<{ received: bigint; reversed: bigint; on_account: bigint }>`
            SELECT (SELECT coalesce(sum(amount_cents), 0) FROM receipts WHERE agency_id = ${agency.id})::int8 AS received,
                   (SELECT coalesce(sum(r.amount_cents), 0) FROM receipts r JOIN receipt_reversals v ON v.receipt_id = r.id
                     WHERE r.agency_id = ${agency.id})::int8 AS reversed,
                   (SELECT coalesce(-sum(amount_cents), 0) FROM journal_lines WHERE agency_id = ${agency.id} AND account = 'on_account')::int8 AS on_account`.execute(
            db,
          );
          const applied = invoices.rows.reduce((t, i) => t + i.applied, 0n);
          const { received, reversed, on_account } = money.rows[0]!;
          assert.equal(received - reversed, applied + on_account);
        }),
        { numRuns: target === 'pglite' ? 25 : 15 },
      );
    });
  });
}
