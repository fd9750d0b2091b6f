import { randomUUID } from 'node:crypto';
import { agencyToday } from '../agency/agencies.ts';
import { lockCustomer } from '../customers/customers.ts';
import type { Actor } from '../kernel/actor.ts';
import { DomainError, notFound } from '../kernel/errors.ts';
import { isUuid } from '../kernel/ids.ts';
import { type Cents, formatAmount } from '../kernel/money.ts';
import { postJournalEntry } from '../ledger/ledger.ts';
import type { JournalLineDraft } from '../ledger/rules/ledger.ts';
import { audit, logActivity } from '../platform/db/audit.ts';
import { type Db, inTransaction, type Tx } from '../platform/db/transaction.ts';
import { refreshUnsentAmsReceiptExport } from '../sync/ams360-receipts/outbox.ts';
import { agencyProcessors } from './agency-processors.ts';
import type { Processors } from './processors/processor.ts';
import { allocateRefund, refundFeeCents } from './rules/refunds.ts';

export interface RefundView {
  id: string;
  paymentId: string;
  amountCents: Cents;
  /** The part of the payment's convenience fee returned with it (pro rata), beside the amount. */
  feeCents?: Cents | undefined;
  status: 'started' | 'succeeded' | 'failed' | 'unknown';
  reason: string | null;
}

/**
 * Refunds a posted card payment, in full or in part (staff only). The refund row and its
 * idempotency key are committed before the processor is called; on success a new journal entry
 * takes the money back out of the bank and unwinds the payment's applications in reverse.
 */
export async function refundPayment(
  db: Db,
  processors: Processors,
  actor: Actor,
  paymentId: string,
  input: { amountCents?: Cents | undefined; reason?: string | undefined },
  options: { recordEffect?: ((tx: Tx, refundId: string) => Promise<void>) | undefined } = {},
): Promise<RefundView> {
  if (actor.role !== 'staff') throw new DomainError('forbidden', 'only agency staff may refund payments');
  const started = await inTransaction(db, async (tx) => {
    const validId = isUuid(paymentId);
    const payment = validId
      ? await tx
          .selectFrom('payments')
          .selectAll()
          .where('agency_id', '=', actor.agencyId)
          .where('id', '=', paymentId)
          .forUpdate()
          .executeTakeFirst()
      : undefined;
    if (!payment) throw notFound('payment', paymentId);
    if (payment.state !== 'posted' || payment.type !== 'card') {
      throw new DomainError(
        'conflict',
        `only a posted card payment can be refunded; this one is a ${payment.state} ${payment.type} payment`,
      );
    }
    const refunds = await tx
      .selectFrom('payment_refunds')
      .select(['amount_cents', 'fee_cents', 'status'])
      .where('payment_id', '=', payment.id)
      .execute();
    if (refunds.some((r) => r.status === 'started' || r.status === 'unknown')) {
      throw new DomainError('conflict', 'another refund of this payment has no outcome yet');
    }
    const succeeded = refunds.filter((r) => r.status === 'succeeded');
    const refunded = succeeded.reduce((t, r) => t + r.amount_cents, 0n);
    const amountCents = input.amountCents ?? payment.amount_cents - refunded;
    if (amountCents <= 0n || refunded + amountCents > payment.amount_cents) {
      throw new DomainError(
        'unprocessable',
        `at most ${formatAmount(payment.amount_cents - refunded)} of this payment can still be refunded`,
        {
          errors: [{ path: 'amount', message: `must be at most ${formatAmount(payment.amount_cents - refunded)}` }],
        },
      );
    }
    const attempt = await tx
      .selectFrom('payment_attempts')
      .select(['processor', 'processor_reference'])
      .where('payment_id', '=', payment.id)
      .where('status', '=', 'succeeded')
      .executeTakeFirst();
    // A payment an autopay plugin collected outside policypay was never charged here.
    if (!attempt) {
      throw new DomainError(
        'conflict',
        'this payment was collected outside policypay (by the autopay plugin): refund it where it was collected, and reverse its receipt here',
      );
    }
    const feeCents = refundFeeCents({
      feeCents: payment.fee_cents,
      amountCents: payment.amount_cents,
      refundedCents: refunded,
      refundedFeeCents: succeeded.reduce((t, r) => t + r.fee_cents, 0n),
      refundCents: amountCents,
    });
    const id = randomUUID();
    await tx
      .insertInto('payment_refunds')
      .values({
        id,
        agency_id: actor.agencyId,
        payment_id: payment.id,
        amount_cents: amountCents,
        fee_cents: feeCents,
        idempotency_key: `ppr_${id}`,
        status: 'started',
        reason: input.reason ?? null,
        created_by: actor.label,
      })
      .execute();
    // The caller's Idempotency-Key commits with the refund it started, never after it.
    await options.recordEffect?.(tx, id);
    return { id, payment, attempt, amountCents, feeCents, refunded };
  });

  const processor = (await agencyProcessors(db, processors, actor.agencyId)).get(started.attempt.processor);
  if (!processor) {
    // Nothing was asked of any processor: nothing to keep.
    await db.deleteFrom('payment_refunds').where('id', '=', started.id).where('status', '=', 'started').execute();
    throw new DomainError('processor_unavailable', `processor ${started.attempt.processor} is not configured`);
  }
  const outcome = await processor.refund({
    processorReference: started.attempt.processor_reference!,
    // The fee's share goes back with the amount, in the same refund.
    amountCents: started.amountCents + started.feeCents,
    idempotencyKey: `ppr_${started.id}`,
    reason: input.reason,
  });

  if (outcome.status === 'failed') {
    // The processor refused: no money moved, so the attempt leaves no row behind (a retry that is
    // refused again must not pile up failed refunds) and the staff member is told why.
    await db.deleteFrom('payment_refunds').where('id', '=', started.id).where('status', '=', 'started').execute();
    throw new DomainError('unprocessable', `the payment processor refused the refund: ${outcome.message}`, {
      extensions: { processorCode: outcome.code },
    });
  }
  if (outcome.status === 'unknown') {
    // Money may have moved: kept as `unknown`, which blocks further refunds until it is resolved.
    await db.updateTable('payment_refunds').set({ status: 'unknown' }).where('id', '=', started.id).execute();
    throw new DomainError('processor_unavailable', `the refund's outcome is unknown: ${outcome.reason}`, {
      extensions: { refundId: started.id, refundStatus: 'unknown' },
    });
  }
  return inTransaction(db, async (tx) => {
    const { payment } = started;
    await lockCustomer(tx, payment.agency_id, payment.customer_id);
    const receipt = await tx
      .selectFrom('receipts')
      .select(['id', 'on_account_cents', 'bank_id'])
      .where('id', '=', payment.receipt_id!)
      .executeTakeFirstOrThrow();
    const applications = await tx
      .selectFrom('receipt_applications')
      .select(['invoice_id', 'applied_cents'])
      .where('receipt_id', '=', receipt.id)
      .where('invoice_id', 'is not', null)
      .orderBy('sequence')
      .execute();
    const buckets = allocateRefund(
      receipt.on_account_cents,
      applications.map((a) => ({ invoiceId: a.invoice_id!, appliedCents: a.applied_cents })),
      started.refunded,
      started.amountCents,
    );
    const lines: JournalLineDraft[] = [
      { account: 'cash', amountCents: -(started.amountCents + started.feeCents), bankId: receipt.bank_id },
    ];
    if (started.feeCents > 0n) lines.push({ account: 'convenience_fees', amountCents: started.feeCents });
    for (const bucket of buckets) {
      lines.push(
        bucket.invoiceId
          ? {
              account: 'accounts_receivable',
              amountCents: bucket.cents,
              customerId: payment.customer_id,
              invoiceId: bucket.invoiceId,
            }
          : { account: 'on_account', amountCents: bucket.cents, customerId: payment.customer_id },
      );
    }
    const entryId = await postJournalEntry(tx, payment.agency_id, {
      kind: 'refund',
      description: `Refund of card payment ${payment.id}`,
      occurredOn: await agencyToday(tx, payment.agency_id),
      sourceType: 'payment_refund',
      sourceId: started.id,
      lines,
    });
    await tx
      .updateTable('payment_refunds')
      .set({ status: 'succeeded', processor_reference: outcome.refundReference, journal_entry_id: entryId })
      .where('id', '=', started.id)
      .execute();
    // An AMS360 export not yet sent must carry what stays applied, not what was collected.
    await refreshUnsentAmsReceiptExport(tx, payment.agency_id, receipt.id);
    await logActivity(
      tx,
      actor,
      payment.customer_id,
      'payment_refunded',
      `Card payment refunded: ${formatAmount(started.amountCents)}`,
      {
        paymentId: payment.id,
        refundId: started.id,
      },
    );
    await audit(
      tx,
      actor,
      'payment.refunded',
      { type: 'payment', id: payment.id },
      { amountCents: started.amountCents },
    );
    return {
      id: started.id,
      paymentId: payment.id,
      amountCents: started.amountCents,
      feeCents: started.feeCents,
      status: 'succeeded',
      reason: input.reason ?? null,
    };
  });
}

/**
 * A refund's answer from its current state (a retried request whose first one died after the
 * refund row committed): the refund, or the error its first request gave or would give.
 */
export async function refundAnswer(db: Db, actor: Actor, refundId: string): Promise<RefundView> {
  const refund = await db
    .selectFrom('payment_refunds')
    .select(['id', 'payment_id', 'amount_cents', 'status', 'reason'])
    .where('agency_id', '=', actor.agencyId)
    .where('id', '=', refundId)
    .executeTakeFirst();
  if (!refund) throw notFound('refund', refundId);
  if (refund.status === 'started') {
    throw new DomainError('conflict', `refund ${refund.id} has no outcome yet; ask again later`, {
      extensions: { refundId: refund.id, status: refund.status },
    });
  }
  if (refund.status !== 'succeeded') {
    throw new DomainError('unprocessable', `the refund was not made: ${refund.status}`, {
      extensions: { refundId: refund.id, status: refund.status },
    });
  }
  return {
    id: refund.id,
    paymentId: refund.payment_id,
    amountCents: refund.amount_cents,
    status: 'succeeded',
    reason: refund.reason,
  };
}
