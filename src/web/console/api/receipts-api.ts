// The agency's receipts: the filtered list with its totals, one receipt, its ledger, reversal.
import { request } from './api.ts';

export type PaymentCheckType = 'Check' | 'Cash' | 'CreditCard' | 'DebitCard' | 'EFT';

export type Receipt = {
  receiptNumber: number;
  customerNumber: number;
  receiptAmount: number;
  receiptDate: string;
  bankShortName: string;
  paymentCheckType: PaymentCheckType;
  receiptDescription: string;
  payerCheckNumber: string | null;
  payerBankAccountLast4: string | null;
  applications: {
    invoiceNumber: number | null;
    appliedAmount: number;
    onAccountAmount: number;
    invoicePaymentDescription: string;
  }[];
  onAccountAmount: number;
  /** A convenience fee the client paid with it: its own line, never applied (issue 20.3). */
  convenienceFeeAmount: number;
  status: 'posted' | 'reversed';
  reversal: { reason: string; note: string | null; at: string; feeInvoiceNumber: number | null } | null;
};

export type ReceiptFilter = {
  from?: string;
  to?: string;
  bankShortName?: string;
  paymentCheckType?: PaymentCheckType;
  customerNumber?: number;
  status?: 'posted' | 'reversed';
};

export type ReceiptPage = { data: Receipt[]; totals: { count: number; amount: number }; nextBefore: number | null };

export type LedgerEntry = {
  id: string;
  kind: string;
  description: string;
  occurredOn: string;
  createdAt: string;
  lines: {
    account: string;
    debit: number | null;
    credit: number | null;
    customerNumber: number | null;
    invoiceNumber: number | null;
    bankShortName: string | null;
  }[];
};

export const paymentCheckTypes: { value: PaymentCheckType; label: string }[] = [
  { value: 'Check', label: 'Check' },
  { value: 'Cash', label: 'Cash' },
  { value: 'CreditCard', label: 'Credit card' },
  { value: 'DebitCard', label: 'Debit card' },
  { value: 'EFT', label: 'EFT' },
];

/** The filter as a query string (`from=…&bankShortName=…`), the same for the list and the CSV. */
export function receiptQuery(filter: ReceiptFilter, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(filter)) {
    if (value !== undefined && value !== '') params.set(name, String(value));
  }
  for (const [name, value] of Object.entries(extra)) params.set(name, value);
  return params.toString();
}

/** `?from=…` as the page's URL carries it → a filter (unknown values dropped; the server names bad ones). */
export function receiptFilterOf(search: string): ReceiptFilter {
  const params = new URLSearchParams(search);
  const text = (name: string) => params.get(name)?.trim() || undefined;
  const customer = Number(params.get('customerNumber'));
  const type = text('paymentCheckType');
  const status = text('status');
  return {
    from: text('from'),
    to: text('to'),
    bankShortName: text('bankShortName'),
    paymentCheckType: paymentCheckTypes.some((t) => t.value === type) ? (type as PaymentCheckType) : undefined,
    customerNumber: Number.isInteger(customer) && customer > 0 ? customer : undefined,
    status: status === 'posted' || status === 'reversed' ? status : undefined,
  };
}

export function listReceipts(filter: ReceiptFilter, before: number | null, signal?: AbortSignal): Promise<ReceiptPage> {
  const query = receiptQuery(filter, before ? { before: String(before), limit: '50' } : { limit: '50' });
  return request('GET', `/api/v1/receipts?${query}`, signal ? { signal } : {});
}

export function getReceipt(receiptNumber: number, signal?: AbortSignal): Promise<Receipt> {
  return request('GET', `/api/v1/receipts/${receiptNumber}`, signal ? { signal } : {});
}

export function getReceiptLedger(receiptNumber: number, signal?: AbortSignal): Promise<{ data: LedgerEntry[] }> {
  return request('GET', `/api/v1/receipts/${receiptNumber}/ledger`, signal ? { signal } : {});
}

export function reverseReceipt(
  receiptNumber: number,
  body: { reason: 'nsf' | 'chargeback' | 'entered_in_error'; note?: string },
  idempotencyKey: string,
): Promise<Receipt> {
  return request('POST', `/api/v1/receipts/${receiptNumber}/reversal`, { body, idempotencyKey });
}

export type NewReceipt = {
  customerNumber: number;
  invoiceInformations: { invoiceNumber?: number; paymentAmount: number }[];
  receiptAmount: number;
  receiptDate: string;
  receiptDateTimeZone: string;
  bankShortName: string;
  paymentCheckType: PaymentCheckType;
  payerCheckNumber?: string;
  receiptDescription?: string;
};

/** POST /api/v1/receipt/customer, as AMS360's receipt API takes it (the console's answer is the receipt). */
export function postReceipt(body: NewReceipt, idempotencyKey: string): Promise<{ receiptNumber: number }> {
  return request('POST', '/api/v1/receipt/customer', { body, idempotencyKey });
}
