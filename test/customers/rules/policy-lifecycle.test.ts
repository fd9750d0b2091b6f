import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  creatableStatuses,
  type PolicyStatus,
  policyStatuses,
  transitionPolicy,
} from '../../../src/customers/rules/policy-lifecycle.ts';
import { DomainError } from '../../../src/kernel/errors.ts';

const legal: Record<PolicyStatus, PolicyStatus[]> = {
  unsubmitted: ['submitted'],
  submitted: ['active', 'rejected', 'unsubmitted'],
  rejected: ['unsubmitted'],
  active: ['cancellation_pending', 'canceled', 'expired'],
  cancellation_pending: ['active', 'canceled'],
  canceled: ['active'],
  expired: [],
};

const state = (status: PolicyStatus) => ({
  status,
  cancellationReason: status === 'cancellation_pending' || status === 'canceled' ? ('non_pay' as const) : null,
  cancellationEffectiveDate: status === 'canceled' ? '2026-11-01' : null,
});

describe('policy lifecycle', () => {
  for (const from of policyStatuses) {
    for (const to of policyStatuses) {
      const allowed = legal[from].includes(to);
      it(`${from} → ${to} is ${allowed ? 'legal' : 'refused'}`, () => {
        const request = { to, reason: to === 'cancellation_pending' ? ('underwriting' as const) : undefined };
        if (allowed) {
          assert.equal(transitionPolicy(state(from), request, '2026-11-21').status, to);
        } else {
          assert.throws(
            () => transitionPolicy(state(from), request, '2026-11-21'),
            (e: unknown) => e instanceof DomainError && e.code === 'illegal_transition' && e.message.includes(from),
          );
        }
      });
    }
  }

  it('requires a reason for cancellation_pending', () => {
    assert.throws(
      () => transitionPolicy(state('active'), { to: 'cancellation_pending' }, '2026-11-21'),
      (e: unknown) => e instanceof DomainError && e.code === 'validation_failed' && e.errors[0]?.path === 'reason',
    );
  });

  it('defaults the cancellation effective date to today and keeps the pending reason', () => {
    const pending = transitionPolicy(state('active'), { to: 'cancellation_pending', reason: 'non_pay' }, '2026-11-21');
    const canceled = transitionPolicy(pending, { to: 'canceled' }, '2026-11-21');
    assert.deepEqual(canceled, {
      status: 'canceled',
      cancellationReason: 'non_pay',
      cancellationEffectiveDate: '2026-11-21',
    });
    const dated = transitionPolicy(state('active'), { to: 'canceled', effectiveDate: '2026-12-31' }, '2026-11-21');
    assert.equal(dated.cancellationEffectiveDate, '2026-12-31');
  });

  it('clears cancellation details on reinstatement', () => {
    const reinstated = transitionPolicy(state('canceled'), { to: 'active' }, '2026-11-21');
    assert.deepEqual(reinstated, {
      status: 'active',
      cancellationReason: null,
      cancellationEffectiveDate: null,
    });
  });

  it('cannot create a policy in a status that needs details', () => {
    assert.ok(!creatableStatuses.includes('cancellation_pending'));
    assert.ok(!creatableStatuses.includes('canceled'));
    assert.equal(creatableStatuses.length, 5);
  });
});
