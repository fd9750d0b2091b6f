import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DomainError } from '../../../src/kernel/errors.ts';
import {
  assertPaymentTransition,
  nextJanitorCheck,
  type PaymentState,
  paymentStates,
} from '../../../src/payments/rules/payment-states.ts';
import {
  decideRetry,
  defaultRetryPlan,
  mayRepresent,
  returnDisablesMethod,
} from '../../../src/payments/rules/retry-plans.ts';

const legal: Record<PaymentState, PaymentState[]> = {
  draft: ['validated', 'cancelled'],
  validated: ['requested', 'cancelled'],
  requested: ['executing', 'cancelled'],
  executing: ['posted', 'failed', 'requested'],
  posted: ['reversed'],
  failed: [],
  cancelled: [],
  reversed: [],
};

describe('payment state machine', () => {
  for (const from of paymentStates) {
    for (const to of paymentStates) {
      const allowed = legal[from].includes(to);
      it(`${from} → ${to} is ${allowed ? 'legal' : 'refused'}`, () => {
        if (allowed) assert.doesNotThrow(() => assertPaymentTransition(from, to));
        else
          assert.throws(
            () => assertPaymentTransition(from, to),
            (e: unknown) =>
              e instanceof DomainError && e.code === 'illegal_transition' && e.message.includes(`${from} to ${to}`),
          );
      });
    }
  }
});

describe('retry plans', () => {
  const now = new Date('2026-11-21T12:00:00Z');
  const day = 86_400_000;

  it('retries soft declines on the plan schedule, then stops', () => {
    const soft = { code: 'insufficient_funds', hard: false };
    assert.deepEqual(decideRetry(defaultRetryPlan, soft, 1, now), {
      retry: true,
      nextAttemptAt: new Date(now.getTime() + day),
    });
    assert.deepEqual(decideRetry(defaultRetryPlan, soft, 2, now), {
      retry: true,
      nextAttemptAt: new Date(now.getTime() + 3 * day),
    });
    assert.deepEqual(decideRetry(defaultRetryPlan, soft, 3, now), {
      retry: true,
      nextAttemptAt: new Date(now.getTime() + 5 * day),
    });
    const last = decideRetry(defaultRetryPlan, soft, 4, now);
    assert.equal(last.retry, false);
  });

  it('never retries a hard decline, and only the listed codes when the plan lists them', () => {
    assert.equal(decideRetry(defaultRetryPlan, { code: 'stolen_card', hard: true }, 1, now).retry, false);
    const plan = { name: 'Only NSF', delayDays: [2], retryCodes: ['insufficient_funds'] };
    assert.equal(decideRetry(plan, { code: 'insufficient_funds', hard: false }, 1, now).retry, true);
    assert.equal(decideRetry(plan, { code: 'processing_error', hard: false }, 1, now).retry, false);
  });

  it('asks the janitor after 5 minutes, 1 hour, then daily', () => {
    assert.equal(nextJanitorCheck(0, now).getTime() - now.getTime(), 5 * 60_000);
    assert.equal(nextJanitorCheck(1, now).getTime() - now.getTime(), 60 * 60_000);
    assert.equal(nextJanitorCheck(5, now).getTime() - now.getTime(), day);
  });

  it('re-presents R01 at most twice and disables accounts on R02, R03, R10', () => {
    assert.equal(mayRepresent('R01', 0), true);
    assert.equal(mayRepresent('R01', 1), true);
    assert.equal(mayRepresent('R01', 2), false);
    assert.equal(mayRepresent('R02', 0), false);
    for (const code of ['R02', 'R03', 'R10']) assert.equal(returnDisablesMethod(code), true);
    assert.equal(returnDisablesMethod('R01'), false);
  });
});
