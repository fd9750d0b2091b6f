// The agency's payments: the list by state, one payment with its history, refund, cancel, retry
// now and charge again, and the paid requests waiting for Finalize Payment.
import { type PaymentRequest, request } from './api.ts';

export const paymentStates = [
  'requested',
  'executing',
  'posted',
  'failed',
  'cancelled',
  'reversed',
  'draft',
  'validated',
] as const;
export type PaymentState = (typeof paymentStates)[number];

export type Payment = {
  id: string;
  customerNumber: number;
  type: 'card' | 'ach';
  amount: number;
  paymentMethodId: string;
  channel: string;
  payer: string;
  state: PaymentState;
  retryPlan: string;
  attempts: number;
  nextAttemptAt: string | null;
  receiptNumber: number | null;
  failureCode: string | null;
  failureMessage: string | null;
  /** The payment request it pays: a declined one is charged again against the same request. */
  paymentRequestId: string | null;
  targets: { invoiceNumber: number; amount: number }[];
  transitions: { from: string | null; to: string; actor: string; reason: string | null; at: string }[];
  createdAt: string;
};

export type PaymentHistory = {
  attempts: {
    number: number;
    processor: string;
    processorReference: string | null;
    status: string;
    declineCode: string | null;
    message: string | null;
    startedAt: string;
    finishedAt: string | null;
    events: { type: string; outcome: string | null; receivedAt: string }[];
  }[];
  refunds: { amount: number; status: string; reason: string | null; createdBy: string; createdAt: string }[];
};

const signalOnly = (signal?: AbortSignal) => (signal ? { signal } : {});

export function listPayments(state: PaymentState | null, signal?: AbortSignal): Promise<{ data: Payment[] }> {
  return request('GET', `/api/v1/payments?limit=200${state ? `&state=${state}` : ''}`, signalOnly(signal));
}

export function getPayment(id: string, signal?: AbortSignal): Promise<Payment> {
  return request('GET', `/api/v1/payments/${encodeURIComponent(id)}`, signalOnly(signal));
}

export function getPaymentHistory(id: string, signal?: AbortSignal): Promise<PaymentHistory> {
  return request('GET', `/api/v1/payments/${encodeURIComponent(id)}/history`, signalOnly(signal));
}

export function refundPayment(
  id: string,
  body: { amount?: number; reason?: string },
  idempotencyKey: string,
): Promise<unknown> {
  return request('POST', `/api/v1/payments/${encodeURIComponent(id)}/refunds`, { body, idempotencyKey });
}

export function cancelPayment(id: string, idempotencyKey: string): Promise<Payment> {
  return request('POST', `/api/v1/payments/${encodeURIComponent(id)}/cancel`, { body: {}, idempotencyKey });
}

/** Every paid request waiting for Finalize Payment, across customers (oldest first: first paid, first done). */
export async function listAwaitingFinalize(signal?: AbortSignal): Promise<PaymentRequest[]> {
  const result = await request<{ data: PaymentRequest[] }>(
    'GET',
    '/api/v1/payment-requests?state=paid&limit=200',
    signalOnly(signal),
  );
  return [...result.data].reverse();
}

/** Retry now: the scheduled retry of a declined payment, run at once by the engine (staff only). */
export function retryPayment(id: string, idempotencyKey: string): Promise<Payment> {
  return request('POST', `/api/v1/payments/${encodeURIComponent(id)}/retry`, { body: {}, idempotencyKey });
}

export type SavedPaymentMethod = {
  id: string;
  kind: 'card' | 'ach';
  brand: string | null;
  last4: string;
  bankName: string | null;
  isDefault: boolean;
  disabled: boolean;
};

export async function listSavedPaymentMethods(customerNumber: number, signal?: AbortSignal) {
  const result = await request<{ data: SavedPaymentMethod[] }>(
    'GET',
    `/api/v1/customers/${customerNumber}/payment-methods`,
    signalOnly(signal),
  );
  return result.data;
}

/** A new payment through the one create path (its eligibility, in-flight and idempotency rules). */
export function createPayment(
  body: {
    customerNumber: number;
    type: 'card' | 'ach';
    amount: number;
    paymentMethodId: string;
    targets: { invoiceNumber: number; amount: number }[];
    channel: 'agent_sweep';
  },
  idempotencyKey: string,
): Promise<Payment> {
  return request('POST', '/api/v1/payments', { body, idempotencyKey });
}

/** A payment request as the payment page needs it: is it still waiting to be paid? */
export function getPaymentRequest(id: string, signal?: AbortSignal): Promise<PaymentRequest> {
  return request('GET', `/api/v1/payment-requests/${encodeURIComponent(id)}`, signalOnly(signal));
}

/**
 * Charge again for a request's payment: a new payment of the same request (its money held for
 * Finalize Payment) with a saved method of its customer (staff only).
 */
export function chargePaymentRequest(id: string, paymentMethodId: string, idempotencyKey: string): Promise<Payment> {
  return request('POST', `/api/v1/payment-requests/${encodeURIComponent(id)}/charge`, {
    body: { paymentMethodId },
    idempotencyKey,
  });
}
