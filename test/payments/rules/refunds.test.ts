import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allocateRefund } from '../../../src/payments/rules/refunds.ts';

describe('allocateRefund', () => {
  const apps = [
    { invoiceId: 'a', appliedCents: 5_000n },
    { invoiceId: 'b', appliedCents: 3_000n },
  ];

  it('takes back On Account first, then the last application', () => {
    assert.deepEqual(allocateRefund(1_000n, apps, 0n, 2_500n), [
      { invoiceId: null, cents: 1_000n },
      { invoiceId: 'b', cents: 1_500n },
    ]);
  });

  it('continues where earlier refunds stopped', () => {
    assert.deepEqual(allocateRefund(1_000n, apps, 2_500n, 3_000n), [
      { invoiceId: 'b', cents: 1_500n },
      { invoiceId: 'a', cents: 1_500n },
    ]);
    assert.deepEqual(allocateRefund(1_000n, apps, 5_500n, 3_500n), [{ invoiceId: 'a', cents: 3_500n }]);
  });

  it('refuses more than the payment brought in', () => {
    assert.throws(() => allocateRefund(0n, apps, 7_000n, 1_001n), RangeError);
    assert.throws(() => allocateRefund(0n, apps, 0n, 0n), RangeError);
  });
});
