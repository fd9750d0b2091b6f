// The reports (GET /api/v1/reports/*): their JSON as the server answers it, and their CSV links.
import { request } from './api.ts';

export const reportNames = ['ar-aging', 'collections', 'deposits', 'autopay'] as const;
export type ReportName = (typeof reportNames)[number];

export const reportTitles: Record<ReportName, string> = {
  'ar-aging': 'AR aging',
  collections: 'Collections',
  deposits: 'Deposits',
  autopay: 'Autopay',
};

export const agingBuckets = ['current', '1-30', '31-60', '61-90', '90+'] as const;
export type AgingBucket = (typeof agingBuckets)[number];
export const agingLabels: Record<AgingBucket, string> = {
  current: 'Current',
  '1-30': '1–30 days',
  '31-60': '31–60 days',
  '61-90': '61–90 days',
  '90+': 'Over 90 days',
};

type AgingAmounts = Record<AgingBucket | 'total', number>;
export type AgingReport = {
  asOf: string;
  totals: AgingAmounts;
  customerCount: number;
  customers: (AgingAmounts & { customerNumber: number; customerName: string })[];
};

export const collectionChannels = ['agent_sweep', 'secure_checkout', 'autopay', 'manual'] as const;
export const channelLabels: Record<string, string> = {
  agent_sweep: 'Agent sweep',
  secure_checkout: 'Secure checkout',
  autopay: 'Autopay',
  manual: 'Posted by staff',
};
type CollectionDay = {
  count: number;
  total: number;
  byChannel: Record<string, number>;
  byMethod: Record<string, number>;
};
export type CollectionsReport = {
  from: string;
  to: string;
  methods: string[];
  days: (CollectionDay & { date: string })[];
  totals: CollectionDay;
};

type DepositReceipt = {
  receiptNumber: number;
  customerNumber: number;
  customerName: string;
  paymentCheckType: string;
  payerCheckNumber: string | null;
  amount: number;
  status: 'posted' | 'reversed';
};
export type DepositReport = {
  from: string;
  to: string;
  count: number;
  total: number;
  banks: {
    bankShortName: string;
    bankName: string;
    count: number;
    total: number;
    days: { date: string; count: number; total: number; receipts: DepositReceipt[] }[];
  }[];
};

type AutopayDay = {
  attempts: number;
  succeeded: number;
  declined: number;
  successRate: number | null;
  declines: Record<string, number>;
};
export type AutopayReport = {
  from: string;
  to: string;
  timeZone: string;
  days: (AutopayDay & { date: string })[];
  reasons: { code: string; count: number }[];
  totals: AutopayDay;
};

/** The report's parameters this page carries in its URL (`asOf`, `from`, `to`, `bankShortName`, `limit`). */
export type ReportParams = Record<string, string>;

const paramNames: Record<ReportName, string[]> = {
  'ar-aging': ['asOf'],
  collections: ['from', 'to'],
  deposits: ['from', 'to', 'bankShortName'],
  autopay: ['from', 'to'],
};

/** The URL's search → the report's parameters (others dropped; the server names bad values). */
export function reportParamsOf(report: ReportName, search: string): ReportParams {
  const url = new URLSearchParams(search);
  const params: ReportParams = {};
  for (const name of paramNames[report]) {
    const value = url.get(name)?.trim();
    if (value) params[name] = value;
  }
  return params;
}

export function reportQuery(params: ReportParams): string {
  return new URLSearchParams(Object.entries(params).filter(([, value]) => value !== '')).toString();
}

export function reportCsvHref(report: ReportName, params: ReportParams): string {
  const query = reportQuery(params);
  return `/api/v1/reports/${report}/export.csv${query ? `?${query}` : ''}`;
}

export function getReport<T>(report: ReportName, params: ReportParams, signal?: AbortSignal): Promise<T> {
  const query = reportQuery(report === 'ar-aging' ? { ...params, limit: '100' } : params);
  return request('GET', `/api/v1/reports/${report}${query ? `?${query}` : ''}`, signal ? { signal } : {});
}
