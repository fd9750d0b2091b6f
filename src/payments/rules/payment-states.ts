import { DomainError } from '../../kernel/errors.ts';

export const paymentStates = [
  'draft',
  'validated',
  'requested',
  'executing',
  'posted',
  'failed',
  'cancelled',
  'reversed',
] as const;
export type PaymentState = (typeof paymentStates)[number];

/**
 * Legal payment transitions (Socotra's names). `executing → requested` is a retry scheduled after
 * a decline; everything else moves forward only.
 */
const paymentTransitions: Readonly<Record<PaymentState, readonly PaymentState[]>> = {
  draft: ['validated', 'cancelled'],
  validated: ['requested', 'cancelled'],
  requested: ['executing', 'cancelled'],
  executing: ['posted', 'failed', 'requested'],
  posted: ['reversed'],
  failed: [],
  cancelled: [],
  reversed: [],
};

function canTransition(from: PaymentState, to: PaymentState): boolean {
  return paymentTransitions[from].includes(to);
}

export function assertPaymentTransition(from: PaymentState, to: PaymentState): void {
  if (!canTransition(from, to)) {
    const allowed = paymentTransitions[from];
    throw new DomainError(
      'illegal_transition',
      `a payment cannot go from ${from} to ${to}; allowed from ${from}: ${allowed.length ? allowed.join(', ') : 'none'}`,
      { extensions: { from, to, allowed } },
    );
  }
}

/**
 * A payment "in flight" may still take money: it is waiting for an attempt (requested, a retry
 * included) or has one whose outcome is not known yet. No second payment may target an invoice
 * while one is in flight, on any channel (autopay, API, console, portal): one rule.
 */
export const inFlightPaymentStates = ['requested', 'executing'] as const satisfies readonly PaymentState[];
export const openAttemptStatuses = ['started', 'unknown', 'pending'] as const satisfies readonly AttemptStatus[];

/** What a processor attempt ended as. `unknown` is never a decline: the janitor resolves it. */
export type AttemptStatus = 'started' | 'succeeded' | 'pending' | 'declined' | 'unknown' | 'not_sent';

/** When the janitor looks at an attempt: configuration (`PAYMENT_JANITOR_*`), these by default. */
export interface JanitorDelays {
  /** A `started` attempt whose worker may have died. */
  startedMs: number;
  /** An unknown outcome: the first check, the second, then every later one. */
  firstMs: number;
  secondMs: number;
  laterMs: number;
}

export const DEFAULT_JANITOR_DELAYS: JanitorDelays = {
  startedMs: 2 * 60_000,
  firstMs: 5 * 60_000,
  secondMs: 60 * 60_000,
  laterMs: 24 * 60 * 60_000,
};

/** When the janitor next asks about an unknown attempt: 5 minutes, 1 hour, then daily (by default). */
export function nextJanitorCheck(checksSoFar: number, now: Date, delays = DEFAULT_JANITOR_DELAYS): Date {
  const delayMs = checksSoFar === 0 ? delays.firstMs : checksSoFar === 1 ? delays.secondMs : delays.laterMs;
  return new Date(now.getTime() + delayMs);
}
