// The ledger model's steps (fast-check arbitraries) and the constants the model and its test share.
import fc from 'fast-check';
import { DomainError } from '../../src/kernel/errors.ts';
import {
  ACH_RETURN_R01_NSF,
  ACH_SETTLES,
  CARD_DECLINED_INSUFFICIENT_FUNDS,
  CARD_DECLINED_STOLEN,
  CARD_LOST_RESPONSE,
  CARD_SUCCEEDS,
} from '../../src/payments/processors/sandbox/test-numbers.ts';

export const SECRET = 'whsec_test_ledger_model';
export const DAY_MS = 86_400_000;
/** The model's business time starts here; janitor and ACH steps move it forward, nothing waits. */
export const T0 = new Date('2026-11-21T16:00:00Z');

export const instruments = {
  card: { kind: 'card', number: CARD_SUCCEEDS },
  softDecline: { kind: 'card', number: CARD_DECLINED_INSUFFICIENT_FUNDS },
  hardDecline: { kind: 'card', number: CARD_DECLINED_STOLEN },
  lostResponse: { kind: 'card', number: CARD_LOST_RESPONSE },
  achSettles: { kind: 'ach', number: ACH_SETTLES },
  achReturns: { kind: 'ach', number: ACH_RETURN_R01_NSF },
} as const;
export type Instrument = keyof typeof instruments;

export type Op =
  | { kind: 'receipt'; customer: number; items: { invoice: number | null; cents: number }[] }
  | { kind: 'reverse'; pick: number; reason: 'nsf' | 'chargeback' | 'entered_in_error' }
  | { kind: 'onAccount'; customer: number; invoice: number; fraction: number }
  | { kind: 'pay'; customer: number; invoice: number; fraction: number; extra: number; instrument: Instrument }
  | { kind: 'janitor' }
  | { kind: 'foldAging' }
  | { kind: 'runDue' }
  | { kind: 'refund'; pick: number; fraction: number }
  | { kind: 'settleAch' }
  | { kind: 'chargeback'; pick: number }
  | { kind: 'lateReturn'; pick: number }
  | { kind: 'redeliver'; pick: number };

export const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('receipt' as const),
    customer: fc.nat(1),
    items: fc.array(
      fc.record({ invoice: fc.option(fc.nat(2), { nil: null }), cents: fc.integer({ min: 1, max: 60_000 }) }),
      { minLength: 1, maxLength: 3 },
    ),
  }),
  fc.record({
    kind: fc.constant('reverse' as const),
    pick: fc.nat(20),
    reason: fc.constantFrom('nsf' as const, 'chargeback' as const, 'entered_in_error' as const),
  }),
  fc.record({
    kind: fc.constant('onAccount' as const),
    customer: fc.nat(1),
    invoice: fc.nat(2),
    fraction: fc.double({ min: 0.05, max: 1, noNaN: true }),
  }),
  {
    arbitrary: fc.record({
      kind: fc.constant('pay' as const),
      customer: fc.nat(1),
      invoice: fc.nat(2),
      fraction: fc.double({ min: 0.05, max: 1, noNaN: true }),
      extra: fc.constantFrom(0, 0, 2_500),
      instrument: fc.constantFrom<Instrument>(
        'card',
        'card',
        'softDecline',
        'hardDecline',
        'lostResponse',
        'achSettles',
        'achReturns',
      ),
    }),
    weight: 4,
  },
  fc.constant({ kind: 'janitor' as const }),
  // The maintenance job folding the aging deltas into their totals, at any point between writes.
  fc.constant({ kind: 'foldAging' as const }),
  fc.constant({ kind: 'runDue' as const }),
  {
    arbitrary: fc.record({
      kind: fc.constant('refund' as const),
      pick: fc.nat(20),
      fraction: fc.double({ min: 0.05, max: 1, noNaN: true }),
    }),
    weight: 2,
  },
  fc.constant({ kind: 'settleAch' as const }),
  { arbitrary: fc.record({ kind: fc.constant('chargeback' as const), pick: fc.nat(20) }), weight: 2 },
  fc.record({ kind: fc.constant('lateReturn' as const), pick: fc.nat(20) }),
  fc.record({ kind: fc.constant('redeliver' as const), pick: fc.nat(20) }),
);

/** A refusal the services answer with (a payment in flight, a disabled method): the step does nothing. */
export function refused(error: unknown): boolean {
  return error instanceof DomainError && ['conflict', 'unprocessable', 'payment_in_flight'].includes(error.code);
}
