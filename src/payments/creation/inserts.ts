import type { PaymentChannel } from '../../eligibility/rules/channels.ts';
import type { PayerActor } from '../../eligibility/rules/eligibility.ts';
import type { Actor } from '../../kernel/actor.ts';
import type { Cents } from '../../kernel/money.ts';
import { activityRow, auditRow } from '../../platform/db/audit.ts';
import type { Tx } from '../../platform/db/transaction.ts';
import { type JobQueue, paymentQueues } from '../../platform/jobs/job-queue.ts';
import { type NewPaymentState, paymentCreatedSummary } from '../rules/payment-creation.ts';

/**
 * The one way new payments are written, one or a page of them: one statement per table whatever
 * their number, so the API's single payment and the autopay pass's page of hundreds write the same
 * rows, jobs and texts (the autopay day's 100,000 invoices rely on the page's few statements).
 */

/** A payment every rule has accepted, with everything it refers to resolved to ids. */
export interface NewPayment {
  id: string;
  customerId: string;
  paymentMethodId: string;
  type: 'card' | 'ach';
  amountCents: Cents;
  currency: string;
  channel: PaymentChannel;
  payer: PayerActor;
  state: NewPaymentState;
  retryPlanId: string;
  bankId: string;
  nextAttemptAt: Date | null;
  extension: Record<string, unknown>;
  paymentRequestId: string | null;
  paidByContactId: string | null;
  targets: { invoiceId: string; amountCents: Cents }[];
  /** Its first attempt's job, or null: not requested, or the caller executes the attempt itself. */
  job: { startAfter: Date | undefined } | null;
  /** A convenience fee charged on top of the amount, never applied to an invoice (issue 20.3). */
  fee?: { cents: Cents; ruleId: string } | undefined;
}

/** The rows of new payments, table by table, in the payments' order. Pure. */
function newPaymentRows(actor: Actor, payments: readonly NewPayment[]) {
  const agencyId = actor.agencyId;
  return {
    payments: payments.map((p) => ({
      id: p.id,
      agency_id: agencyId,
      customer_id: p.customerId,
      payment_method_id: p.paymentMethodId,
      type: p.type,
      amount_cents: p.amountCents,
      currency: p.currency,
      channel: p.channel,
      payer: p.payer,
      state: p.state,
      retry_plan_id: p.retryPlanId,
      bank_id: p.bankId,
      next_attempt_at: p.nextAttemptAt,
      extension: JSON.stringify(p.extension),
      created_by: actor.label,
      payment_request_id: p.paymentRequestId,
      paid_by_contact_id: p.paidByContactId,
      fee_cents: p.fee?.cents ?? 0n,
      fee_rule_id: p.fee?.ruleId ?? null,
    })),
    targets: payments.flatMap((p) =>
      p.targets.map((target, index) => ({
        agency_id: agencyId,
        payment_id: p.id,
        sequence: index + 1,
        invoice_id: target.invoiceId,
        amount_cents: target.amountCents,
      })),
    ),
    transitions: payments.map((p) => ({
      agency_id: agencyId,
      payment_id: p.id,
      from_state: null,
      to_state: p.state,
      actor: actor.label,
      reason: p.state === 'posted' ? 'created: collected outside policypay' : 'created',
    })),
    jobs: payments.flatMap((p) => (p.job ? [{ data: { paymentId: p.id }, startAfter: p.job.startAfter }] : [])),
    activities: payments.map((p) =>
      activityRow(
        actor,
        p.customerId,
        'payment_created',
        paymentCreatedSummary({ type: p.type, amountCents: p.amountCents, state: p.state, actorLabel: actor.label }),
        { paymentId: p.id, amountCents: p.amountCents },
      ),
    ),
    audits: payments.map((p) =>
      auditRow(actor, 'payment.created', { type: 'payment', id: p.id }, { state: p.state, amountCents: p.amountCents }),
    ),
  };
}

/** Writes new payments with their targets, first transitions, jobs, activities and audit rows. */
export async function insertPayments(
  tx: Tx,
  actor: Actor,
  payments: readonly NewPayment[],
  jobs: JobQueue,
): Promise<void> {
  if (payments.length === 0) return;
  const rows = newPaymentRows(actor, payments);
  await tx.insertInto('payments').values(rows.payments).execute();
  if (rows.targets.length > 0) await tx.insertInto('payment_targets').values(rows.targets).execute();
  await tx.insertInto('payment_transitions').values(rows.transitions).execute();
  if (rows.jobs.length > 0) await jobs.enqueueMany(tx, paymentQueues.execute, rows.jobs);
  await tx.insertInto('activities').values(rows.activities).execute();
  await tx.insertInto('audit_log').values(rows.audits).execute();
}
