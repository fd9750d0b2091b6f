import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  applyPaymentSettingsPatch,
  changedPaymentSettings,
  defaultPaymentSettings,
  paymentSettingNames,
  paymentSettingsFromStored,
  storedPaymentSettings,
  validatePaymentSettingsPatch,
} from '../../../src/eligibility/rules/payment-settings.ts';
import { DomainError } from '../../../src/kernel/errors.ts';

const isCode = (code: string, paths: string[]) => (e: unknown) =>
  e instanceof DomainError &&
  e.code === code &&
  JSON.stringify(e.errors.map((x) => x.path).sort()) === JSON.stringify([...paths].sort());

describe('payment settings', () => {
  it('defaults to everything off and no payments on canceled policies', () => {
    assert.deepEqual(defaultPaymentSettings, {
      allowPaySubmittedPolicies: false,
      daysToAllowCanceledPolicyPayment: 0,
      disallowCancellationPendingNonPay: false,
      disallowCancellationPendingNonPayPoorHistory: false,
      disallowCancellationPendingUnderwriting: false,
      enforceMinMaxSecureCheckout: false,
      enforceMinMaxAgentSweep: false,
      nsfFeeCents: null,
      poorPaymentHistoryAfterReturns: 2,
      autopayHour: 6,
      backupEmail: null,
      finalizeRestrictedToStaff: false,
      paymentRequestExpiryDays: 30,
      defaultDepositBanks: { autopay: null, secure_checkout: null, agent_sweep: null },
    });
    assert.equal(paymentSettingNames.length, 14);
  });

  it('applies defaults on read and ignores unknown keys and wrongly typed values', () => {
    assert.deepEqual(paymentSettingsFromStored(undefined), defaultPaymentSettings);
    assert.deepEqual(paymentSettingsFromStored(null), defaultPaymentSettings);
    assert.deepEqual(paymentSettingsFromStored([true]), defaultPaymentSettings);
    assert.deepEqual(
      paymentSettingsFromStored({
        allowPaySubmittedPolicies: true,
        daysToAllowCanceledPolicyPayment: 15,
        enforceMinMaxAgentSweep: 'yes',
        disallowCancellationPendingUnderwriting: 1,
        somethingElse: true,
      }),
      { ...defaultPaymentSettings, allowPaySubmittedPolicies: true, daysToAllowCanceledPolicyPayment: 15 },
    );
    assert.equal(
      paymentSettingsFromStored({ daysToAllowCanceledPolicyPayment: -2 }).daysToAllowCanceledPolicyPayment,
      0,
    );
    assert.equal(
      paymentSettingsFromStored({ daysToAllowCanceledPolicyPayment: 2.5 }).daysToAllowCanceledPolicyPayment,
      0,
    );
  });

  it('accepts -1, 0 and N days; refuses anything below -1 and fractions', () => {
    for (const days of [-1, 0, 1, 30, 3650]) {
      const next = applyPaymentSettingsPatch(defaultPaymentSettings, { daysToAllowCanceledPolicyPayment: days });
      assert.equal(next.daysToAllowCanceledPolicyPayment, days);
    }
    for (const days of [-2, -100, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '3', null]) {
      assert.throws(
        () => applyPaymentSettingsPatch(defaultPaymentSettings, { daysToAllowCanceledPolicyPayment: days }),
        isCode('validation_failed', ['daysToAllowCanceledPolicyPayment']),
        String(days),
      );
    }
  });

  it('refuses unknown settings and non-boolean flags, naming each field', () => {
    assert.throws(
      () => validatePaymentSettingsPatch({ allowPayExpiredPolicies: true }),
      isCode('validation_failed', ['allowPayExpiredPolicies']),
    );
    assert.throws(
      () => validatePaymentSettingsPatch({ enforceMinMaxAgentSweep: 'true', daysToAllowCanceledPolicyPayment: -5 }),
      isCode('validation_failed', ['enforceMinMaxAgentSweep', 'daysToAllowCanceledPolicyPayment']),
    );
  });

  it('takes an NSF fee as positive cents or null, and stores it as a JSON number', () => {
    const withFee = applyPaymentSettingsPatch(defaultPaymentSettings, { nsfFeeCents: 2_500n });
    assert.equal(withFee.nsfFeeCents, 2_500n);
    assert.equal(applyPaymentSettingsPatch(withFee, { nsfFeeCents: null }).nsfFeeCents, null);
    for (const fee of [0n, -1n, 25, '25.00', 2n ** 60n]) {
      assert.throws(
        () => applyPaymentSettingsPatch(defaultPaymentSettings, { nsfFeeCents: fee }),
        isCode('validation_failed', ['nsfFeeCents']),
        String(fee),
      );
    }
    const stored = storedPaymentSettings(undefined, { nsfFeeCents: 2_500n });
    assert.deepEqual(JSON.parse(JSON.stringify(stored)), { nsfFeeCents: 2500 });
    assert.equal(paymentSettingsFromStored(stored).nsfFeeCents, 2_500n);
    assert.equal(paymentSettingsFromStored({ nsfFeeCents: 0 }).nsfFeeCents, null);
    assert.equal(paymentSettingsFromStored({ nsfFeeCents: '2500' }).nsfFeeCents, null);
  });

  it('treats an undefined field as absent', () => {
    assert.deepEqual(
      validatePaymentSettingsPatch({ allowPaySubmittedPolicies: undefined, enforceMinMaxAgentSweep: true }),
      {
        enforceMinMaxAgentSweep: true,
      },
    );
  });

  it('refuses both non-pay disallow settings on (422 naming both), in one patch or across two', () => {
    const both = ['disallowCancellationPendingNonPay', 'disallowCancellationPendingNonPayPoorHistory'];
    assert.throws(
      () =>
        applyPaymentSettingsPatch(defaultPaymentSettings, {
          disallowCancellationPendingNonPay: true,
          disallowCancellationPendingNonPayPoorHistory: true,
        }),
      (e: unknown) => isCode('unprocessable', both)(e) && both.every((name) => (e as Error).message.includes(name)),
    );
    const nonPayOn = applyPaymentSettingsPatch(defaultPaymentSettings, { disallowCancellationPendingNonPay: true });
    assert.throws(
      () => applyPaymentSettingsPatch(nonPayOn, { disallowCancellationPendingNonPayPoorHistory: true }),
      isCode('unprocessable', both),
    );
    // Switching from one to the other in one patch is fine.
    const switched = applyPaymentSettingsPatch(nonPayOn, {
      disallowCancellationPendingNonPay: false,
      disallowCancellationPendingNonPayPoorHistory: true,
    });
    assert.equal(switched.disallowCancellationPendingNonPay, false);
    assert.equal(switched.disallowCancellationPendingNonPayPoorHistory, true);
  });

  it('leaves settings a patch omits as they were', () => {
    const current = {
      ...defaultPaymentSettings,
      enforceMinMaxSecureCheckout: true,
      daysToAllowCanceledPolicyPayment: 7,
    };
    assert.deepEqual(applyPaymentSettingsPatch(current, { allowPaySubmittedPolicies: true }), {
      ...current,
      allowPaySubmittedPolicies: true,
    });
    assert.deepEqual(applyPaymentSettingsPatch(current, {}), current);
  });

  it('stores only what the agency set explicitly, dropping invalid stored values', () => {
    assert.deepEqual(storedPaymentSettings(undefined, { enforceMinMaxAgentSweep: true }), {
      enforceMinMaxAgentSweep: true,
    });
    assert.deepEqual(
      storedPaymentSettings(
        { daysToAllowCanceledPolicyPayment: 5, allowPaySubmittedPolicies: 'x', legacy: 1 },
        { daysToAllowCanceledPolicyPayment: -1 },
      ),
      { daysToAllowCanceledPolicyPayment: -1 },
    );
  });

  it('takes default deposit banks per channel: a patch names some channels, null clears one, the rest stay', () => {
    const none = defaultPaymentSettings.defaultDepositBanks;
    const set = applyPaymentSettingsPatch(defaultPaymentSettings, {
      defaultDepositBanks: { autopay: 'OPER', agent_sweep: 'TRUST' },
    });
    assert.deepEqual(set.defaultDepositBanks, { autopay: 'OPER', secure_checkout: null, agent_sweep: 'TRUST' });
    const changed = applyPaymentSettingsPatch(set, { defaultDepositBanks: { autopay: null, secure_checkout: 'OPER' } });
    assert.deepEqual(changed.defaultDepositBanks, { autopay: null, secure_checkout: 'OPER', agent_sweep: 'TRUST' });
    for (const banks of [{ portal: 'OPER' }, { autopay: '' }, { autopay: 5 }, ['OPER'], 'OPER', null]) {
      assert.throws(
        () => applyPaymentSettingsPatch(defaultPaymentSettings, { defaultDepositBanks: banks }),
        isCode('validation_failed', ['defaultDepositBanks']),
        JSON.stringify(banks),
      );
    }
    // Stored with only the channels that have a bank, merged with what was stored; read back whole.
    const stored = storedPaymentSettings(
      { defaultDepositBanks: { autopay: 'OPER' } },
      {
        defaultDepositBanks: { agent_sweep: 'TRUST' },
      },
    );
    assert.deepEqual(stored, { defaultDepositBanks: { autopay: 'OPER', agent_sweep: 'TRUST' } });
    assert.deepEqual(paymentSettingsFromStored(stored).defaultDepositBanks, {
      ...none,
      autopay: 'OPER',
      agent_sweep: 'TRUST',
    });
    assert.deepEqual(paymentSettingsFromStored({ defaultDepositBanks: { autopay: 7 } }).defaultDepositBanks, none);
    assert.deepEqual(changedPaymentSettings(set, changed), {
      defaultDepositBanks: { from: set.defaultDepositBanks, to: changed.defaultDepositBanks },
    });
    assert.deepEqual(changedPaymentSettings(set, { ...set, defaultDepositBanks: { ...set.defaultDepositBanks } }), {});
  });

  it('lists the changed settings with their old and new values', () => {
    const after = { ...defaultPaymentSettings, allowPaySubmittedPolicies: true, daysToAllowCanceledPolicyPayment: 3 };
    assert.deepEqual(changedPaymentSettings(defaultPaymentSettings, after), {
      allowPaySubmittedPolicies: { from: false, to: true },
      daysToAllowCanceledPolicyPayment: { from: 0, to: 3 },
    });
    assert.deepEqual(changedPaymentSettings(after, after), {});
  });
});
