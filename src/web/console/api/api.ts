// Typed fetch wrapper for the policypay HTTP API (same-origin, cookie session).
// Every failure is thrown as an ApiError carrying an RFC 9457 problem document.
import { setServerNow } from './server-clock.ts';

type User = { id: string; email: string; name: string; role: string };
type Agency = { slug: string; name: string; timeZone: string };
/** `may`: what the server says this user may do beyond the role (the agency's who-may-finalize). */
export type Session = { user: User; agency: Agency; may: { finalize: boolean }; now: string };

type CustomerType = 'individual' | 'group';
export type Customer = {
  customerNumber: number;
  type: CustomerType;
  name: string;
  email: string | null;
  phone: string | null;
  address?: unknown;
};

type InvoiceStatus = 'open' | 'partially_paid' | 'paid';
export type InvoiceSummary = {
  invoiceNumber: number;
  amount: number;
  balance: number;
  dueDate: string;
  status: InvoiceStatus | (string & {});
};
export type CustomerAccount = {
  customerNumber: number;
  arBalance: number;
  onAccount: number;
  invoices: InvoiceSummary[];
};

type ProblemFieldError = { path: string; message: string };
export type Problem = {
  type?: string;
  title: string;
  status: number;
  detail?: string;
  errors?: ProblemFieldError[];
};

export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem;

  constructor(problem: Problem) {
    super(problem.detail ?? problem.title);
    this.name = 'ApiError';
    this.status = problem.status;
    this.problem = problem;
  }
}

/**
 * The server refused the action (4xx): its answer is stored under the Idempotency-Key, so a
 * corrected retry is a new action and needs a new key. A network error or 5xx keeps the key.
 */
export function refusedByServer(error: unknown): boolean {
  return error instanceof ApiError && error.status >= 400 && error.status < 500;
}

/** True for errors raised because a request was cancelled (component unmounted, input changed). */
export function isAbortError(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'AbortError';
}

/** A human-readable sentence for any error thrown by this module (or anything else). */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.problem.detail ?? error.problem.title;
  if (error instanceof Error) return error.message;
  return 'Something went wrong.';
}

let unauthorizedHandler: (() => void) | null = null;

/** Registers the callback run when any request (other than an explicit opt-out) gets a 401. */
export function onUnauthorized(handler: (() => void) | null): void {
  unauthorizedHandler = handler;
}

type RequestOptions = {
  body?: unknown;
  signal?: AbortSignal;
  /** When true a 401 is returned to the caller only, without signalling a lost session. */
  handle401Locally?: boolean;
  /** Sent as Idempotency-Key: one per user action, reused when the same action is retried. */
  idempotencyKey?: string;
  /** Sent as `Authorization: Bearer <code>` (the first run's setup code); sessions use the cookie. */
  bearer?: string;
};

async function readProblem(response: Response): Promise<Problem> {
  const fallback: Problem = {
    title: response.statusText || 'Request failed',
    status: response.status,
    detail: `The server answered ${response.status}${response.statusText ? ` ${response.statusText}` : ''}.`,
  };
  const type = response.headers.get('content-type') ?? '';
  if (!type.includes('json')) return fallback;
  try {
    const body = (await response.json()) as Partial<Problem> | null;
    if (!body || typeof body !== 'object') return fallback;
    return {
      ...body,
      title: typeof body.title === 'string' ? body.title : fallback.title,
      status: typeof body.status === 'number' ? body.status : response.status,
      detail: typeof body.detail === 'string' ? body.detail : (body.title ?? fallback.detail),
    };
  } catch {
    return fallback;
  }
}

export async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json, application/problem+json' };
  const init: RequestInit = { method, headers, credentials: 'same-origin' };
  if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
    init.body = JSON.stringify(options.body);
  }
  if (options.signal) init.signal = options.signal;
  if (options.idempotencyKey) headers['idempotency-key'] = options.idempotencyKey;
  if (options.bearer) headers.authorization = `Bearer ${options.bearer}`;

  let response: Response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    if (isAbortError(error)) throw error;
    throw new ApiError({
      title: 'Network error',
      status: 0,
      detail: 'Could not reach the server. Check your connection and try again.',
    });
  }

  if (!response.ok) {
    const problem = await readProblem(response);
    if (response.status === 401 && !options.handle401Locally) unauthorizedHandler?.();
    throw new ApiError(problem);
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

export async function signIn(email: string, password: string): Promise<Session> {
  const session = await request<Session>('POST', '/api/v1/session', {
    body: { email, password },
    handle401Locally: true,
  });
  setServerNow(session.now);
  return session;
}

export function signOut(): Promise<void> {
  return request<void>('DELETE', '/api/v1/session', { handle401Locally: true });
}

/** The current session, or null when not signed in. */
export async function getMe(signal?: AbortSignal): Promise<Session | null> {
  try {
    const session = await request<Session>('GET', '/api/v1/me', {
      handle401Locally: true,
      ...(signal ? { signal } : {}),
    });
    setServerNow(session.now);
    return session;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return null;
    throw error;
  }
}

export type CustomerQuery = { search?: string; limit?: number; after?: number | null };

/** A keyset page of customers: pass `nextAfter` as `after` for the next one (null on the last page). */
export function listCustomers(
  query: CustomerQuery,
  signal?: AbortSignal,
): Promise<{ data: Customer[]; nextAfter: number | null }> {
  const params = new URLSearchParams();
  if (query.search) params.set('search', query.search);
  params.set('limit', String(query.limit ?? 50));
  if (query.after !== undefined && query.after !== null) params.set('after', String(query.after));
  return request('GET', `/api/v1/customers?${params}`, signal ? { signal } : {});
}

export function getCustomer(customerNumber: number, signal?: AbortSignal): Promise<Customer> {
  return request('GET', `/api/v1/customers/${customerNumber}`, signal ? { signal } : {});
}

export function getCustomerAccount(customerNumber: number, signal?: AbortSignal): Promise<CustomerAccount> {
  return request('GET', `/api/v1/customers/${customerNumber}/account`, signal ? { signal } : {});
}

/** A fresh Idempotency-Key for one user action (a form keeps it until it succeeds). */
export function newIdempotencyKey(): string {
  return crypto.randomUUID();
}

const signalOnly = (signal?: AbortSignal): RequestOptions => (signal ? { signal } : {});

export type Contact = { id: string; name: string; email: string | null; phone: string | null; primary: boolean };

export function listContacts(customerNumber: number, signal?: AbortSignal): Promise<{ data: Contact[] }> {
  return request('GET', `/api/v1/customers/${customerNumber}/contacts`, signalOnly(signal));
}

export type Policy = {
  policyNumber: string;
  customerNumber: number;
  lineOfBusiness: string;
  effectiveDate: string;
  expirationDate: string;
  premium: number;
  installmentPlan: string | null;
  status: string;
  cancellationReason: string | null;
  cancellationEffectiveDate: string | null;
  tags: string[];
  /** The statuses the API's lifecycle rules let the policy move to next. */
  allowedTransitions: string[];
};

export function listPolicies(customerNumber: number, signal?: AbortSignal): Promise<{ data: Policy[] }> {
  return request('GET', `/api/v1/customers/${customerNumber}/policies`, signalOnly(signal));
}

export type Payment = {
  id: string;
  type: 'card' | 'ach';
  amount: number;
  channel: string;
  payer: string;
  state: string;
  receiptNumber: number | null;
  failureMessage: string | null;
  createdAt: string;
};

export function listPayments(customerNumber: number, signal?: AbortSignal): Promise<{ data: Payment[] }> {
  return request('GET', `/api/v1/payments?customerNumber=${customerNumber}&limit=50`, signalOnly(signal));
}

export type Activity = {
  id: string;
  kind: string;
  summary: string;
  actor: string;
  actorName: string;
  createdAt: string;
};

export function listActivities(customerNumber: number, signal?: AbortSignal): Promise<{ data: Activity[] }> {
  return request('GET', `/api/v1/customers/${customerNumber}/activities?limit=50`, signalOnly(signal));
}

type InvoiceAmount = { invoiceNumber: number; amount: number };
type PaymentRequestState = 'requested' | 'paid' | 'finalized' | 'cancelled' | 'expired';
export type PaymentRequest = {
  id: string;
  customerNumber: number;
  customerName: string;
  contact: { id: string; name: string; email: string };
  amount: number;
  dueDate: string;
  expiresOn: string;
  note: string | null;
  invoices: InvoiceAmount[];
  state: PaymentRequestState;
  requestedBy: string;
  requestedAt: string;
  payment: { id: string; state: string; type: 'card' | 'ach'; last4: string | null; paidAt: string | null } | null;
  receiptNumber: number | null;
  finalizedBy: string | null;
  finalizedAt: string | null;
};

export function listPaymentRequests(customerNumber: number, signal?: AbortSignal): Promise<{ data: PaymentRequest[] }> {
  return request('GET', `/api/v1/payment-requests?customerNumber=${customerNumber}&limit=50`, signalOnly(signal));
}

export type NewPaymentRequest = {
  customerNumber: number;
  contactId: string;
  amount: number;
  dueDate: string;
  note?: string;
  invoices?: InvoiceAmount[];
};

export function createPaymentRequest(body: NewPaymentRequest, idempotencyKey: string): Promise<PaymentRequest> {
  return request('POST', '/api/v1/payment-requests', { body, idempotencyKey });
}

export type FinalizeBody = {
  bankShortName: string;
  applications?: { invoiceNumber?: number; amount: number }[];
  description?: string;
};

export function finalizePaymentRequest(
  id: string,
  body: FinalizeBody,
  idempotencyKey: string,
): Promise<PaymentRequest> {
  return request('POST', `/api/v1/payment-requests/${encodeURIComponent(id)}/finalize`, { body, idempotencyKey });
}

export type FinalizeProposal = {
  amount: number;
  bankShortName: string | null;
  invoices: {
    invoiceNumber: number;
    policyNumber: string | null;
    dueDate: string;
    balance: number;
    proposedAmount: number;
  }[];
  onAccount: number;
};

export function getFinalizeProposal(id: string, signal?: AbortSignal): Promise<FinalizeProposal> {
  return request('GET', `/api/v1/payment-requests/${encodeURIComponent(id)}/finalization`, signalOnly(signal));
}

export type OnAccountApplied = {
  customerNumber: number;
  invoiceNumber: number;
  appliedAmount: number;
  invoiceBalance: number;
  onAccount: number;
};

export function applyOnAccountCredit(
  customerNumber: number,
  body: { invoiceNumber: number; amount: number },
  idempotencyKey: string,
): Promise<OnAccountApplied> {
  return request('POST', `/api/v1/customers/${customerNumber}/on-account/apply`, { body, idempotencyKey });
}

export type Bank = { id: string; shortName: string; name: string; division: string };

export function listBanks(signal?: AbortSignal): Promise<{ data: Bank[] }> {
  return request('GET', '/api/v1/banks', signalOnly(signal));
}

export type EmailSummary = {
  id: string;
  to: string;
  subject: string;
  kind: string;
  status: 'pending' | 'sent' | 'failed' | 'kept';
  createdAt: string;
  sentAt: string | null;
};
export type Email = EmailSummary & { text: string; html: string; attempts: number; lastError: string | null };

export function listEmails(signal?: AbortSignal): Promise<{ data: EmailSummary[] }> {
  return request('GET', '/api/v1/emails?limit=100', signalOnly(signal));
}

export function getEmail(id: string, signal?: AbortSignal): Promise<Email> {
  return request('GET', `/api/v1/emails/${encodeURIComponent(id)}`, signalOnly(signal));
}

export function cancelPaymentRequest(id: string, reason: string, idempotencyKey: string): Promise<PaymentRequest> {
  return request('POST', `/api/v1/payment-requests/${encodeURIComponent(id)}/cancel`, {
    body: reason ? { reason } : {},
    idempotencyKey,
  });
}
