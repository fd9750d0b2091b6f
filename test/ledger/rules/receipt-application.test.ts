import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { assertBalanced, reversalEntry } from '../../../src/ledger/rules/ledger.ts';
import {
  applyPayment,
  defaultReceiptDescription,
  type OpenInvoice,
  receiptEntry,
} from '../../../src/ledger/rules/receipt-application.ts';

const invoice = (id: string, invoiceNumber: number, balanceCents: bigint): OpenInvoice => ({
  id,
  invoiceNumber,
  balanceCents,
});

describe('applyPayment', () => {
  it('applies to the balance exactly', () => {
    const result = applyPayment([{ invoice: invoice('a', 1001, 10_000n), amountCents: 10_000n }]);
    assert.equal(result.appliedCents, 10_000n);
    assert.equal(result.onAccountCents, 0n);
    assert.equal(result.applications[0]?.description, 'Payment on invoice 1001');
    assert.equal(result.applications[0]?.note, undefined);
  });

  it('puts an item without an invoice On Account', () => {
    const result = applyPayment([{ amountCents: 2_500n }]);
    assert.deepEqual(result.applications[0], {
      invoiceId: null,
      invoiceNumber: null,
      appliedCents: 0n,
      onAccountCents: 2_500n,
      description: 'Payment On Account',
    });
  });

  it('pays the balance and sends the excess On Account, saying so', () => {
    const result = applyPayment([{ invoice: invoice('a', 1001, 5_000n), amountCents: 7_500n }]);
    assert.equal(result.applications[0]?.appliedCents, 5_000n);
    assert.equal(result.applications[0]?.onAccountCents, 2_500n);
    assert.match(result.applications[0]!.note!, /open balance of \$50\.00: \$25\.00 went On Account/);
  });

  it('sends everything On Account when the invoice is already paid', () => {
    const result = applyPayment([{ invoice: invoice('a', 1001, 0n), amountCents: 1_000n }]);
    assert.equal(result.appliedCents, 0n);
    assert.equal(result.onAccountCents, 1_000n);
    assert.match(result.applications[0]!.note!, /already paid in full/);
  });

  it('applies two items for the same invoice in order', () => {
    const a = invoice('a', 1001, 6_000n);
    const result = applyPayment([
      { invoice: a, amountCents: 4_000n, description: 'first' },
      { invoice: a, amountCents: 4_000n },
    ]);
    assert.deepEqual(
      result.applications.map((x) => [x.appliedCents, x.onAccountCents]),
      [
        [4_000n, 0n],
        [2_000n, 2_000n],
      ],
    );
    assert.equal(result.applications[0]?.description, 'first');
  });

  it('never applies more than the balance and accounts for every cent (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ which: fc.integer({ min: 0, max: 3 }), amount: fc.bigInt({ min: 1n, max: 100_000n }) }), {
          minLength: 1,
          maxLength: 12,
        }),
        fc.array(fc.bigInt({ min: 0n, max: 100_000n }), { minLength: 3, maxLength: 3 }),
        (items, balances) => {
          const invoices = balances.map((b, i) => invoice(`i${i}`, 1000 + i, b));
          const result = applyPayment(items.map((x) => ({ invoice: invoices[x.which], amountCents: x.amount })));
          const total = items.reduce((t, x) => t + x.amount, 0n);
          assert.equal(result.appliedCents + result.onAccountCents, total);
          invoices.forEach((inv) => {
            const applied = result.applications
              .filter((a) => a.invoiceId === inv.id)
              .reduce((t, a) => t + a.appliedCents, 0n);
            assert.ok(applied <= inv.balanceCents);
          });
          const entry = receiptEntry({
            receiptId: 'r',
            receiptNumber: 1,
            customerId: 'c',
            bankId: 'b',
            amountCents: total,
            receiptDate: '2026-11-21',
            result,
            description: 'x',
          });
          assertBalanced(entry);
          const reversal = reversalEntry({
            originalEntryId: 'e',
            lines: entry.lines,
            kind: 'receipt_reversal',
            description: 'r',
            occurredOn: '2026-11-22',
            sourceType: 'receipt',
            sourceId: 'r',
          });
          assertBalanced(reversal);
        },
      ),
    );
  });
});

describe('receipt entries and descriptions', () => {
  it('debits cash and credits AR per invoice and On Account for the rest', () => {
    const result = applyPayment([
      { invoice: invoice('a', 1001, 3_000n), amountCents: 5_000n },
      { amountCents: 1_000n },
    ]);
    const entry = receiptEntry({
      receiptId: 'r1',
      receiptNumber: 7,
      customerId: 'c1',
      bankId: 'b1',
      amountCents: 6_000n,
      receiptDate: '2026-11-21',
      result,
      description: 'Check #1043 from Jane Smith',
    });
    assert.deepEqual(
      entry.lines.map((l) => [l.account, l.amountCents]),
      [
        ['cash', 6_000n],
        ['accounts_receivable', -3_000n],
        ['on_account', -3_000n],
      ],
    );
    assert.equal(entry.description, 'Receipt 7: Check #1043 from Jane Smith');
  });

  it('generates receipt descriptions like a clerk would', () => {
    assert.equal(
      defaultReceiptDescription({
        type: 'Check',
        customerName: 'Jane Smith',
        checkNumber: '1043',
        invoiceNumbers: [1001],
      }),
      'Check #1043 from Jane Smith',
    );
    assert.equal(
      defaultReceiptDescription({ type: 'CreditCard', customerName: 'Jane Smith', invoiceNumbers: [1001, 1002, 1001] }),
      'Credit card payment for invoices 1001, 1002',
    );
    assert.equal(
      defaultReceiptDescription({ type: 'Cash', customerName: 'Bo Chen', invoiceNumbers: [] }),
      'Cash payment from Bo Chen for On Account',
    );
  });
});
