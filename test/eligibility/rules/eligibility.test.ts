import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PaymentChannel } from '../../../src/eligibility/rules/channels.ts';
import {
  decidePaymentEligibility,
  type EligibilityPolicy,
  type EligibilityReason,
  type PayerActor,
} from '../../../src/eligibility/rules/eligibility.ts';
import { defaultPaymentSettings, type PaymentSettingsPatch } from '../../../src/eligibility/rules/payment-settings.ts';
import { addDays } from '../../../src/kernel/calendar.ts';
import { DomainError } from '../../../src/kernel/errors.ts';

// The matrix of issue 4, written out: one row per status and relevant setting, one cell per
// channel × payer. Each cell is the expected reason; `allowed` is true exactly when it is 'allowed'.
const combos: [PaymentChannel, PayerActor][] = [
  ['agent_sweep', 'agent'],
  ['agent_sweep', 'staff'],
  ['agent_sweep', 'external'],
  ['secure_checkout', 'external'],
  ['secure_checkout', 'agent'],
  ['secure_checkout', 'staff'],
  ['autopay', 'external'],
  ['autopay', 'agent'],
  ['autopay', 'staff'],
];

const ok = 'allowed';
const U = 'policy_unsubmitted';
const R = 'policy_rejected';
const S = 'submitted_not_allowed';
const NP = 'cancellation_pending_non_pay_disallowed';
const PH = 'cancellation_pending_poor_history_disallowed';
const UW = 'cancellation_pending_underwriting_disallowed';
const CW = 'canceled_outside_window';
const E = 'policy_expired';
const X = 'channel_not_available';

const TODAY = '2026-11-21';
const policy = (status: EligibilityPolicy['status'], extra: Partial<EligibilityPolicy> = {}): EligibilityPolicy => ({
  status,
  cancellationReason: null,
  cancellationEffectiveDate: null,
  tags: [],
  ...extra,
});
const pending = (reason: EligibilityPolicy['cancellationReason'], tags: string[] = []) =>
  policy('cancellation_pending', { cancellationReason: reason, tags });
/** Canceled `daysAgo` days before TODAY (day 0 = the cancellation effective date). */
const canceledDaysAgo = (daysAgo: number, tags: string[] = []) =>
  policy('canceled', { cancellationReason: 'non_pay', cancellationEffectiveDate: addDays(TODAY, -daysAgo), tags });

const permissive: PaymentSettingsPatch = { allowPaySubmittedPolicies: true, daysToAllowCanceledPolicyPayment: -1 };
const restrictive: PaymentSettingsPatch = {
  disallowCancellationPendingNonPay: true,
  disallowCancellationPendingUnderwriting: true,
  enforceMinMaxAgentSweep: true,
  enforceMinMaxSecureCheckout: true,
};
const nonPay: PaymentSettingsPatch = { disallowCancellationPendingNonPay: true };
const poorHistory: PaymentSettingsPatch = { disallowCancellationPendingNonPayPoorHistory: true };
const underwriting: PaymentSettingsPatch = { disallowCancellationPendingUnderwriting: true };
const days = (n: number): PaymentSettingsPatch => ({ daysToAllowCanceledPolicyPayment: n });
const poor = ['poor_payment_history'];

type Row = [label: string, policy: EligibilityPolicy, settings: PaymentSettingsPatch, expected: EligibilityReason[]];

// Cells in `combos` order: agent_sweep by agent, staff, external · secure_checkout by external,
// agent, staff · autopay by external, agent, staff.
// biome-ignore format: the table reads as a matrix
const table: Row[] = [
  ['unsubmitted', policy('unsubmitted'), {}, [U, U, X, U, U, U, U, U, U]],
  ['unsubmitted, permissive settings', policy('unsubmitted'), permissive, [U, U, X, U, U, U, U, U, U]],
  ['submitted, allowPaySubmittedPolicies off', policy('submitted'), {}, [S, S, X, S, S, S, S, S, S]],
  ['submitted, allowPaySubmittedPolicies on', policy('submitted'), permissive, [ok, ok, X, S, S, S, S, S, S]],
  ['rejected', policy('rejected'), {}, [R, R, X, R, R, R, R, R, R]],
  ['rejected, permissive settings', policy('rejected'), permissive, [R, R, X, R, R, R, R, R, R]],
  ['active', policy('active'), {}, [ok, ok, X, ok, ok, ok, ok, ok, ok]],
  ['active, restrictive settings', policy('active'), restrictive, [ok, ok, X, ok, ok, ok, ok, ok, ok]],
  ['active, poor history setting', policy('active', { tags: poor }), poorHistory, [ok, ok, X, ok, ok, ok, ok, ok, ok]],

  ['pending non-pay untagged, no setting', pending('non_pay'), {}, [ok, ok, X, ok, ok, ok, ok, ok, ok]],
  ['pending non-pay untagged, non-pay setting', pending('non_pay'), nonPay, [NP, ok, X, NP, NP, ok, NP, NP, NP]],
  ['pending non-pay untagged, poor history setting', pending('non_pay'), poorHistory, [ok, ok, X, ok, ok, ok, ok, ok, ok]],
  ['pending non-pay untagged, underwriting setting', pending('non_pay'), underwriting, [ok, ok, X, ok, ok, ok, ok, ok, ok]],
  ['pending non-pay tagged, no setting', pending('non_pay', poor), {}, [ok, ok, X, ok, ok, ok, ok, ok, ok]],
  ['pending non-pay tagged, non-pay setting', pending('non_pay', poor), nonPay, [NP, ok, X, NP, NP, ok, NP, NP, NP]],
  ['pending non-pay tagged, poor history setting', pending('non_pay', poor), poorHistory, [PH, ok, X, PH, PH, ok, PH, PH, PH]],
  ['pending non-pay tagged, underwriting setting', pending('non_pay', poor), underwriting, [ok, ok, X, ok, ok, ok, ok, ok, ok]],
  ['pending underwriting, no setting', pending('underwriting'), {}, [ok, ok, X, ok, ok, ok, ok, ok, ok]],
  ['pending underwriting, non-pay setting', pending('underwriting'), nonPay, [ok, ok, X, ok, ok, ok, ok, ok, ok]],
  ['pending underwriting tagged, poor history setting', pending('underwriting', poor), poorHistory, [ok, ok, X, ok, ok, ok, ok, ok, ok]],
  ['pending underwriting, underwriting setting', pending('underwriting'), underwriting, [UW, UW, X, UW, UW, ok, UW, UW, UW]],
  ['pending insured request, underwriting setting', pending('insured_request'), underwriting, [UW, UW, X, UW, UW, ok, UW, UW, UW]],
  ['pending other reason, underwriting setting', pending('other'), underwriting, [UW, UW, X, UW, UW, ok, UW, UW, UW]],
  ['pending other reason, non-pay setting', pending('other'), nonPay, [ok, ok, X, ok, ok, ok, ok, ok, ok]],

  ['canceled day 0, days 0', canceledDaysAgo(0), days(0), [CW, CW, X, CW, CW, ok, CW, CW, CW]],
  ['canceled day 10, days 0', canceledDaysAgo(10), days(0), [CW, CW, X, CW, CW, ok, CW, CW, CW]],
  ['canceled day 0, days 10', canceledDaysAgo(0), days(10), [ok, ok, X, ok, ok, ok, ok, ok, ok]],
  ['canceled day 10 (N), days 10', canceledDaysAgo(10), days(10), [ok, ok, X, ok, ok, ok, ok, ok, ok]],
  ['canceled day 11 (N+1), days 10', canceledDaysAgo(11), days(10), [CW, CW, X, CW, CW, ok, CW, CW, CW]],
  ['canceled day 1 (N), days 1', canceledDaysAgo(1), days(1), [ok, ok, X, ok, ok, ok, ok, ok, ok]],
  ['canceled day 2 (N+1), days 1', canceledDaysAgo(2), days(1), [CW, CW, X, CW, CW, ok, CW, CW, CW]],
  ['canceled day 0, days -1', canceledDaysAgo(0), days(-1), [ok, ok, X, ok, ok, ok, ok, ok, ok]],
  ['canceled day 11, days -1', canceledDaysAgo(11), days(-1), [ok, ok, X, ok, ok, ok, ok, ok, ok]],
  ['canceled day 3650, days -1', canceledDaysAgo(3650), days(-1), [ok, ok, X, ok, ok, ok, ok, ok, ok]],
  ['canceled effective in 5 days, days 10', canceledDaysAgo(-5), days(10), [ok, ok, X, ok, ok, ok, ok, ok, ok]],
  ['canceled effective in 5 days, days 0', canceledDaysAgo(-5), days(0), [CW, CW, X, CW, CW, ok, CW, CW, CW]],
  ['canceled tagged day 5, days 10, pending settings on', canceledDaysAgo(5, poor), { ...days(10), ...poorHistory, ...underwriting }, [ok, ok, X, ok, ok, ok, ok, ok, ok]],

  ['expired', policy('expired'), {}, [E, E, X, E, E, ok, E, E, E]],
  ['expired, permissive settings', policy('expired'), permissive, [E, E, X, E, E, ok, E, E, E]],
];

/** The setting a refusal's message must name. */
const decidingSetting: Partial<Record<EligibilityReason, string>> = {
  submitted_not_allowed: 'allowPaySubmittedPolicies',
  cancellation_pending_non_pay_disallowed: 'disallowCancellationPendingNonPay',
  cancellation_pending_poor_history_disallowed: 'disallowCancellationPendingNonPayPoorHistory',
  cancellation_pending_underwriting_disallowed: 'disallowCancellationPendingUnderwriting',
  canceled_outside_window: 'daysToAllowCanceledPolicyPayment',
};

describe('payment eligibility matrix', () => {
  for (const [label, subject, patch, expected] of table) {
    assert.equal(expected.length, combos.length, `row "${label}" needs one cell per channel × payer`);
    combos.forEach(([channel, actor], index) => {
      const reason = expected[index]!;
      it(`${label} · ${channel} by ${actor} → ${reason}`, () => {
        const decision = decidePaymentEligibility({
          policy: subject,
          channel,
          actor,
          settings: { ...defaultPaymentSettings, ...patch },
          today: TODAY,
          currentlyDue: 10_000n,
          payoff: 50_000n,
        });
        assert.equal(decision.allowed, reason === 'allowed');
        assert.equal(decision.reason, reason);
        assert.match(decision.message, /^[A-Z$].{20,}\.$/, 'a sentence');
        const setting = decidingSetting[reason];
        if (setting) assert.ok(decision.message.includes(setting), `"${decision.message}" names ${setting}`);
      });
    });
  }
});

describe('payment eligibility minimum and maximum', () => {
  const due = 10_000n;
  const payoff = 50_000n;
  const both: PaymentSettingsPatch = { enforceMinMaxSecureCheckout: true, enforceMinMaxAgentSweep: true };
  const checkoutOnly: PaymentSettingsPatch = { enforceMinMaxSecureCheckout: true };
  const sweepOnly: PaymentSettingsPatch = { enforceMinMaxAgentSweep: true };
  type MinMaxRow = [
    label: string,
    channel: PaymentChannel,
    actor: PayerActor,
    settings: PaymentSettingsPatch,
    amount: bigint | undefined,
    reason: EligibilityReason,
    bounded: boolean,
    subject?: EligibilityPolicy,
  ];
  const rows: MinMaxRow[] = [
    ['outside payer below currently due', 'secure_checkout', 'external', checkoutOnly, 9_999n, 'below_minimum', true],
    ['outside payer pays currently due', 'secure_checkout', 'external', checkoutOnly, 10_000n, 'allowed', true],
    ['outside payer pays in between', 'secure_checkout', 'external', checkoutOnly, 25_000n, 'allowed', true],
    ['outside payer pays off', 'secure_checkout', 'external', checkoutOnly, 50_000n, 'allowed', true],
    ['outside payer above payoff', 'secure_checkout', 'external', checkoutOnly, 50_001n, 'above_maximum', true],
    ['outside payer, no amount: bounds given', 'secure_checkout', 'external', checkoutOnly, undefined, 'allowed', true],
    ['outside payer, setting off', 'secure_checkout', 'external', {}, 1n, 'allowed', false],
    ['outside payer, only the sweep setting', 'secure_checkout', 'external', sweepOnly, 1n, 'allowed', false],
    ['agent sweep below currently due', 'agent_sweep', 'agent', sweepOnly, 9_999n, 'below_minimum', true],
    ['agent sweep pays currently due', 'agent_sweep', 'agent', sweepOnly, 10_000n, 'allowed', true],
    ['agent sweep pays off', 'agent_sweep', 'agent', sweepOnly, 50_000n, 'allowed', true],
    ['agent sweep above payoff', 'agent_sweep', 'agent', sweepOnly, 50_001n, 'above_maximum', true],
    ['agent sweep, setting off', 'agent_sweep', 'agent', {}, 99_999n, 'allowed', false],
    ['agent sweep, only the checkout setting', 'agent_sweep', 'agent', checkoutOnly, 1n, 'allowed', false],
    ['staff on agent sweep: never', 'agent_sweep', 'staff', both, 1n, 'allowed', false],
    ['staff on agent sweep above payoff: never', 'agent_sweep', 'staff', both, 99_999n, 'allowed', false],
    ['staff on secure checkout: never', 'secure_checkout', 'staff', both, 1n, 'allowed', false],
    ['agent on secure checkout: not enforced', 'secure_checkout', 'agent', both, 1n, 'allowed', false],
    ['autopay: not enforced', 'autopay', 'external', both, 1n, 'allowed', false],
    ['autopay above payoff: not enforced', 'autopay', 'external', both, 99_999n, 'allowed', false],
    [
      'a status refusal comes first',
      'secure_checkout',
      'external',
      { ...both, ...nonPay },
      1n,
      NP,
      false,
      pending('non_pay'),
    ],
    [
      'canceled inside the window, still bounded',
      'agent_sweep',
      'agent',
      { ...both, ...days(10) },
      1n,
      'below_minimum',
      true,
      canceledDaysAgo(3),
    ],
  ];
  for (const [label, channel, actor, patch, amount, reason, bounded, subject] of rows) {
    it(`${label} → ${reason}`, () => {
      const decision = decidePaymentEligibility({
        policy: subject ?? policy('active'),
        channel,
        actor,
        settings: { ...defaultPaymentSettings, ...patch },
        today: TODAY,
        amount,
        currentlyDue: due,
        payoff,
      });
      assert.equal(decision.allowed, reason === 'allowed');
      assert.equal(decision.reason, reason);
      if (bounded) {
        assert.equal(decision.minimumAmount, due);
        assert.equal(decision.maximumAmount, payoff);
        const setting = channel === 'agent_sweep' ? 'enforceMinMaxAgentSweep' : 'enforceMinMaxSecureCheckout';
        assert.ok(decision.message.includes(setting), decision.message);
        assert.ok(decision.message.includes('$100.00') && decision.message.includes('$500.00'), decision.message);
      } else {
        assert.equal(decision.minimumAmount, undefined);
        assert.equal(decision.maximumAmount, undefined);
      }
    });
  }

  it('with nothing due yet any amount up to payoff is allowed; with nothing open nothing is', () => {
    const settings = { ...defaultPaymentSettings, ...checkoutOnly };
    const base = {
      policy: policy('active'),
      channel: 'secure_checkout',
      actor: 'external',
      settings,
      today: TODAY,
    } as const;
    const early = decidePaymentEligibility({ ...base, amount: 1n, currentlyDue: 0n, payoff: 30_000n });
    assert.deepEqual([early.allowed, early.reason, early.minimumAmount], [true, 'allowed', 0n]);
    const none = decidePaymentEligibility({ ...base, amount: 1n, currentlyDue: 0n, payoff: 0n });
    assert.deepEqual([none.allowed, none.reason, none.maximumAmount], [false, 'above_maximum', 0n]);
  });

  it('refuses a zero or negative amount as invalid input', () => {
    for (const amount of [0n, -1n]) {
      assert.throws(
        () =>
          decidePaymentEligibility({
            policy: policy('active'),
            channel: 'secure_checkout',
            actor: 'external',
            settings: defaultPaymentSettings,
            today: TODAY,
            amount,
            currentlyDue: due,
            payoff,
          }),
        (e: unknown) => e instanceof DomainError && e.code === 'validation_failed' && e.errors[0]?.path === 'amount',
      );
    }
  });
});

describe('payment eligibility messages', () => {
  const decide = (
    subject: EligibilityPolicy,
    patch: PaymentSettingsPatch,
    channel: PaymentChannel,
    actor: PayerActor,
  ) =>
    decidePaymentEligibility({
      policy: subject,
      channel,
      actor,
      settings: { ...defaultPaymentSettings, ...patch },
      today: TODAY,
      currentlyDue: 0n,
      payoff: 0n,
    });

  it('says when staff take a payment a setting stops for others', () => {
    const decision = decide(pending('non_pay', poor), poorHistory, 'agent_sweep', 'staff');
    assert.equal(decision.reason, 'allowed');
    assert.match(decision.message, /disallowCancellationPendingNonPayPoorHistory is on, but agency staff may still/);
  });

  it('says why an untagged non-pay policy is not stopped by the poor history setting', () => {
    const decision = decide(pending('non_pay'), poorHistory, 'secure_checkout', 'external');
    assert.match(decision.message, /not tagged poor_payment_history.*disallowCancellationPendingNonPayPoorHistory/);
  });

  it('gives the last day of the canceled window', () => {
    const inside = decide(canceledDaysAgo(3), days(10), 'secure_checkout', 'external');
    assert.match(inside.message, /through 2026-11-28/);
    const outside = decide(canceledDaysAgo(11), days(10), 'autopay', 'external');
    assert.match(outside.message, /11 days ago.*automatic payments.*through 2026-11-20/);
  });

  it('refuses a canceled policy without an effective date unless the window is indefinite', () => {
    const undated = policy('canceled', { cancellationReason: 'other' });
    assert.equal(decide(undated, days(10), 'agent_sweep', 'agent').reason, CW);
    assert.equal(decide(undated, days(-1), 'agent_sweep', 'agent').reason, ok);
  });
});
