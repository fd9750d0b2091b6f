import { getAgency } from '../agency/agencies.ts';
import { loadEmailSender } from '../agency/branding.ts';
import { loadPaymentSettings } from '../agency/payment-settings.ts';
import { queueEmail } from '../email/outbox.ts';
import {
  agencyPaymentReceiptEmail,
  describeMethod,
  paymentReversedEmail,
  paymentSentEmail,
} from '../email/rules/templates.ts';
import type { Tx } from '../platform/db/transaction.ts';
import type { JobQueue } from '../platform/jobs/job-queue.ts';

/**
 * Who at the agency hears about a customer's payment: the customer's producer and CSR, the
 * agency's backup address and, for a request, the person who asked. Each address once.
 */
async function agencyRecipients(
  tx: Tx,
  agencyId: string,
  customerId: string,
  requestorUserId: string | null = null,
): Promise<string[]> {
  const customer = await tx
    .selectFrom('customers')
    .select(['producer_user_id', 'csr_user_id'])
    .where('agency_id', '=', agencyId)
    .where('id', '=', customerId)
    .executeTakeFirstOrThrow();
  const userIds = [customer.producer_user_id, customer.csr_user_id, requestorUserId].filter(
    (id): id is string => id !== null,
  );
  const users = userIds.length
    ? await tx
        .selectFrom('users')
        .select(['id', 'email'])
        .where('agency_id', '=', agencyId)
        .where('id', 'in', userIds)
        .execute()
    : [];
  const byId = new Map(users.map((u) => [u.id, u.email]));
  const settings = await loadPaymentSettings(tx, agencyId);
  const addresses = [
    customer.producer_user_id ? byId.get(customer.producer_user_id) : undefined,
    customer.csr_user_id ? byId.get(customer.csr_user_id) : undefined,
    settings.backupEmail ?? undefined,
    requestorUserId ? byId.get(requestorUserId) : undefined,
  ];
  const seen = new Set<string>();
  return addresses.filter((a): a is string => {
    if (!a || seen.has(a.toLowerCase())) return false;
    seen.add(a.toLowerCase());
    return true;
  });
}

interface PaymentFacts {
  id: string;
  agency_id: string;
  customer_id: string;
  payment_method_id: string;
  type: 'card' | 'ach';
  amount_cents: bigint;
}

async function paymentContext(tx: Tx, payment: PaymentFacts) {
  const agency = await getAgency(tx, payment.agency_id);
  const customer = await tx
    .selectFrom('customers')
    .select(['customer_number', 'name'])
    .where('id', '=', payment.customer_id)
    .executeTakeFirstOrThrow();
  const method = await tx
    .selectFrom('payment_methods')
    .select(['brand', 'last4'])
    .where('id', '=', payment.payment_method_id)
    .executeTakeFirstOrThrow();
  return { agency, customer, method: describeMethod({ type: payment.type, brand: method.brand, last4: method.last4 }) };
}

/** "Payment sent": the client paid online (a request or a one-time payment). */
export async function notifyPaymentSent(
  tx: Tx,
  payment: PaymentFacts,
  payerName: string,
  request: { id: string; note: string | null; dueDate: string; requestorUserId: string | null } | null,
  jobs: JobQueue,
): Promise<number> {
  const { agency, customer, method } = await paymentContext(tx, payment);
  const rendered = paymentSentEmail({
    ...(await loadEmailSender(tx, agency.id)),
    customerName: customer.name,
    customerNumber: customer.customer_number,
    payerName,
    amountCents: payment.amount_cents,
    method,
    paymentId: payment.id,
    request: request ? { note: request.note, dueDate: request.dueDate } : null,
  });
  const recipients = await agencyRecipients(tx, payment.agency_id, payment.customer_id, request?.requestorUserId);
  for (const to of recipients) {
    await queueEmail(
      tx,
      payment.agency_id,
      { kind: 'payment_sent', to, ...rendered, related: { type: 'payment', id: payment.id } },
      jobs,
    );
  }
  return recipients.length;
}

/** An ACH return or chargeback reversed a payment: the agency is told (issue 5). */
export async function notifyPaymentReversed(
  tx: Tx,
  payment: PaymentFacts,
  reversal: { kind: 'return' | 'chargeback'; code: string },
  jobs: JobQueue,
): Promise<number> {
  const { agency, customer, method } = await paymentContext(tx, payment);
  const rendered = paymentReversedEmail({
    ...(await loadEmailSender(tx, agency.id)),
    customerName: customer.name,
    customerNumber: customer.customer_number,
    amountCents: payment.amount_cents,
    method,
    kind: reversal.kind,
    code: reversal.code,
    paymentId: payment.id,
  });
  const recipients = await agencyRecipients(tx, payment.agency_id, payment.customer_id);
  for (const to of recipients) {
    await queueEmail(
      tx,
      payment.agency_id,
      { kind: 'payment_reversed', to, ...rendered, related: { type: 'payment', id: payment.id } },
      jobs,
    );
  }
  return recipients.length;
}

/**
 * The agency's copy of a client's payment receipt, at its address on file (the backup address
 * setting): the seed's processor e-mails the receipt to the contact and to the agency.
 */
export async function sendAgencyReceiptCopy(
  tx: Tx,
  payment: PaymentFacts,
  receipt: { payerName: string; method: string; reference: string; paidAt: string },
  jobs: JobQueue,
): Promise<boolean> {
  const settings = await loadPaymentSettings(tx, payment.agency_id);
  if (!settings.backupEmail) return false;
  const { agency, customer } = await paymentContext(tx, payment);
  const rendered = agencyPaymentReceiptEmail({
    ...(await loadEmailSender(tx, agency.id)),
    customerName: customer.name,
    customerNumber: customer.customer_number,
    amountCents: payment.amount_cents,
    ...receipt,
  });
  await queueEmail(
    tx,
    payment.agency_id,
    {
      kind: 'payment_receipt_agency',
      to: settings.backupEmail,
      ...rendered,
      related: { type: 'payment', id: payment.id },
    },
    jobs,
  );
  return true;
}
