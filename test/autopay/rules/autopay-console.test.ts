import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  dueDays,
  dueForecastWindow,
  isFailedPull,
  refireRefusal,
  summarizeRun,
} from '../../../src/autopay/rules/autopay-console.ts';
import { addDays, dateInZone } from '../../../src/kernel/calendar.ts';

const bucket = (iso: string, count = 1, amountCents = 100n) => ({ at: new Date(iso), count, amountCents });

describe('the pulls due per agency day', () => {
  it("starts at the agency's today, not UTC's, and puts each pull on its local day", () => {
    // 04:00 UTC on 1 March is 22:00 on 28 February in Chicago.
    const now = new Date('2026-03-01T04:00:00Z');
    const days = dueDays(
      [
        bucket('2026-03-01T03:00:00Z', 2, 500n), // 28 Feb, 21:00 local: today
        bucket('2026-03-06T05:45:00Z', 1, 250n), // 5 Mar, 23:45 local
        bucket('2026-03-06T06:00:00Z', 1, 100n), // 6 Mar, 00:00 local
        bucket('2026-03-14T06:00:00Z', 9, 900n), // 14 Mar local: the 15th day, not shown
      ],
      now,
      'America/Chicago',
    );
    assert.equal(days.length, 14);
    assert.deepEqual(days[0], { date: '2026-02-28', count: 2, amountCents: 500n });
    assert.deepEqual(
      days.filter((d) => d.count > 0).map((d) => [d.date, d.count, d.amountCents]),
      [
        ['2026-02-28', 2, 500n],
        ['2026-03-05', 1, 250n],
        ['2026-03-06', 1, 100n],
      ],
    );
    assert.equal(days[13]!.date, '2026-03-13');
  });

  it('reads a window that holds every instant of the days shown, in any zone', () => {
    const zones = ['Pacific/Kiritimati', 'Pacific/Pago_Pago', 'Asia/Kathmandu', 'America/Chicago', 'UTC'];
    fc.assert(
      fc.property(
        fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2090-01-01T00:00:00Z'), noInvalidDate: true }),
        fc.constantFrom(...zones),
        fc.integer({ min: 0, max: 14 * 96 }),
        (now, zone, quarter) => {
          const { from, to } = dueForecastWindow(now);
          const today = dateInZone(now, zone);
          // Any instant whose local date is within the 14 days lies in the window.
          const probe = new Date(from.getTime() - 86_400_000 + quarter * 15 * 60_000 * 2);
          const date = dateInZone(probe, zone);
          if (date >= today && date <= addDays(today, 13)) {
            return probe.getTime() >= from.getTime() && probe.getTime() < to.getTime();
          }
          return true;
        },
      ),
    );
  });
});

describe('which pulls may be fired again', () => {
  it('a failed firing or a declined payment, with an open balance', () => {
    assert.equal(isFailedPull({ firingStatus: 'failed', paymentState: null }), true);
    assert.equal(isFailedPull({ firingStatus: 'payment_created', paymentState: 'failed' }), true);
    for (const state of ['requested', 'executing', 'posted', 'cancelled', 'reversed']) {
      assert.equal(isFailedPull({ firingStatus: 'payment_created', paymentState: state }), false, state);
    }
    assert.equal(refireRefusal({ firingStatus: 'payment_created', paymentState: 'failed' }, 100n), null);
    assert.match(refireRefusal({ firingStatus: 'payment_created', paymentState: 'failed' }, 0n)!, /paid meanwhile/);
    assert.match(
      refireRefusal({ firingStatus: 'payment_created', paymentState: 'posted' }, 100n)!,
      /payment_created \(payment posted\)/,
    );
    assert.match(refireRefusal({ firingStatus: 'receipt_posted', paymentState: null }, 100n)!, /only a failed/);
    assert.match(refireRefusal({ firingStatus: 'retry_due', paymentState: null }, 100n)!, /only a failed/);
  });
});

describe("a pass's summary", () => {
  it('counts posted payments and receipts as posted, failed firings and declines as failed', () => {
    assert.deepEqual(
      summarizeRun({
        examined: 9,
        fired: 6,
        receiptsPosted: 1,
        failed: 1,
        skipped: { suppressed: 2, 'ineligible:policy_expired': 1 },
        paymentsPosted: 3,
        paymentsFailed: 1,
      }),
      { due: 9, fired: 6, posted: 4, failed: 2, skipped: 3 },
    );
  });
});
