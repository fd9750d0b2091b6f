/**
 * A retry plan: the delays between attempts and which decline codes are retried. By default only
 * soft declines are retried; a hard decline fails at once whatever the plan says.
 */
export interface RetryPlan {
  name: string;
  /** Days to wait before attempt 2, 3, …: [1, 3, 5] allows four attempts in all. */
  delayDays: number[];
  /** Decline codes to retry; null = every soft decline. */
  retryCodes: string[] | null;
}

export const defaultRetryPlan: RetryPlan = { name: 'Standard', delayDays: [1, 3, 5], retryCodes: null };

export type RetryDecision = { retry: true; nextAttemptAt: Date } | { retry: false; reason: string };

export function decideRetry(
  plan: RetryPlan,
  decline: { code: string; hard: boolean },
  attemptsMade: number,
  now: Date,
): RetryDecision {
  if (decline.hard) return { retry: false, reason: `hard decline (${decline.code}) is never retried` };
  if (plan.retryCodes && !plan.retryCodes.includes(decline.code)) {
    return { retry: false, reason: `retry plan "${plan.name}" does not retry ${decline.code}` };
  }
  const delay = plan.delayDays[attemptsMade - 1];
  if (delay === undefined) {
    return { retry: false, reason: `retry plan "${plan.name}" allows ${plan.delayDays.length + 1} attempts` };
  }
  return { retry: true, nextAttemptAt: new Date(now.getTime() + delay * 86_400_000) };
}

/** ACH returns: R01 may be re-presented (at most twice); these disable the account. */
const disablingReturnCodes = ['R02', 'R03', 'R10'] as const;
const MAX_REPRESENTMENTS = 2;

export function returnDisablesMethod(code: string): boolean {
  return (disablingReturnCodes as readonly string[]).includes(code);
}

export function mayRepresent(code: string, representmentsSoFar: number): boolean {
  return code === 'R01' && representmentsSoFar < MAX_REPRESENTMENTS;
}
