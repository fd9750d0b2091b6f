import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { frequencies, scheduleInstallments } from '../../../src/agency/rules/installments.ts';
import { addDays, addMonths, dateInZone, daysBetween, isCalendarDate } from '../../../src/kernel/calendar.ts';

describe('calendar', () => {
  it('validates dates', () => {
    assert.ok(isCalendarDate('2028-02-29'));
    assert.ok(!isCalendarDate('2026-02-29'));
    assert.ok(!isCalendarDate('2026-13-01'));
    assert.ok(!isCalendarDate('2026-1-01'));
  });

  it('adds months clamped to the end of the month', () => {
    assert.equal(addMonths('2026-01-31', 1), '2026-02-28');
    assert.equal(addMonths('2028-01-31', 1), '2028-02-29');
    assert.equal(addMonths('2026-01-31', 2), '2026-03-31');
    assert.equal(addMonths('2026-11-15', 3), '2027-02-15');
    assert.equal(addDays('2026-12-30', 3), '2027-01-02');
    assert.equal(daysBetween('2026-11-11', '2026-11-21'), 10);
  });

  it('takes the date in a time zone', () => {
    const instant = new Date('2026-11-21T03:30:00Z');
    assert.equal(dateInZone(instant, 'America/Chicago'), '2026-11-20');
    assert.equal(dateInZone(instant, 'Europe/Paris'), '2026-11-21');
  });
});

describe('scheduleInstallments', () => {
  it('bills monthly from the effective date with the remainder on the first', () => {
    const schedule = scheduleInstallments(100_000n, 3, 'monthly', '2026-01-31');
    assert.deepEqual(schedule, [
      { sequence: 1, dueDate: '2026-01-31', amountCents: 33_334n },
      { sequence: 2, dueDate: '2026-02-28', amountCents: 33_333n },
      { sequence: 3, dueDate: '2026-03-31', amountCents: 33_333n },
    ]);
  });

  it('spaces quarterly and weekly plans', () => {
    assert.deepEqual(
      scheduleInstallments(400n, 4, 'quarterly', '2026-01-15').map((i) => i.dueDate),
      ['2026-01-15', '2026-04-15', '2026-07-15', '2026-10-15'],
    );
    assert.deepEqual(
      scheduleInstallments(300n, 3, 'biweekly', '2026-01-01').map((i) => i.dueDate),
      ['2026-01-01', '2026-01-15', '2026-01-29'],
    );
  });

  it('always sums exactly to the premium (property)', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10_000_000_00n }),
        fc.integer({ min: 1, max: 52 }),
        fc.constantFrom(...frequencies),
        (premium, count, frequency) => {
          const schedule = scheduleInstallments(premium, count, frequency, '2026-03-31');
          assert.equal(schedule.length, count);
          assert.equal(
            schedule.reduce((total, i) => total + i.amountCents, 0n),
            premium,
          );
          for (let i = 1; i < schedule.length; i++) assert.ok(schedule[i]!.dueDate > schedule[i - 1]!.dueDate);
        },
      ),
    );
  });
});
