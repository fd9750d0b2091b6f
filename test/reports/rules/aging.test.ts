import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { addDays } from '../../../src/kernel/calendar.ts';
import {
  addAging,
  agingBucket,
  agingCutoffs,
  agingTotal,
  daysPastDue,
  emptyAging,
} from '../../../src/reports/rules/aging.ts';

/** The bucket the SQL finds: the first whose cutoff the due date is on or after. */
const bucketByCutoffs = (dueDate: string, asOf: string) =>
  agingCutoffs(asOf).find((c) => c.dueOnOrAfter === null || dueDate >= c.dueOnOrAfter)!.bucket;

describe('AR aging buckets', () => {
  it('puts each boundary day in its bucket', () => {
    const asOf = '2026-03-31';
    const cases: [number, string][] = [
      [-10, 'current'],
      [0, 'current'],
      [1, '1-30'],
      [30, '1-30'],
      [31, '31-60'],
      [60, '31-60'],
      [61, '61-90'],
      [90, '61-90'],
      [91, '90+'],
      [400, '90+'],
    ];
    for (const [days, bucket] of cases) {
      const due = addDays(asOf, -days);
      assert.equal(daysPastDue(due, asOf), days);
      assert.equal(agingBucket(due, asOf), bucket, `${days} days past due`);
      assert.equal(bucketByCutoffs(due, asOf), bucket, `${days} days past due, by the cutoffs`);
    }
  });

  it('counts calendar days across a month end and a leap day', () => {
    assert.equal(daysPastDue('2028-02-28', '2028-03-01'), 2);
    assert.equal(agingBucket('2028-01-31', '2028-03-01'), '1-30');
    assert.equal(agingBucket('2028-01-30', '2028-03-01'), '31-60');
  });

  it('the cutoffs the query uses agree with the bucket of every invoice', () => {
    const date = fc
      .date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2030-12-31T00:00:00Z'), noInvalidDate: true })
      .map((d) => d.toISOString().slice(0, 10));
    fc.assert(
      fc.property(date, fc.integer({ min: -200, max: 500 }), (asOf, days) => {
        const due = addDays(asOf, -days);
        return agingBucket(due, asOf) === bucketByCutoffs(due, asOf);
      }),
    );
  });

  it('adds amounts bucket by bucket, in cents', () => {
    const a = { ...emptyAging(), current: 10_00n, '90+': 5n };
    const b = { ...emptyAging(), current: 1n, '31-60': 250_00n };
    const total = addAging([a, b]);
    assert.deepEqual(total, { current: 10_01n, '1-30': 0n, '31-60': 250_00n, '61-90': 0n, '90+': 5n });
    assert.equal(agingTotal(total), 260_06n);
    assert.deepEqual(addAging([]), emptyAging());
  });
});
