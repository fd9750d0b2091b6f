import { randomUUID } from 'node:crypto';
import { channelDepositBank, resolveDepositBank } from '../../agency/bank-access.ts';
import { findCustomer } from '../../customers/customers.ts';
import { requirePaymentEligibility } from '../../eligibility/payment-eligibility.ts';
import type { PaymentChannel } from '../../eligibility/rules/channels.ts';
import type { PayerActor } from '../../eligibility/rules/eligibility.ts';
import type { Actor } from '../../kernel/actor.ts';
import { DomainError } from '../../kernel/errors.ts';
import { isUuid } from '../../kernel/ids.ts';
import type { Cents } from '../../kernel/money.ts';
import { type Db, inTransaction, type Tx } from '../../platform/db/transaction.ts';
import { type JobQueue, noJobQueue } from '../../platform/jobs/job-queue.ts';
import { defaultRetryPlanFor, findRetryPlan } from '../retry-plans.ts';
import {
  checkPaymentMethod,
  checkPaymentShape,
  checkTargets,
  type MethodFacts,
  type NewPaymentState,
  type TargetInvoice,
} from '../rules/payment-creation.ts';
import { getPaymentById, type PaymentView } from '../views.ts';
import { refuseWhileInFlight } from './in-flight.ts';
import { insertPayments, type NewPayment } from './inserts.ts';

export interface PaymentCreateRequest {
  customerNumber: number;
  type: 'card' | 'ach';
  amountCents: Cents;
  currency: string;
  paymentMethodId: string;
  targets: { invoiceNumber: number; amountCents: Cents }[];
  channel: PaymentChannel;
  retryPlan?: string | undefined;
  /**
   * `posted` only with `collectedOutside`: an autopay plugin took the money itself; the caller
   * posts its receipt in the same transaction and links it (`receipt_id`).
   */
  state?: NewPaymentState | undefined;
  collectedOutside?: boolean | undefined;
  bankShortName?: string | undefined;
  extension?: Record<string, unknown> | undefined;
  /** Who pays, when not the caller's role (autopay pulls as an outside payer). */
  payer?: PayerActor | undefined;
  /** A requested payment's first attempt waits until then (autopay's nextRequestTime); default now. */
  nextAttemptAt?: Date | undefined;
  /** A portal client paying a payment request: the money is held until staff finalize it. */
  paymentRequestId?: string | undefined;
  /** The portal contact who paid (for the activity, the agency's e-mails and the receipt). */
  paidByContactId?: string | undefined;
  /** A portal payment may go wholly On Account (no invoice open, or a request without invoices). */
  allowNoTargets?: boolean | undefined;
  /**
   * The caller executes the first attempt itself (portal checkout, the client waiting): no job is
   * queued, so no worker races it; if the caller dies first, the sweep finds the due payment.
   */
  executeInline?: boolean | undefined;
  /** A convenience fee charged on top of the amount (issue 20.3), with the rule that allowed it. */
  fee?: { cents: Cents; ruleId: string } | undefined;
}

function payerFor(actor: Actor): PayerActor {
  return actor.role === 'client' ? 'external' : actor.role;
}

/**
 * The payment a request becomes once its rules passed and what it names is resolved to ids: the
 * one mapping for the API's payment and each of the autopay pass's page (`autopay-batch.ts`).
 */
export function newPayment(
  actor: Actor,
  request: PaymentCreateRequest,
  resolved: { customerId: string; invoiceIds: string[]; retryPlanId: string; bankId: string },
  now: Date,
): NewPayment {
  const state = request.state ?? 'requested';
  return {
    id: randomUUID(),
    customerId: resolved.customerId,
    paymentMethodId: request.paymentMethodId,
    type: request.type,
    amountCents: request.amountCents,
    currency: request.currency,
    channel: request.channel,
    payer: request.payer ?? payerFor(actor),
    state,
    retryPlanId: resolved.retryPlanId,
    bankId: resolved.bankId,
    nextAttemptAt: state === 'requested' ? (request.nextAttemptAt ?? now) : null,
    extension: request.extension ?? {},
    paymentRequestId: request.paymentRequestId ?? null,
    paidByContactId: request.paidByContactId ?? null,
    targets: request.targets.map((target, index) => ({
      invoiceId: resolved.invoiceIds[index]!,
      amountCents: target.amountCents,
    })),
    job: state === 'requested' && !request.executeInline ? { startAfter: request.nextAttemptAt } : null,
    fee: request.fee,
  };
}

/**
 * Creates a payment. Targets must be the customer's invoices; the payment method the customer's,
 * usable and of the payment's type; every target's policy must pass the eligibility rules for the
 * payment's channel and payer. A `requested` payment is queued for execution in the same transaction.
 */
export async function createPayment(
  db: Db | Tx,
  actor: Actor,
  request: PaymentCreateRequest,
  jobs: JobQueue = noJobQueue,
  now: Date = new Date(),
): Promise<PaymentView> {
  checkPaymentShape(request);
  const payer = request.payer ?? payerFor(actor);
  return inTransaction(db, async (tx) => {
    const customer = await findCustomer(tx, actor.agencyId, request.customerNumber).catch((error) => {
      throw error instanceof DomainError && error.code === 'not_found'
        ? new DomainError('unprocessable', error.message, {
            errors: [{ path: 'customerNumber', message: 'unknown customer' }],
          })
        : error;
    });
    checkPaymentMethod(
      request.paymentMethodId,
      await paymentMethodFacts(tx, actor.agencyId, request.paymentMethodId),
      customer.id,
      request.type,
    );
    const { invoiceIds, perPolicy } = checkTargets(
      request.targets,
      await targetInvoices(tx, actor.agencyId, request.targets),
      customer.id,
    );
    await refuseWhileInFlight(tx, actor.agencyId, invoiceIds);
    for (const [policyNumber, amountCents] of perPolicy) {
      await requirePaymentEligibility(tx, actor, policyNumber, { channel: request.channel, payer, amountCents }, now);
    }
    const plan = request.retryPlan
      ? await findRetryPlan(tx, actor.agencyId, request.retryPlan)
      : await defaultRetryPlanFor(tx, actor.agencyId);
    const bank = await depositBank(tx, actor, request.bankShortName, request.channel);
    const payment = newPayment(
      actor,
      { ...request, payer },
      { customerId: customer.id, invoiceIds, retryPlanId: plan.id, bankId: bank.id },
      now,
    );
    await insertPayments(tx, actor, [payment], jobs);
    return getPaymentById(tx, actor.agencyId, payment.id);
  });
}

async function paymentMethodFacts(tx: Tx, agencyId: string, id: string): Promise<MethodFacts | undefined> {
  if (!isUuid(id)) return undefined;
  const row = await tx
    .selectFrom('payment_methods')
    .select(['customer_id', 'kind', 'disabled_at', 'disabled_reason', 'deleted_at'])
    .where('agency_id', '=', agencyId)
    .where('id', '=', id)
    .executeTakeFirst();
  return row && methodFacts(row);
}

export function methodFacts(row: {
  customer_id: string;
  kind: 'card' | 'ach';
  disabled_at: Date | null;
  disabled_reason: string | null;
  deleted_at: Date | null;
}): MethodFacts {
  return {
    customerId: row.customer_id,
    kind: row.kind,
    disabledAt: row.disabled_at,
    disabledReason: row.disabled_reason,
    deletedAt: row.deleted_at,
  };
}

async function targetInvoices(
  tx: Tx,
  agencyId: string,
  targets: PaymentCreateRequest['targets'],
): Promise<Map<number, TargetInvoice>> {
  if (targets.length === 0) return new Map();
  const rows = await tx
    .selectFrom('invoices')
    .leftJoin('policies', 'policies.id', 'invoices.policy_id')
    .select(['invoices.id', 'invoices.invoice_number', 'invoices.customer_id', 'policies.policy_number'])
    .where('invoices.agency_id', '=', agencyId)
    .where(
      'invoices.invoice_number',
      'in',
      targets.map((t) => t.invoiceNumber),
    )
    .execute();
  return new Map(
    rows.map((i) => [i.invoice_number, { id: i.id, customerId: i.customer_id, policyNumber: i.policy_number }]),
  );
}

/** The bank card and ACH money is deposited to: the one named, else the channel's default bank. */
async function depositBank(tx: Tx, actor: Actor, shortName: string | undefined, channel: PaymentChannel) {
  if (shortName) return resolveDepositBank(tx, actor, shortName);
  const bank = await channelDepositBank(tx, actor.agencyId, channel);
  return resolveDepositBank(tx, actor, bank.shortName);
}
