import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { scheduleInstallments } from '../../../src/agency/rules/installments.ts';
import { installmentAutopayTime, invoiceAutopayTime, zonedWallTime } from '../../../src/autopay/rules/autopay-time.ts';
import { dateInZone } from '../../../src/kernel/calendar.ts';

const CHICAGO = 'America/Chicago';
const at = (iso: string) => new Date(iso).toISOString();
const time = (dueDate: string, leadDays: number | null, hour = 6, timeZone = CHICAGO) =>
  installmentAutopayTime(dueDate, { leadDays, hour, timeZone })?.toISOString() ?? null;

/** The zone's wall clock at an instant, as 'YYYY-MM-DD HH:mm'. */
function wallClock(instant: Date, timeZone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
    })
      .formatToParts(instant)
      .map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
}

describe('autopay times', () => {
  it('is the due date minus the lead days at 06:00 agency time by default', () => {
    // Chicago is UTC−6 in winter (CST) and UTC−5 in summer (CDT).
    assert.equal(time('2026-01-20', 5), at('2026-01-15T12:00:00Z'));
    assert.equal(time('2026-07-20', 5), at('2026-07-15T11:00:00Z'));
    assert.equal(time('2026-07-20', 0), at('2026-07-20T11:00:00Z'));
    assert.equal(time('2026-07-20', 5, 0), at('2026-07-15T05:00:00Z'));
    assert.equal(time('2026-07-20', 5, 23), at('2026-07-16T04:00:00Z'));
  });

  it('crosses month and year ends', () => {
    assert.equal(time('2026-03-01', 3), at('2026-02-26T12:00:00Z'));
    assert.equal(time('2026-05-02', 5), at('2026-04-27T11:00:00Z'));
    assert.equal(time('2027-01-02', 5), at('2026-12-28T12:00:00Z'));
    assert.equal(time('2026-12-31', 31), at('2026-11-30T12:00:00Z'));
    assert.equal(time('2026-03-31', 31), at('2026-02-28T12:00:00Z'));
  });

  it('lands on a leap day when there is one, and on Feb 28 when there is not', () => {
    assert.equal(time('2028-03-01', 1), at('2028-02-29T12:00:00Z'));
    assert.equal(time('2028-03-01', 2), at('2028-02-28T12:00:00Z'));
    assert.equal(time('2027-03-01', 1), at('2027-02-28T12:00:00Z'));
    assert.equal(time('2028-02-29', 0), at('2028-02-29T12:00:00Z'));
    // Monthly installments from Jan 31 in a leap year: due Feb 29, autopay three days earlier.
    const schedule = scheduleInstallments(30_000n, 3, 'monthly', '2028-01-31');
    assert.deepEqual(
      schedule.map((i) => i.dueDate),
      ['2028-01-31', '2028-02-29', '2028-03-31'],
    );
    assert.deepEqual(
      schedule.map((i) => time(i.dueDate, 3)),
      [at('2028-01-28T12:00:00Z'), at('2028-02-26T12:00:00Z'), at('2028-03-28T11:00:00Z')],
    );
  });

  it('keeps 06:00 local across the spring-forward change', () => {
    // 2026-03-08: Chicago's clocks jump from 02:00 CST to 03:00 CDT.
    assert.equal(time('2026-03-09', 2), at('2026-03-07T12:00:00Z'));
    assert.equal(time('2026-03-10', 2), at('2026-03-08T11:00:00Z'));
    assert.equal(time('2026-03-11', 2), at('2026-03-09T11:00:00Z'));
    for (const due of ['2026-03-09', '2026-03-10', '2026-03-11']) {
      assert.equal(wallClock(new Date(time(due, 2)!), CHICAGO).slice(11), '06:00', due);
    }
    // The day of the change is 23 hours long.
    const before = new Date(time('2026-03-10', 3)!).getTime();
    const after = new Date(time('2026-03-10', 2)!).getTime();
    assert.equal(after - before, 23 * 3_600_000);
  });

  it('keeps 06:00 local across the fall-back change', () => {
    // 2026-11-01: Chicago's clocks go back from 02:00 CDT to 01:00 CST.
    assert.equal(time('2026-11-02', 2), at('2026-10-31T11:00:00Z'));
    assert.equal(time('2026-11-03', 2), at('2026-11-01T12:00:00Z'));
    assert.equal(wallClock(new Date(time('2026-11-03', 2)!), CHICAGO), '2026-11-01 06:00');
    const before = new Date(time('2026-11-03', 3)!).getTime();
    const after = new Date(time('2026-11-03', 2)!).getTime();
    assert.equal(after - before, 25 * 3_600_000);
  });

  it('moves an hour that does not exist (spring-forward gap) to the moment the clocks jump', () => {
    assert.equal(zonedWallTime('2026-03-08', 2, CHICAGO).toISOString(), at('2026-03-08T08:00:00Z'));
    assert.equal(wallClock(zonedWallTime('2026-03-08', 2, CHICAGO), CHICAGO), '2026-03-08 03:00');
    // Europe/London jumps 01:00 → 02:00; Santiago skips midnight.
    assert.equal(wallClock(zonedWallTime('2026-03-29', 1, 'Europe/London'), 'Europe/London'), '2026-03-29 02:00');
    assert.equal(wallClock(zonedWallTime('2026-09-06', 0, 'America/Santiago'), 'America/Santiago'), '2026-09-06 01:00');
  });

  it('takes the first of an hour that happens twice (fall-back overlap)', () => {
    // 01:00 happens at 06:00Z (CDT) and again at 07:00Z (CST).
    assert.equal(zonedWallTime('2026-11-01', 1, CHICAGO).toISOString(), at('2026-11-01T06:00:00Z'));
    // Sydney goes back from 03:00 to 02:00 on 2026-04-05.
    assert.equal(zonedWallTime('2026-04-05', 2, 'Australia/Sydney').toISOString(), at('2026-04-04T15:00:00Z'));
  });

  it('works in zones with half-hour and southern-hemisphere offsets', () => {
    assert.equal(time('2026-04-10', 5, 6, 'Asia/Kolkata'), at('2026-04-05T00:30:00Z'));
    assert.equal(time('2026-01-10', 5, 6, 'Australia/Sydney'), at('2026-01-04T19:00:00Z'));
    assert.equal(time('2026-07-10', 5, 6, 'Australia/Sydney'), at('2026-07-04T20:00:00Z'));
  });

  it('is on the autopay day at the hour in every zone, for any date and hour (property)', () => {
    const zones = ['America/Chicago', 'America/New_York', 'America/Phoenix', 'Europe/London', 'Australia/Sydney'];
    fc.assert(
      fc.property(
        fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2060-12-31T00:00:00Z'), noInvalidDate: true }),
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 0, max: 23 }),
        fc.constantFrom(...zones),
        (date, leadDays, hour, zone) => {
          const due = date.toISOString().slice(0, 10);
          const result = installmentAutopayTime(due, { leadDays, hour, timeZone: zone })!;
          const wall = wallClock(result, zone);
          const expectedDay = new Date(Date.UTC(+due.slice(0, 4), +due.slice(5, 7) - 1, +due.slice(8, 10) - leadDays))
            .toISOString()
            .slice(0, 10);
          assert.equal(dateInZone(result, zone), expectedDay);
          // In these zones the hour exists, except in a spring-forward gap, where it moves one hour on.
          const shown = Number(wall.slice(11, 13));
          assert.ok(shown === hour || shown === hour + 1, `${due} −${leadDays}d ${hour}:00 ${zone} → ${wall}`);
          assert.equal(wall.slice(14), '00');
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('has no autopay time for a plan without lead days, and refuses nonsense', () => {
    assert.equal(time('2026-07-20', null), null);
    assert.throws(() => time('2026-07-20', -1), RangeError);
    assert.throws(() => time('2026-07-20', 1.5), RangeError);
    assert.throws(() => time('2026-07-20', 1, 24), RangeError);
  });

  it("gives an invoice the earliest of its installments' autopay times", () => {
    const a = new Date('2026-03-05T12:00:00Z');
    const b = new Date('2026-03-02T12:00:00Z');
    const c = new Date('2026-03-09T11:00:00Z');
    assert.equal(invoiceAutopayTime([a, b, c]), b);
    assert.equal(invoiceAutopayTime([null, c, null, a]), a);
    assert.equal(invoiceAutopayTime([a]), a);
    assert.equal(invoiceAutopayTime([null, null]), null);
    assert.equal(invoiceAutopayTime([]), null);
  });
});
