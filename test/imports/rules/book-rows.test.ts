import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseBookRow } from '../../../src/imports/rules/book-rows.ts';
import { calendarDateFrom, centsFrom } from '../../../src/imports/rules/cells.ts';
import { headerProblems } from '../../../src/imports/rules/import-kinds.ts';

describe('import cells', () => {
  it('reads ISO and US dates, and refuses dates that are not on the calendar', () => {
    assert.equal(calendarDateFrom('2026-01-31'), '2026-01-31');
    assert.equal(calendarDateFrom('1/5/2026'), '2026-01-05');
    assert.equal(calendarDateFrom('12/31/2026'), '2026-12-31');
    for (const text of ['2/30/2026', '31/12/2026', '2026-13-01', '2026/01/31', '1-5-2026', 'soon']) {
      assert.equal(calendarDateFrom(text), undefined, text);
    }
  });

  it('reads decimal dollars into bigint cents, with a $ and thousands commas, never through a float', () => {
    assert.equal(centsFrom('1234.5', false), 123_450n);
    assert.equal(centsFrom('$1,234.56', false), 123_456n);
    assert.equal(centsFrom('0.1', false), 10n);
    assert.equal(centsFrom('0.00', true), 0n);
    assert.equal(centsFrom('999999999999.99', false), 99_999_999_999_999n);
    assert.match(String(centsFrom('0', false)), /greater than 0/);
    assert.match(String(centsFrom('12.345', false)), /at most 2 decimals/);
    assert.match(String(centsFrom('1,23.00', false)), /at most 2 decimals/);
    assert.match(String(centsFrom('-5.00', false)), /negative/);
    assert.match(String(centsFrom('1e3', false)), /at most 2 decimals/);
  });
});

describe('import rows', () => {
  it('parses a policy row into a typed record', () => {
    const parsed = parseBookRow('policies', 2, {
      policyNumber: ' HO-1 ',
      customer: 'AMS-1',
      lineOfBusiness: 'Homeowners',
      effectiveDate: '1/15/2026',
      expirationDate: '2027-01-15',
      premium: '1,200.00',
      status: 'Canceled',
      cancellationReason: 'non_pay',
      cancellationEffectiveDate: '2026-03-01',
    });
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.value, {
      kind: 'policies',
      row: 2,
      policyNumber: 'HO-1',
      customer: 'AMS-1',
      lineOfBusiness: 'Homeowners',
      effectiveDate: '2026-01-15',
      expirationDate: '2027-01-15',
      premiumCents: 120_000n,
      installmentPlan: undefined,
      status: 'canceled',
      cancellationReason: 'non_pay',
      cancellationEffectiveDate: '2026-03-01',
    });
  });

  it('names the row, column and rule of every problem in a row at once', () => {
    const parsed = parseBookRow('invoices', 7, {
      invoiceNumber: 'A12',
      customer: '',
      dueDate: '2026-02-30',
      amount: '10.00',
      openBalance: '10.01',
    });
    assert.ok(!parsed.ok);
    assert.deepEqual(parsed.problems, [
      { row: 7, column: 'openBalance', rule: 'must not exceed amount' },
      { row: 7, column: 'invoiceNumber', rule: 'must be a whole number from 1 to 2147483647' },
      { row: 7, column: 'customer', rule: 'is required' },
      { row: 7, column: 'dueDate', rule: 'must be a date YYYY-MM-DD or M/D/YYYY' },
    ]);
  });

  it('asks a customer for an external id or a number, and a policy status from the lifecycle', () => {
    const customer = parseBookRow('customers', 3, { name: 'Ann', type: 'person' });
    assert.ok(!customer.ok);
    assert.deepEqual(
      customer.problems.map((p) => p.column),
      ['externalId', 'type'],
    );
    const policy = parseBookRow('policies', 4, {
      policyNumber: 'P',
      customer: 'C',
      lineOfBusiness: 'Auto',
      effectiveDate: '2026-01-01',
      expirationDate: '2025-01-01',
      status: 'lapsed',
    });
    assert.ok(!policy.ok);
    assert.deepEqual(
      policy.problems.map((p) => p.column),
      ['expirationDate', 'status'],
    );
    assert.match(
      policy.problems[1]!.rule,
      /unsubmitted, submitted, rejected, active, cancellation_pending, canceled, expired/,
    );
  });

  it('checks the header for required columns and repeats', () => {
    assert.deepEqual(headerProblems('contacts', ['customer', 'name', 'name']), [
      { row: 1, column: 'name', rule: 'column appears twice in the header' },
    ]);
    assert.deepEqual(
      headerProblems('customers', ['name']).map((p) => p.column),
      ['externalId'],
    );
  });
});
