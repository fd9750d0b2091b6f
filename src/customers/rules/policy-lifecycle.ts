import type { CalendarDate } from '../../kernel/calendar.ts';
import { DomainError, invalid } from '../../kernel/errors.ts';

export const policyStatuses = [
  'unsubmitted',
  'submitted',
  'rejected',
  'active',
  'cancellation_pending',
  'canceled',
  'expired',
] as const;
export type PolicyStatus = (typeof policyStatuses)[number];

export const cancellationReasons = ['non_pay', 'underwriting', 'insured_request', 'other'] as const;
export type CancellationReason = (typeof cancellationReasons)[number];

/** Legal transitions; everything else is refused. A renewal is a new policy, so `expired` ends. */
const policyTransitions: Readonly<Record<PolicyStatus, readonly PolicyStatus[]>> = {
  unsubmitted: ['submitted'],
  submitted: ['active', 'rejected', 'unsubmitted'],
  rejected: ['unsubmitted'],
  active: ['cancellation_pending', 'canceled', 'expired'],
  cancellation_pending: ['active', 'canceled'],
  canceled: ['active'],
  expired: [],
};

/** Where a policy in `status` may go next: what the console offers, and nothing else. */
export function allowedTransitions(status: PolicyStatus): readonly PolicyStatus[] {
  return policyTransitions[status];
}

/** Statuses that need details (a reason, a date) are reached by a transition, never at creation. */
export const creatableStatuses: readonly PolicyStatus[] = policyStatuses.filter(
  (s) => s !== 'cancellation_pending' && s !== 'canceled',
);

export interface PolicyState {
  status: PolicyStatus;
  cancellationReason: CancellationReason | null;
  cancellationEffectiveDate: CalendarDate | null;
}

export interface TransitionRequest {
  to: PolicyStatus;
  reason?: CancellationReason | undefined;
  effectiveDate?: CalendarDate | undefined;
}

/**
 * Applies a lifecycle transition. `today` is the agency's calendar date, used as the default
 * cancellation effective date.
 */
export function transitionPolicy(state: PolicyState, request: TransitionRequest, today: CalendarDate): PolicyState {
  const allowed = policyTransitions[state.status];
  if (!allowed.includes(request.to)) {
    const options = allowed.length ? allowed.join(', ') : 'none (a renewal is a new policy)';
    throw new DomainError(
      'illegal_transition',
      `a policy cannot go from ${state.status} to ${request.to}; allowed from ${state.status}: ${options}`,
      { extensions: { from: state.status, to: request.to, allowed } },
    );
  }
  switch (request.to) {
    case 'cancellation_pending':
      if (!request.reason) throw invalid('reason', `is required to move a policy to cancellation_pending`);
      return { status: request.to, cancellationReason: request.reason, cancellationEffectiveDate: null };
    case 'canceled':
      // Canceling from cancellation_pending keeps the pending reason unless a new one is given.
      return {
        status: request.to,
        cancellationReason: request.reason ?? state.cancellationReason,
        cancellationEffectiveDate: request.effectiveDate ?? today,
      };
    default:
      if (request.reason) throw invalid('reason', `applies only to cancellation_pending and canceled`);
      return { status: request.to, cancellationReason: null, cancellationEffectiveDate: null };
  }
}
