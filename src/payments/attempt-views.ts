import type { Actor } from '../kernel/actor.ts';
import { notFound } from '../kernel/errors.ts';
import { isUuid } from '../kernel/ids.ts';
import type { Cents } from '../kernel/money.ts';
import type { Db } from '../platform/db/transaction.ts';
import type { AttemptStatus } from './rules/payment-states.ts';

export interface PaymentHistory {
  attempts: {
    number: number;
    processor: string;
    processorReference: string | null;
    status: AttemptStatus;
    declineCode: string | null;
    message: string | null;
    startedAt: Date;
    finishedAt: Date | null;
    /** What the processor told us about this charge, in the order it arrived (its payload stays stored). */
    events: { type: string; outcome: string | null; receivedAt: Date }[];
  }[];
  refunds: {
    amountCents: Cents;
    status: 'started' | 'succeeded' | 'failed' | 'unknown';
    reason: string | null;
    createdBy: string;
    createdAt: Date;
  }[];
}

/** A payment's attempts at the processor with the events each drew, and its refunds: the payment page's history. */
export async function paymentHistory(db: Db, actor: Actor, paymentId: string): Promise<PaymentHistory> {
  if (!isUuid(paymentId)) throw notFound('payment', paymentId);
  const payment = await db
    .selectFrom('payments')
    .select('id')
    .where('agency_id', '=', actor.agencyId)
    .where('id', '=', paymentId)
    .executeTakeFirst();
  if (!payment) throw notFound('payment', paymentId);
  const [attempts, refunds] = await Promise.all([
    db
      .selectFrom('payment_attempts')
      .selectAll()
      .where('agency_id', '=', actor.agencyId)
      .where('payment_id', '=', payment.id)
      .orderBy('number')
      .execute(),
    db
      .selectFrom('payment_refunds')
      .select(['amount_cents', 'status', 'reason', 'created_by', 'created_at'])
      .where('agency_id', '=', actor.agencyId)
      .where('payment_id', '=', payment.id)
      .orderBy('created_at')
      .execute(),
  ]);
  // Events carry the processor's reference, not ours: matched through the attempts' references.
  const references = attempts.flatMap((a) => (a.processor_reference ? [a.processor_reference] : []));
  const events = references.length
    ? await db
        .selectFrom('processor_events')
        .select(['processor', 'processor_reference', 'type', 'outcome', 'received_at'])
        .where('processor_reference', 'in', references)
        .orderBy('received_at')
        .execute()
    : [];
  return {
    attempts: attempts.map((a) => ({
      number: a.number,
      processor: a.processor,
      processorReference: a.processor_reference,
      status: a.status,
      declineCode: a.decline_code,
      message: a.message,
      startedAt: a.started_at,
      finishedAt: a.finished_at,
      events: events
        .filter((e) => e.processor === a.processor && e.processor_reference === a.processor_reference)
        .map((e) => ({ type: e.type, outcome: e.outcome, receivedAt: e.received_at })),
    })),
    refunds: refunds.map((r) => ({
      amountCents: r.amount_cents,
      status: r.status,
      reason: r.reason,
      createdBy: r.created_by,
      createdAt: r.created_at,
    })),
  };
}
