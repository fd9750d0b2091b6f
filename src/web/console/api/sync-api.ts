// Typed calls for the sync hub and the AMS360 receipt connector (same-origin, cookie session).
import { request } from './api.ts';

type SyncSystem = 'ams' | 'benefits' | 'crm';

export type SyncBadge = {
  system: SyncSystem;
  label: string;
  externalId: string;
  amsCustomerNumber: string | null;
  status: 'synced' | 'pending' | 'error';
  syncedAt: string;
  lastError: string | null;
};
export type CustomerSync = { customerNumber: number; badges: SyncBadge[]; pending: SyncSystem[] };

export type SyncLogEntry = {
  id: number;
  system: string;
  direction: 'inbound' | 'outbound';
  entity: string;
  customerNumber: number | null;
  externalId: string | null;
  action: string;
  message: string | null;
  at: string;
};

export type SyncReview = {
  id: string;
  system: SyncSystem;
  externalId: string;
  record: Record<string, unknown>;
  reason: string;
  candidates: { customerNumber: number; name: string }[];
  status: 'open' | 'accepted' | 'merged' | 'rejected';
  customerNumber: number | null;
  createdAt: string;
};

export type AmsReceiptExport = {
  id: string;
  receiptNumber: number;
  customerNumber: number;
  reference: string;
  status: 'held' | 'pending' | 'sending' | 'sent' | 'failed';
  attempts: number;
  nextAttemptAt: string | null;
  lastHttpStatus: number | null;
  lastError: string | null;
  amsReceiptId: string | null;
  createdAt: string;
  sentAt: string | null;
  reversal: { reason: string; at: string } | null;
  manualAction: string | null;
};

const withSignal = (signal?: AbortSignal) => (signal ? { signal } : {});

export function getCustomerSync(customerNumber: number, signal?: AbortSignal): Promise<CustomerSync> {
  return request('GET', `/api/v1/customers/${customerNumber}/sync`, withSignal(signal));
}

export function listSyncLog(signal?: AbortSignal): Promise<{ data: SyncLogEntry[] }> {
  return request('GET', '/api/v1/sync/log?limit=100', withSignal(signal));
}

export function listOpenReviews(signal?: AbortSignal): Promise<{ data: SyncReview[] }> {
  return request('GET', '/api/v1/sync/reviews?status=open', withSignal(signal));
}

export function resolveReview(
  reviewId: string,
  action: 'accept' | 'reject' | 'merge',
  customerNumber?: number,
): Promise<SyncReview> {
  return request('POST', `/api/v1/sync/reviews/${encodeURIComponent(reviewId)}/${action}`, {
    ...(action === 'merge' ? { body: { customerNumber } } : {}),
  });
}

export function listAmsReceiptExports(signal?: AbortSignal): Promise<{ data: AmsReceiptExport[] }> {
  return request('GET', '/api/v1/connectors/ams360-receipts/exports?limit=100', withSignal(signal));
}

export function retryAmsReceiptExport(exportId: string): Promise<AmsReceiptExport> {
  return request('POST', `/api/v1/connectors/ams360-receipts/exports/${encodeURIComponent(exportId)}/retry`);
}
