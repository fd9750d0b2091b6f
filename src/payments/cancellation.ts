import type { Actor } from '../kernel/actor.ts';
import { audit } from '../platform/db/audit.ts';
import { type Db, inTransaction, type Tx } from '../platform/db/transaction.ts';
import { transitionPayment } from './transitions.ts';
import { getPayment, getPaymentById, type PaymentView } from './views.ts';

/** draft, validated or requested → cancelled. */
export async function cancelPayment(db: Db | Tx, actor: Actor, id: string, reason?: string): Promise<PaymentView> {
  return inTransaction(db, async (tx) => {
    await getPayment(tx as unknown as Db, actor, id);
    const payment = await tx
      .selectFrom('payments')
      .select(['id', 'agency_id', 'state'])
      .where('agency_id', '=', actor.agencyId)
      .where('id', '=', id)
      .forUpdate()
      .executeTakeFirstOrThrow();
    await transitionPayment(tx, payment, 'cancelled', actor.label, reason ?? 'cancelled', { next_attempt_at: null });
    await audit(tx, actor, 'payment.cancelled', { type: 'payment', id });
    return getPaymentById(tx, actor.agencyId, id);
  });
}
