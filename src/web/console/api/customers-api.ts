// Customers, contacts and policies as staff edit them, and one invoice with its receipts and ledger.
import { type Contact, type Customer, type Policy, request } from './api.ts';
import type { LedgerEntry, Receipt } from './receipts-api.ts';

export type Address = {
  line1?: string;
  line2?: string;
  city?: string;
  state?: string;
  postalCode?: string;
  country?: string;
};

export type CustomerFields = {
  type: 'individual' | 'group';
  name: string;
  email: string | null;
  phone: string | null;
  address: Address | null;
};

/** A new customer: absent fields are left out (the API numbers the customer). */
export function createCustomer(body: Partial<CustomerFields>, idempotencyKey: string): Promise<Customer> {
  return request('POST', '/api/v1/customers', { body, idempotencyKey });
}

export function updateCustomer(customerNumber: number, body: Partial<CustomerFields>): Promise<Customer> {
  return request('PATCH', `/api/v1/customers/${customerNumber}`, { body });
}

export type ContactFields = { name: string; email?: string | null; phone?: string | null; primary?: boolean };

export function addContact(customerNumber: number, body: ContactFields, idempotencyKey: string): Promise<Contact> {
  return request('POST', `/api/v1/customers/${customerNumber}/contacts`, { body, idempotencyKey });
}

export function updateContact(
  customerNumber: number,
  contactId: string,
  body: Partial<ContactFields>,
): Promise<Contact> {
  return request('PATCH', `/api/v1/customers/${customerNumber}/contacts/${encodeURIComponent(contactId)}`, { body });
}

export type PolicyFields = {
  policyNumber: string;
  lineOfBusiness: string;
  effectiveDate: string;
  expirationDate: string;
  premium: number;
  installmentPlan: string | null;
  status: string;
};

export function createPolicy(
  body: Partial<PolicyFields> & { customerNumber: number },
  idempotencyKey: string,
): Promise<Policy> {
  return request('POST', '/api/v1/policies', { body, idempotencyKey });
}

const policyPath = (policyNumber: string) => `/api/v1/policies/${encodeURIComponent(policyNumber)}`;

export function updatePolicy(policyNumber: string, body: Partial<PolicyFields>): Promise<Policy> {
  return request('PATCH', policyPath(policyNumber), { body });
}

export type Transition = { to: string; reason?: string; effectiveDate?: string };

export function transitionPolicy(policyNumber: string, body: Transition, idempotencyKey: string): Promise<Policy> {
  return request('POST', `${policyPath(policyNumber)}/transitions`, { body, idempotencyKey });
}

export function tagPolicy(policyNumber: string, tag: string, idempotencyKey: string): Promise<Policy> {
  return request('POST', `${policyPath(policyNumber)}/tags`, { body: { tag }, idempotencyKey });
}

export function untagPolicy(policyNumber: string, tag: string): Promise<Policy> {
  return request('DELETE', `${policyPath(policyNumber)}/tags/${encodeURIComponent(tag)}`);
}

export type BilledInstallment = { sequence: number; dueDate: string; amount: number; invoiceNumber: number };

export function billPolicy(
  policyNumber: string,
  idempotencyKey: string,
): Promise<{ policyNumber: string; installments: BilledInstallment[] }> {
  return request('POST', `${policyPath(policyNumber)}/bill`, { idempotencyKey });
}

export type Invoice = {
  invoiceNumber: number;
  displayNumber: string;
  customerNumber: number;
  policyNumber: string | null;
  amount: number;
  balance: number;
  dueDate: string;
  status: string;
  autopayTime: string | null;
  suppressAutopay: boolean;
  description: string | null;
};

const signalOnly = (signal?: AbortSignal) => (signal ? { signal } : {});

export function getInvoice(invoiceNumber: number, signal?: AbortSignal): Promise<Invoice> {
  return request('GET', `/api/v1/invoices/${invoiceNumber}`, signalOnly(signal));
}

export function getInvoiceLedger(invoiceNumber: number, signal?: AbortSignal): Promise<{ data: LedgerEntry[] }> {
  return request('GET', `/api/v1/invoices/${invoiceNumber}/ledger`, signalOnly(signal));
}

/** The customer's receipts the caller may see (its banks only); the invoice page keeps those that paid it. */
export function listCustomerReceipts(customerNumber: number, signal?: AbortSignal): Promise<{ data: Receipt[] }> {
  return request('GET', `/api/v1/customers/${customerNumber}/receipts`, signalOnly(signal));
}
