import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { customerCsvHeader, customerCsvRow } from '../../src/customers/rules/customer-csv.ts';
import { instantCell, neutraliseCell, textCell } from '../../src/kernel/csv-cells.ts';
import { decimalAmount } from '../../src/kernel/money.ts';
import { invoiceCsvHeader, invoiceCsvRow } from '../../src/ledger/rules/invoice-csv.ts';
import { receiptCsvHeader, receiptCsvRow } from '../../src/ledger/rules/receipt-csv.ts';
import { paymentCsvHeader, paymentCsvRow } from '../../src/payments/rules/payment-csv.ts';

describe('CSV cells', () => {
  it('prefixes a cell a spreadsheet would run as a formula with a single quote (OWASP)', () => {
    for (const text of ['=1+2', '+1 555 0100', '-2+3', '@SUM(A1)', '\t=1', '\r=1']) {
      assert.equal(neutraliseCell(text), `'${text}`, JSON.stringify(text));
    }
  });

  it('leaves other text alone, a formula character inside included', () => {
    for (const text of ['Jane Smith', 'a=b', '', ' =not first', "'quoted", 'Smith, "Jo"']) {
      assert.equal(neutraliseCell(text), text);
    }
  });

  it('writes absent text and instants as empty cells, instants as ISO UTC', () => {
    assert.equal(textCell(null), '');
    assert.equal(textCell(undefined), '');
    assert.equal(textCell('=x'), "'=x");
    assert.equal(instantCell(null), '');
    assert.equal(instantCell(new Date('2026-02-28T12:00:00Z')), '2026-02-28T12:00:00.000Z');
  });
});

describe('decimalAmount', () => {
  it('writes cents as dollars with two places by string arithmetic', () => {
    assert.equal(decimalAmount(1234567n), '12345.67');
    assert.equal(decimalAmount(0n), '0.00');
    assert.equal(decimalAmount(5n), '0.05');
    assert.equal(decimalAmount(100n), '1.00');
    assert.equal(decimalAmount(-5n), '-0.05');
    assert.equal(decimalAmount(-1234567n), '-12345.67');
    // Beyond a double's exact integers: no float ever touches it.
    assert.equal(decimalAmount(123456789012345678901n), '1234567890123456789.01');
  });
});

describe('CSV rows', () => {
  const at = new Date('2026-02-28T12:00:00Z');

  it('shapes a customer in header order, neutralising its text', () => {
    const row = customerCsvRow({
      customerNumber: 7,
      type: 'individual',
      name: '=cmd',
      email: null,
      phone: '+1 555 0100',
      address: { line1: '1 Main St', city: 'Austin', state: 'TX' },
      createdAt: at,
    });
    assert.equal(row.length, customerCsvHeader.length);
    assert.deepEqual(row, [
      '7',
      'individual',
      "'=cmd",
      '',
      "'+1 555 0100",
      '1 Main St',
      '',
      'Austin',
      'TX',
      '',
      '',
      '2026-02-28T12:00:00.000Z',
    ]);
  });

  it('writes a negative balance as a negative number, not as neutralised text', () => {
    const row = invoiceCsvRow({
      displayNumber: '12-1',
      customerNumber: 7,
      policyNumber: null,
      description: '-refund',
      amountCents: 1000n,
      balanceCents: -250n,
      dueDate: '2026-03-01',
      status: 'paid',
      autopayTime: null,
      suppressAutopay: false,
    });
    assert.equal(row.length, invoiceCsvHeader.length);
    assert.deepEqual(row, ['12-1', '7', '', "'-refund", '10.00', '-2.50', '2026-03-01', 'paid', '', 'false']);
  });

  it('shapes a receipt and a payment in header order', () => {
    const receipt = receiptCsvRow({
      receiptNumber: 3,
      customerNumber: 7,
      receiptDate: '2026-02-27',
      amountCents: 1234567n,
      onAccountCents: 0n,
      bankShortName: 'OPER',
      paymentCheckType: 'H',
      payerCheckNumber: null,
      description: 'Check from @home',
      status: 'posted',
      source: 'api',
      createdAt: at,
    });
    assert.equal(receipt.length, receiptCsvHeader.length);
    assert.equal(receipt[3], '12345.67');
    const payment = paymentCsvRow({
      id: 'p1',
      createdAt: at,
      customerNumber: 7,
      type: 'card',
      channel: 'secure_checkout',
      amountCents: 1999n,
      currency: 'USD',
      state: 'failed',
      attempts: 2,
      retryPlan: 'default',
      bankShortName: 'OPER',
      receiptNumber: null,
      failureCode: 'card_declined',
      failureMessage: '=declined',
    });
    assert.equal(payment.length, paymentCsvHeader.length);
    assert.deepEqual([payment[5], payment[11], payment[13]], ['19.99', '', "'=declined"]);
  });
});
