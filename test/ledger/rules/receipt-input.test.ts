import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WINDOWS_TO_IANA_MAP } from 'windows-iana';
import { isTimeZone } from '../../../src/kernel/calendar.ts';
import { DomainError } from '../../../src/kernel/errors.ts';
import { resolveTimeZone, windowsTimeZone } from '../../../src/kernel/time-zones.ts';
import {
  camelCaseReceiptFields,
  checkFields,
  checkReceiptDateWindow,
  maskAccountNumber,
  parseInvoiceNumber,
  parsePaymentCheckType,
  parseReceiptDate,
} from '../../../src/ledger/rules/receipt-input.ts';

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

  it('accepts every Windows zone ID of the CLDR table, in any case, as a real IANA zone', () => {
    const ids = new Set(WINDOWS_TO_IANA_MAP.map((entry) => entry.windowsName));
    assert.ok(ids.size > 130, `only ${ids.size} Windows IDs`);
    for (const id of ids) {
      const zone = resolveTimeZone(id);
      assert.ok(zone && isTimeZone(zone), id);
      assert.equal(resolveTimeZone(id.toUpperCase()), zone, id);
    }
    assert.equal(resolveTimeZone('SE Asia Standard Time'), 'Asia/Bangkok');
  });

  it('reads US abbreviations as the Windows "X Standard Time" zones: EST is New York, not Panama', () => {
    assert.equal(resolveTimeZone('EST'), 'America/New_York');
    assert.equal(resolveTimeZone('edt'), 'America/New_York');
    assert.equal(resolveTimeZone('CST'), 'America/Chicago');
    assert.equal(resolveTimeZone('MST'), 'America/Denver');
    assert.equal(resolveTimeZone('PST'), 'America/Los_Angeles');
    assert.equal(resolveTimeZone('HST'), 'Pacific/Honolulu');
  });

  it('gives back the Windows ID for an IANA zone (the AMS360 export)', () => {
    assert.equal(windowsTimeZone('America/Chicago'), 'Central Standard Time');
    assert.equal(windowsTimeZone('Asia/Bangkok'), 'SE Asia Standard Time');
    assert.equal(windowsTimeZone('Asia/Kolkata'), 'India Standard Time');
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

describe('AMS360 field spellings, check fields and the date window', () => {
  it('renames PascalCase fields of the receipt and its items, leaving others to the schema', () => {
    assert.deepEqual(
      camelCaseReceiptFields({ CustomerNumber: 1, InvoiceInformations: [{ PaymentAmount: 2 }], Other: 3 }),
      { customerNumber: 1, invoiceInformations: [{ paymentAmount: 2 }], Other: 3 },
    );
    assert.throws(
      () => camelCaseReceiptFields({ receiptDate: 'a', ReceiptDate: 'b' }),
      (e: unknown) => e instanceof DomainError && e.errors.map((x) => x.path).join() === 'receiptDate,ReceiptDate',
    );
  });

  it('reads the check fields only for a Check', () => {
    assert.deepEqual(checkFields('Cash', { payerCheckNumber: {}, payerBankAccountNumber: 'x'.repeat(99) }), {
      payerBankAccountNumber: undefined,
      payerCheckNumber: undefined,
    });
    assert.deepEqual(checkFields('Check', { payerCheckNumber: ' 12 ', payerBankAccountNumber: '' }), {
      payerBankAccountNumber: undefined,
      payerCheckNumber: '12',
    });
    assert.throws(() => checkFields('Check', { payerCheckNumber: true }), isFieldError('payerCheckNumber'));
  });

  it('keeps receipt dates within 5 years back and 7 days ahead, month ends clamped', () => {
    checkReceiptDateWindow('2019-02-28', '2024-02-29');
    checkReceiptDateWindow('2024-03-07', '2024-02-29');
    assert.throws(() => checkReceiptDateWindow('2019-02-27', '2024-02-29'), isFieldError('receiptDate'));
    assert.throws(() => checkReceiptDateWindow('2024-03-08', '2024-02-29'), isFieldError('receiptDate'));
  });
});
