import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { policyEdit } from '../../../src/customers/rules/policy-edits.ts';
import { allowedTransitions, policyStatuses } from '../../../src/customers/rules/policy-lifecycle.ts';
import { DomainError } from '../../../src/kernel/errors.ts';

const current = {
  lineOfBusiness: 'Auto',
  effectiveDate: '2026-01-01',
  expirationDate: '2027-01-01',
  premiumCents: 100_000n,
  installmentPlanId: 'plan-1',
};

function refusal(fn: () => unknown): { code: string; paths: string[] } {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof DomainError);
    return { code: error.code, paths: error.errors.map((e) => e.path) };
  }
  assert.fail('expected a refusal');
}

describe('policy edits', () => {
  it('keeps only what really changes', () => {
    assert.deepEqual(policyEdit(current, { lineOfBusiness: 'Auto', premiumCents: 100_001n }, false), {
      premiumCents: 100_001n,
    });
    assert.deepEqual(policyEdit(current, {}, true), {});
  });

  it('keeps the term a period, naming the field that broke it', () => {
    assert.deepEqual(
      refusal(() => policyEdit(current, { expirationDate: '2026-01-01' }, false)),
      {
        code: 'validation_failed',
        paths: ['expirationDate'],
      },
    );
    assert.deepEqual(
      refusal(() => policyEdit(current, { effectiveDate: '2027-02-01' }, false)),
      {
        code: 'validation_failed',
        paths: ['effectiveDate'],
      },
    );
    assert.deepEqual(refusal(() => policyEdit(current, { effectiveDate: '2026-13-01' }, false)).paths, [
      'effectiveDate',
    ]);
    assert.deepEqual(policyEdit(current, { effectiveDate: '2026-06-01', expirationDate: '2027-06-01' }, false), {
      effectiveDate: '2026-06-01',
      expirationDate: '2027-06-01',
    });
  });

  it('a billed policy keeps its premium, plan and effective date', () => {
    assert.deepEqual(
      refusal(() =>
        policyEdit(current, { premiumCents: 1n, installmentPlanId: null, effectiveDate: '2026-02-01' }, true),
      ),
      { code: 'unprocessable', paths: ['premium', 'installmentPlan', 'effectiveDate'] },
    );
    assert.deepEqual(policyEdit(current, { expirationDate: '2027-02-01', lineOfBusiness: 'Home' }, true), {
      lineOfBusiness: 'Home',
      expirationDate: '2027-02-01',
    });
    assert.deepEqual(policyEdit(current, { premiumCents: 1n }, false), { premiumCents: 1n });
  });

  it('offers exactly the transitions the lifecycle allows', () => {
    assert.deepEqual(allowedTransitions('active'), ['cancellation_pending', 'canceled', 'expired']);
    assert.deepEqual(allowedTransitions('cancellation_pending'), ['active', 'canceled']);
    assert.deepEqual(allowedTransitions('expired'), []);
    for (const status of policyStatuses) assert.ok(!allowedTransitions(status).includes(status));
  });
});
