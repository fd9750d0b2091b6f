import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runOpenLoop } from '../../bench/open-loop.ts';

// The open loop issues rate × duration operations on its schedule, whatever the operations do,
// and never more at once than allowed (the rest wait their turn).
describe('open-loop load', () => {
  it('issues every scheduled operation once, in order, holding at most maxInFlight', async () => {
    const started: number[] = [];
    let inFlight = 0;
    let most = 0;
    const result = await runOpenLoop({ ratePerSecond: 400, durationMs: 50, maxInFlight: 2 }, async (sequence) => {
      started.push(sequence);
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight -= 1;
    });
    assert.deepEqual(
      started,
      Array.from({ length: 20 }, (_, i) => i),
    );
    assert.equal(result.operations, 20);
    assert.equal(result.errors, 0);
    assert.equal(result.histogram.count, 20);
    assert.ok(most <= 2 && result.peakInFlight <= 2, `at most 2 in flight, saw ${most}`);
    assert.equal(result.offeredPerSecond, 400);
  });

  it('counts failures and keeps their first message', async () => {
    const result = await runOpenLoop({ ratePerSecond: 1000, durationMs: 10, maxInFlight: 4 }, async (sequence) => {
      if (sequence % 2 === 1) throw new Error(`failed ${sequence}`);
    });
    assert.equal(result.operations + result.errors, 10);
    assert.equal(result.errors, 5);
    assert.equal(result.firstError, 'failed 1');
  });
});
