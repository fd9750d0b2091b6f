import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DomainError } from '../../src/domain/errors.ts';
import {
  maskAccountNumber,
  parseInvoiceNumber,
  parsePaymentCheckType,
  parseReceiptDate,
} from '../../src/domain/receipt-input.ts';
import { resolveTimeZone } from '../../src/domain/time-zones.ts';

const isFieldError = (path: string) => (e: unknown) =>
  e instanceof DomainError && e.code === 'validation_failed' && e.errors[0]?.path === path;

describe('paymentCheckType', () => {
  it('accepts the codes and names, case-insensitively, as one canonical value', () => {
    const cases: [string, string][] = [
      ['H', 'Check'],
      ['check', 'Check'],
      ['A', 'Cash'],
      ['CASH', 'Cash'],
      ['r', 'CreditCard'],
      ['CreditCard', 'CreditCard'],
      ['D', 'DebitCard'],
      ['debitcard', 'DebitCard'],
      ['E', 'EFT'],
      ['eft', 'EFT'],
    ];
    for (const [input, canonical] of cases) assert.equal(parsePaymentCheckType(input), canonical, input);
  });

  it('refuses anything else, listing the valid values', () => {
    assert.throws(
      () => parsePaymentCheckType('Bitcoin'),
      (e: unknown) => isFieldError('paymentCheckType')(e) && /H or Check.*E or EFT/.test((e as DomainError).message),
    );
  });
});

describe('receiptDate', () => {
  it('keeps a date-only value', () => {
    assert.equal(parseReceiptDate('2026-11-21', 'America/Chicago'), '2026-11-21');
  });

  it('truncates a time without offset to its written date', () => {
    assert.equal(parseReceiptDate('2026-11-21T23:30:00', 'Asia/Tokyo'), '2026-11-21');
    assert.equal(parseReceiptDate('2026-11-21 01:15', 'America/Chicago'), '2026-11-21');
  });

  it('converts a value with an offset or Z to the request time zone before taking the date', () => {
    assert.equal(parseReceiptDate('2026-11-21T03:30:00Z', 'America/Chicago'), '2026-11-20');
    assert.equal(parseReceiptDate('2026-11-21T03:30:00Z', 'Europe/Paris'), '2026-11-21');
    assert.equal(parseReceiptDate('2026-11-20T23:30:00-05:00', 'Asia/Tokyo'), '2026-11-21');
    assert.equal(parseReceiptDate('2026-11-20T23:30:00.123+0000', 'America/New_York'), '2026-11-20');
  });

  it('refuses malformed dates and impossible times', () => {
    for (const bad of ['21/11/2026', '2026-02-30', '2026-11-21T25:00', 'yesterday', '2026-11-21T10:00+5']) {
      assert.throws(() => parseReceiptDate(bad, 'America/Chicago'), isFieldError('receiptDate'), bad);
    }
  });
});

describe('time zones', () => {
  it('accepts IANA names and Windows names, storing IANA', () => {
    assert.equal(resolveTimeZone('America/Chicago'), 'America/Chicago');
    assert.equal(resolveTimeZone('Central Standard Time'), 'America/Chicago');
    assert.equal(resolveTimeZone('eastern standard time'), 'America/New_York');
    assert.equal(resolveTimeZone('US Mountain Standard Time'), 'America/Phoenix');
    assert.equal(resolveTimeZone('Hawaiian Standard Time'), 'Pacific/Honolulu');
  });

  it('knows nothing of made-up zones', () => {
    assert.equal(resolveTimeZone('Mars/Olympus_Mons'), undefined);
    assert.equal(resolveTimeZone('Central Time'), undefined);
    assert.equal(resolveTimeZone(''), undefined);
  });
});

describe('invoice numbers and account masking', () => {
  it('takes the part before the dash of a multi-entity number', () => {
    assert.equal(parseInvoiceNumber('1234-1', 'x'), 1234);
    assert.equal(parseInvoiceNumber(1234, 'x'), 1234);
    assert.equal(parseInvoiceNumber(' 77 ', 'x'), 77);
    assert.throws(() => parseInvoiceNumber('12a', 'x'), isFieldError('x'));
    assert.throws(() => parseInvoiceNumber(0, 'x'), isFieldError('x'));
    assert.throws(() => parseInvoiceNumber('99999999999', 'x'), isFieldError('x'));
  });

  it('keeps only the last four digits of an account number', () => {
    assert.equal(maskAccountNumber('000123456789'), '6789');
    assert.equal(maskAccountNumber('12-34'), '1234');
    assert.equal(maskAccountNumber('ab'), null);
  });
});
