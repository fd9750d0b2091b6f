import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CARD_DEBIT_MASTERCARD,
  CARD_PREPAID,
  CARD_SUCCEEDS,
  cardFunding,
} from '../../../src/payments/processors/sandbox/test-numbers.ts';
import { ACH_FIXED_FEE_RULE, decideFee, type FeeRule, noFeeText } from '../../../src/payments/rules/card-fees.ts';
import { refundFeeCents } from '../../../src/payments/rules/refunds.ts';

const rules: FeeRule[] = [
  { id: 'visa-credit-cap', scope: 'network', funding: 'credit', allowed: true, maxPercentBasisPoints: 300 },
  { id: 'visa-debit', scope: 'network', funding: 'debit', allowed: false, maxPercentBasisPoints: null },
  { id: 'visa-prepaid', scope: 'network', funding: 'prepaid', allowed: false, maxPercentBasisPoints: null },
  { id: 'ct-credit', scope: 'CT', funding: 'credit', allowed: false, maxPercentBasisPoints: null },
  { id: 'xx-credit-cap', scope: 'XX', funding: 'credit', allowed: true, maxPercentBasisPoints: 200 },
  { id: 'yy-ach', scope: 'YY', funding: 'bank_account', allowed: false, maxPercentBasisPoints: null },
];
const card = { percentBasisPoints: 250, fixedCents: 0n, capCents: null };
const base = { methodKind: 'card' as const, setting: card, rules, state: 'TX', funding: 'credit' as const };

describe('decideFee', () => {
  it('charges a credit card the percent, rounded half up, under the network rule', () => {
    // 2.5 % of $100.10 = 250.25 cents → 250; of $100.30 = 250.75 → 251; of $100.20 = 250.5 → 251 (half up).
    assert.deepEqual(decideFee({ ...base, amountCents: 10_010n }), {
      charged: true,
      feeCents: 250n,
      ruleId: 'visa-credit-cap',
    });
    assert.deepEqual(decideFee({ ...base, amountCents: 10_030n }), {
      charged: true,
      feeCents: 251n,
      ruleId: 'visa-credit-cap',
    });
    assert.deepEqual(decideFee({ ...base, amountCents: 10_020n }), {
      charged: true,
      feeCents: 251n,
      ruleId: 'visa-credit-cap',
    });
  });

  it('adds the fixed part and holds the agency cap', () => {
    const setting = { percentBasisPoints: 200, fixedCents: 30n, capCents: 500n };
    assert.deepEqual(decideFee({ ...base, setting, amountCents: 10_000n }), {
      charged: true,
      feeCents: 230n,
      ruleId: 'visa-credit-cap',
    });
    const capped = decideFee({ ...base, setting, amountCents: 100_000n });
    assert.deepEqual(capped, { charged: true, feeCents: 500n, ruleId: 'visa-credit-cap' });
  });

  it('never exceeds the network cap of 3 %, rounding the cap down', () => {
    const setting = { percentBasisPoints: 500, fixedCents: 100n, capCents: null };
    // 3 % of $10.01 = 30.03 cents → 30.
    assert.deepEqual(decideFee({ ...base, setting, amountCents: 1_001n }), {
      charged: true,
      feeCents: 30n,
      ruleId: 'visa-credit-cap',
    });
  });

  it('a state cap below the network cap binds and is the rule recorded', () => {
    const setting = { percentBasisPoints: 300, fixedCents: 0n, capCents: null };
    assert.deepEqual(decideFee({ ...base, setting, state: 'xx', amountCents: 10_000n }), {
      charged: true,
      feeCents: 200n,
      ruleId: 'xx-credit-cap',
    });
  });

  it('refuses where the state forbids it', () => {
    assert.deepEqual(decideFee({ ...base, state: 'CT', amountCents: 10_000n }), {
      charged: false,
      reason: 'forbidden',
      ruleId: 'ct-credit',
    });
  });

  it('refuses debit, prepaid and unknown cards, even if the table allowed them', () => {
    const permissive: FeeRule[] = [
      ...rules.filter((r) => r.funding === 'credit'),
      { id: 'bad', scope: 'network', funding: 'debit', allowed: true, maxPercentBasisPoints: 300 },
    ];
    assert.deepEqual(decideFee({ ...base, funding: 'debit', amountCents: 10_000n }), {
      charged: false,
      reason: 'debit_card',
      ruleId: 'visa-debit',
    });
    assert.equal(decideFee({ ...base, rules: permissive, funding: 'debit', amountCents: 10_000n }).charged, false);
    assert.deepEqual(decideFee({ ...base, funding: 'prepaid', amountCents: 10_000n }), {
      charged: false,
      reason: 'prepaid_card',
      ruleId: 'visa-prepaid',
    });
    const unknown = decideFee({ ...base, funding: 'unknown', amountCents: 10_000n });
    assert.deepEqual(unknown, { charged: false, reason: 'funding_unknown', ruleId: 'visa-debit' });
    assert.equal(decideFee({ ...base, funding: null, amountCents: 10_000n }).charged, false);
  });

  it('refuses without a setting, without a state, or without a network rule allowing credit', () => {
    assert.deepEqual(decideFee({ ...base, setting: null, amountCents: 10_000n }), {
      charged: false,
      reason: 'no_fee_setting',
      ruleId: null,
    });
    const zero = { percentBasisPoints: 0, fixedCents: 0n, capCents: null };
    assert.equal(decideFee({ ...base, setting: zero, amountCents: 10_000n }).charged, false);
    assert.deepEqual(decideFee({ ...base, state: null, amountCents: 10_000n }), {
      charged: false,
      reason: 'state_unknown',
      ruleId: null,
    });
    const noNetwork = rules.filter((r) => r.scope !== 'network');
    assert.deepEqual(decideFee({ ...base, rules: noNetwork, amountCents: 10_000n }), {
      charged: false,
      reason: 'no_allowing_rule',
      ruleId: null,
    });
  });

  it('a fee that rounds to nothing is no fee', () => {
    const setting = { percentBasisPoints: 10, fixedCents: 0n, capCents: null };
    assert.equal(decideFee({ ...base, setting, amountCents: 4n }).charged, false);
  });

  it('a bank account pays only the fixed fee, unless a rule forbids it', () => {
    const setting = { percentBasisPoints: 250, fixedCents: 150n, capCents: null };
    const ach = { ...base, methodKind: 'ach' as const, funding: null, setting };
    assert.deepEqual(decideFee({ ...ach, amountCents: 10_000n }), {
      charged: true,
      feeCents: 150n,
      ruleId: ACH_FIXED_FEE_RULE,
    });
    assert.deepEqual(decideFee({ ...ach, state: 'YY', amountCents: 10_000n }), {
      charged: false,
      reason: 'forbidden',
      ruleId: 'yy-ach',
    });
    const percentOnly = { ...setting, fixedCents: 0n };
    assert.equal(decideFee({ ...ach, setting: percentOnly, amountCents: 10_000n }).charged, false);
  });

  it('says why there is no fee', () => {
    assert.equal(noFeeText('debit_card'), 'No fee on debit cards.');
  });
});

describe('refundFeeCents', () => {
  it('returns the fee pro rata, and all of it once everything is refunded', () => {
    const base = { feeCents: 300n, amountCents: 10_000n, refundedCents: 0n, refundedFeeCents: 0n };
    assert.equal(refundFeeCents({ ...base, refundCents: 5_000n }), 150n);
    // A third, then a third, then the rest: 100 + 100 + 100, never a cent more or less in all.
    const first = refundFeeCents({ ...base, refundCents: 3_333n });
    const second = refundFeeCents({ ...base, refundedCents: 3_333n, refundedFeeCents: first, refundCents: 3_333n });
    const third = refundFeeCents({
      ...base,
      refundedCents: 6_666n,
      refundedFeeCents: first + second,
      refundCents: 3_334n,
    });
    assert.deepEqual([first, second, third], [100n, 100n, 100n]);
    assert.equal(refundFeeCents({ ...base, feeCents: 0n, refundCents: 10_000n }), 0n);
  });
});

describe('the sandbox card funding', () => {
  it('reports Stripe’s debit and prepaid test numbers as such, the rest as credit', () => {
    assert.equal(cardFunding(CARD_DEBIT_MASTERCARD), 'debit');
    assert.equal(cardFunding(CARD_PREPAID), 'prepaid');
    assert.equal(cardFunding(CARD_SUCCEEDS), 'credit');
  });
});
