// A payment's state moves, each with its transition row (who and why), in one statement: the
// history and the state cannot disagree, and on the hot path each move is one round trip.
import { sql } from 'kysely';
import type { Tx } from '../platform/db/transaction.ts';
import { assertPaymentTransition, type PaymentState } from './rules/payment-states.ts';

/** Records a legal transition of a locked payment, with who and why. */
export async function transitionPayment(
  tx: Tx,
  payment: { id: string; agency_id: string; state: string },
  to: PaymentState,
  actorLabel: string,
  reason: string | null,
  changes: Partial<{
    next_attempt_at: Date | null;
    receipt_id: string | null;
    failure_code: string | null;
    failure_message: string | null;
    attempts: number;
  }> = {},
): Promise<void> {
  assertPaymentTransition(payment.state as PaymentState, to);
  // One statement (a round trip on the hot path of every payment): the state moves and its
  // transition row is written together, and only if the update found the payment.
  await tx
    .with('moved', (db) =>
      db
        .updateTable('payments')
        .set({ state: to, updated_at: new Date(), ...changes })
        .where('id', '=', payment.id)
        .returning(['id', 'agency_id']),
    )
    .insertInto('payment_transitions')
    .columns(['agency_id', 'payment_id', 'from_state', 'to_state', 'actor', 'reason'])
    .expression((eb) =>
      eb
        .selectFrom('moved')
        .select([
          'moved.agency_id',
          'moved.id',
          sql<string>`${payment.state}::text`.as('from_state'),
          sql<string>`${to}::text`.as('to_state'),
          sql<string>`${actorLabel}::text`.as('actor'),
          sql<string | null>`${reason}::text`.as('reason'),
        ]),
    )
    .execute();
  payment.state = to;
}

/**
 * Moves requested payments (locked by the caller) to executing, counting their new attempt, with
 * their transition rows: the group start of the payment workers, one statement for all.
 */
export async function moveToExecuting(tx: Tx, ids: readonly string[], actorLabel: string): Promise<void> {
  assertPaymentTransition('requested', 'executing');
  await tx
    .with('moved', (db) =>
      db
        .updateTable('payments')
        .set((eb) => ({
          state: 'executing',
          updated_at: new Date(),
          next_attempt_at: null,
          attempts: eb('attempts', '+', 1),
        }))
        .where('id', 'in', ids)
        .returning(['id', 'agency_id']),
    )
    .insertInto('payment_transitions')
    .columns(['agency_id', 'payment_id', 'from_state', 'to_state', 'actor', 'reason'])
    .expression((eb) =>
      eb
        .selectFrom('moved')
        .select([
          'moved.agency_id',
          'moved.id',
          sql<string>`'requested'`.as('from_state'),
          sql<string>`'executing'`.as('to_state'),
          sql<string>`${actorLabel}::text`.as('actor'),
          sql<string | null>`NULL::text`.as('reason'),
        ]),
    )
    .execute();
}
