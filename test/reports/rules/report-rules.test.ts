import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DomainError } from '../../../src/kernel/errors.ts';
import { autopayOutcomes, successRate } from '../../../src/reports/rules/autopay-outcomes.ts';
import { collectionChannel, collectionsByDay } from '../../../src/reports/rules/collections.ts';
import { type DepositReceipt, depositSlips } from '../../../src/reports/rules/deposits.ts';
import { collectionsCsv, depositCsvRows } from '../../../src/reports/rules/report-csv.ts';
import { daysOf, reportRange } from '../../../src/reports/rules/report-range.ts';

describe('report ranges', () => {
  it('defaults to the days ending today and refuses a backward or too long range, naming the field', () => {
    assert.deepEqual(reportRange({}, '2026-03-10', 30), { from: '2026-02-09', to: '2026-03-10' });
    assert.deepEqual(reportRange({ to: '2026-03-01' }, '2026-03-10', 1), { from: '2026-03-01', to: '2026-03-01' });
    assert.throws(
      () => reportRange({ from: '2026-03-11', to: '2026-03-10' }, '2026-03-10', 30),
      (e: unknown) => e instanceof DomainError && /querystring\/from: must be on or before to/.test(e.message),
    );
    assert.doesNotThrow(() => reportRange({ from: '2026-03-01', to: '2026-03-31' }, '2026-03-10', 1, 31));
    assert.throws(() => reportRange({ from: '2026-03-01', to: '2026-04-01' }, '2026-03-10', 1, 31), DomainError);
    assert.deepEqual(daysOf('2026-02-27', '2026-03-02'), ['2026-02-27', '2026-02-28', '2026-03-01', '2026-03-02']);
  });
});

describe('collections per day', () => {
  it("names a receipt's channel by its payment's, else autopay or manual", () => {
    assert.equal(collectionChannel('payment', 'secure_checkout'), 'secure_checkout');
    assert.equal(collectionChannel('payment', 'agent_sweep'), 'agent_sweep');
    assert.equal(collectionChannel('autopay', null), 'autopay');
    assert.equal(collectionChannel('api', null), 'manual');
    assert.equal(collectionChannel('import', null), 'manual');
  });

  it('adds the groups by day, channel and method, with every day of the range and the totals', () => {
    const report = collectionsByDay(
      [
        { day: '2026-03-01', channel: 'manual', method: 'Check', count: 2, amountCents: 300_00n },
        { day: '2026-03-01', channel: 'autopay', method: 'EFT', count: 1, amountCents: 99_99n },
        { day: '2026-03-03', channel: 'manual', method: 'Cash', count: 1, amountCents: 1n },
        { day: '2026-04-01', channel: 'manual', method: 'Cash', count: 1, amountCents: 7n },
      ],
      '2026-03-01',
      '2026-03-03',
    );
    assert.deepEqual(report.methods, ['Cash', 'Check', 'EFT']);
    assert.deepEqual(
      report.days.map((d) => [d.day, d.count, d.totalCents]),
      [
        ['2026-03-01', 3, 399_99n],
        ['2026-03-02', 0, 0n],
        ['2026-03-03', 1, 1n],
      ],
    );
    assert.deepEqual(report.days[0]!.byChannel, {
      agent_sweep: 0n,
      secure_checkout: 0n,
      autopay: 99_99n,
      manual: 300_00n,
    });
    assert.deepEqual(report.totals.byMethod, { Cash: 1n, Check: 300_00n, EFT: 99_99n });
    assert.equal(report.totals.totalCents, 400_00n);
    const csv = collectionsCsv(report);
    assert.deepEqual(csv.header, [
      'date',
      'count',
      'total',
      'agent_sweep',
      'secure_checkout',
      'autopay',
      'manual',
      'Cash',
      'Check',
      'EFT',
    ]);
    assert.deepEqual(csv.rows.at(-1), [
      'TOTAL',
      '4',
      '400.00',
      '0.00',
      '0.00',
      '99.99',
      '300.01',
      '0.01',
      '300.00',
      '99.99',
    ]);
  });
});

describe('the daily deposit report', () => {
  const receipt = (
    bank: string,
    date: string,
    number: number,
    cents: bigint,
    status: 'posted' | 'reversed' = 'posted',
  ): DepositReceipt => ({
    bankShortName: bank,
    bankName: `${bank} Bank`,
    receiptDate: date,
    receiptNumber: number,
    customerNumber: 7,
    customerName: '=Ann',
    paymentCheckType: 'Check',
    payerCheckNumber: '1001',
    amountCents: cents,
    status,
  });

  it('groups by bank, then day, receipts in number order, with each total (a reversed receipt stays on its day)', () => {
    const slips = depositSlips([
      receipt('OPER', '2026-03-02', 5, 10_00n),
      receipt('NORTH', '2026-03-01', 2, 1_50n, 'reversed'),
      receipt('OPER', '2026-03-01', 4, 20_00n),
      receipt('OPER', '2026-03-01', 3, 30_01n),
    ]);
    assert.equal(slips.totalCents, 61_51n);
    assert.equal(slips.count, 4);
    assert.deepEqual(
      slips.banks.map((b) => [
        b.bankShortName,
        b.totalCents,
        b.days.map((d) => [d.date, d.receipts.map((r) => r.receiptNumber), d.totalCents]),
      ]),
      [
        ['NORTH', 1_50n, [['2026-03-01', [2], 1_50n]]],
        [
          'OPER',
          60_01n,
          [
            ['2026-03-01', [3, 4], 50_01n],
            ['2026-03-02', [5], 10_00n],
          ],
        ],
      ],
    );
    const rows = depositCsvRows(slips.banks);
    assert.deepEqual(rows[0], [
      'NORTH',
      'NORTH Bank',
      '2026-03-01',
      'receipt',
      '2',
      '7',
      "'=Ann",
      'Check',
      '1001',
      'reversed',
      '1.50',
    ]);
    assert.deepEqual(rows[1], ['NORTH', 'NORTH Bank', '2026-03-01', 'day total', '', '', '', '', '', '', '1.50']);
    assert.deepEqual(rows.at(-1), ['OPER', 'OPER Bank', '', 'bank total', '', '', '', '', '', '', '60.01']);
  });
});

describe('autopay outcomes', () => {
  it('rates succeeded over ended attempts, to one decimal', () => {
    assert.equal(successRate(0, 0), null);
    assert.equal(successRate(2, 1), 66.7);
    assert.equal(successRate(1, 0), 100);
  });

  it('counts attempts per day and declines by code, most frequent first', () => {
    const report = autopayOutcomes(
      [
        { day: '2026-03-01', status: 'succeeded', declineCode: null, count: 3 },
        { day: '2026-03-01', status: 'declined', declineCode: 'insufficient_funds', count: 1 },
        { day: '2026-03-02', status: 'declined', declineCode: 'card_declined', count: 1 },
        { day: '2026-03-02', status: 'declined', declineCode: null, count: 1 },
        { day: '2026-03-02', status: 'declined', declineCode: 'insufficient_funds', count: 1 },
        { day: '2026-03-02', status: 'pending', declineCode: null, count: 2 },
      ],
      '2026-03-01',
      '2026-03-03',
    );
    assert.deepEqual(
      report.days.map((d) => [d.day, d.attempts, d.succeeded, d.declined, d.successRate]),
      [
        ['2026-03-01', 4, 3, 1, 75],
        ['2026-03-02', 5, 0, 3, 0],
        ['2026-03-03', 0, 0, 0, null],
      ],
    );
    assert.deepEqual(report.days[1]!.declines, { card_declined: 1, unspecified: 1, insufficient_funds: 1 });
    assert.deepEqual(report.reasons, [
      { code: 'insufficient_funds', count: 2 },
      { code: 'card_declined', count: 1 },
      { code: 'unspecified', count: 1 },
    ]);
    assert.equal(report.totals.successRate, 42.9);
  });
});
