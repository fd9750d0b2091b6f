import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DomainError } from '../../src/kernel/errors.ts';
import { formatAmount, parseAmount, splitEvenly, toAmount } from '../../src/kernel/money.ts';

function rejection(value: unknown, options?: { allowZero?: boolean }): string {
  try {
    parseAmount(value, 'amount', options);
  } catch (error) {
    assert.ok(error instanceof DomainError);
    assert.equal(error.code, 'validation_failed');
    assert.equal(error.errors[0]?.path, 'amount');
    return error.errors[0]!.message;
  }
  assert.fail(`${String(value)} was accepted`);
}

describe('parseAmount', () => {
  it('parses numbers and strings with up to two decimals into cents', () => {
    assert.equal(parseAmount(123.45, 'a'), 12345n);
    assert.equal(parseAmount(0.1, 'a'), 10n);
    assert.equal(parseAmount(7, 'a'), 700n);
    assert.equal(parseAmount('19.9', 'a'), 1990n);
    assert.equal(parseAmount(999999999999.99, 'a'), 99999999999999n);
  });

  it('rejects three decimals, float noise, NaN, infinities, exponents and negatives', () => {
    assert.match(rejection(1.005), /at most 2 decimals/);
    assert.match(rejection(0.1 + 0.2), /at most 2 decimals/);
    assert.match(rejection(Number.NaN), /at most 2 decimals/);
    assert.match(rejection(Number.POSITIVE_INFINITY), /at most 2 decimals/);
    assert.match(rejection('1e3'), /at most 2 decimals/);
    assert.match(rejection(-5), /negative/);
    assert.match(rejection(1e15), /at most 2 decimals|larger/);
    assert.match(rejection(true), /at most 2 decimals/);
  });

  it('rejects zero unless allowed', () => {
    assert.match(rejection(0), /greater than 0/);
    assert.equal(parseAmount(0, 'a', { allowZero: true }), 0n);
  });
});

describe('toAmount and formatAmount', () => {
  it('round-trips cents to JSON numbers exactly', () => {
    for (const cents of [0n, 1n, 10n, 12345n, 99999999999999n]) {
      assert.equal(parseAmount(toAmount(cents), 'a', { allowZero: true }), cents);
    }
  });

  it('formats for people', () => {
    assert.equal(formatAmount(123450n), '$1,234.50');
    assert.equal(formatAmount(-5n), '-$0.05');
  });
});

describe('splitEvenly', () => {
  it('sums exactly to the total and puts the remainder on the first part', () => {
    assert.deepEqual(splitEvenly(100_00n, 3), [3334n, 3333n, 3333n]);
    assert.deepEqual(
      splitEvenly(5n, 12).reduce((a, b) => a + b, 0n),
      5n,
    );
    assert.deepEqual(splitEvenly(1200n, 1), [1200n]);
  });
});
