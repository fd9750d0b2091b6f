// Autopay for the console's Autopay page: the pulls due per day, failed and declined pulls and
// their re-fire, the enrollments (keyset pages) and the passes.
import { request } from './api.ts';

export type DueDay = { date: string; count: number; amount: number };

export type FailedPull = {
  invoiceNumber: number;
  customerNumber: number;
  customerName: string;
  autopayTime: string;
  firedAt: string;
  status: 'failed' | 'declined' | 'queued';
  attempts: number;
  paymentId: string | null;
  amount: number | null;
  reasonCode: string | null;
  reason: string | null;
};

export type AutopayEnrollment = {
  customerNumber: number;
  customerName: string;
  paymentMethod: { kind: 'card' | 'ach'; brand: string | null; last4: string; usable: boolean };
  enrolledAt: string;
  enrolledBy: string;
};

export type AutopayRun = {
  id: string;
  trigger: string;
  status: string;
  startedAt: string;
  summary: { due: number; fired: number; posted: number; failed: number; skipped: number };
};

const signalOnly = (signal?: AbortSignal) => (signal ? { signal } : {});

export function getDueDays(signal?: AbortSignal): Promise<{ days: DueDay[] }> {
  return request('GET', '/api/v1/autopay/due', signalOnly(signal));
}

export function listFailedPulls(signal?: AbortSignal): Promise<{ data: FailedPull[] }> {
  return request('GET', '/api/v1/autopay/failures?limit=100', signalOnly(signal));
}

export function listAutopayEnrollments(
  after: number | null,
  signal?: AbortSignal,
): Promise<{ data: AutopayEnrollment[]; nextAfter: number | null }> {
  return request('GET', `/api/v1/autopay/enrollments?limit=25${after ? `&after=${after}` : ''}`, signalOnly(signal));
}

export function listAutopayRuns(signal?: AbortSignal): Promise<{ data: AutopayRun[] }> {
  return request('GET', '/api/v1/autopay/runs?limit=20', signalOnly(signal));
}

/** Fires a failed or declined pull again: the next pass takes it through the autopay rules. */
export function refirePull(invoiceNumber: number, idempotencyKey: string): Promise<unknown> {
  return request('POST', `/api/v1/invoices/${invoiceNumber}/autopay/refire`, { idempotencyKey });
}
