// The client portal's calls: /api/v1/portal/* (portal session cookie) and the processor's
// tokenize endpoint, which receives card and bank numbers straight from the browser.
import { ApiError, type InvoiceSummary, type PaymentRequest, request } from '../console/api/api.ts';

/** `name`: the name clients see; the rest is the agency's branding (null = the defaults). */
export type PortalAgency = { slug: string; name: string; logoUrl: string | null; primaryColor: string | null };

export type PortalSession = {
  agency: PortalAgency;
  customer: { customerNumber: number; name: string };
  contact: { id: string; name: string; email: string };
  /** Every customer where the person is a contact: the account switcher (current: the one shown). */
  accounts: { customerNumber: number; name: string; current: boolean }[];
  hasPassword: boolean;
  /** The request a redeemed link points at (the UI opens it), else null. */
  paymentRequestId: string | null;
};

export type PortalPayment = {
  id: string;
  amount: number;
  /** The convenience fee charged with it, beside the amount. */
  fee: number;
  state: string;
  type: 'card' | 'ach';
  last4: string | null;
  brand: string | null;
  paymentRequestId: string | null;
  failureMessage: string | null;
  /** The card or bank refused it. */
  declined: boolean;
  createdAt: string;
};

export type PaymentMethod = {
  id: string;
  kind: 'card' | 'ach';
  brand: string | null;
  last4: string;
  expMonth: number | null;
  expYear: number | null;
  bankName: string | null;
  holderName: string | null;
  isDefault: boolean;
  disabled: boolean;
  disabledReason: string | null;
};

/** Min/max for one-time payments when the agency enforces them on secure checkout. */
export type CheckoutLimits = { enforced: boolean; minAmount: number | null; maxAmount: number | null };

export type PortalAccount = {
  arBalance: number;
  onAccount: number;
  invoices: InvoiceSummary[];
  checkout: CheckoutLimits;
};

/**
 * tokenizeUrl is null when cards cannot be entered here: no processor, or Stripe (its Stripe.js
 * checkout is not built yet). testMode: the sandbox serves payments, nothing is charged.
 */
export type PortalConfig = { processor: string | null; tokenizeUrl: string | null; testMode: boolean };
export type Autopay = { enrolled: boolean; paymentMethodId: string | null };

const base = '/api/v1/portal';
const opts = (signal?: AbortSignal) => (signal ? { signal } : {});

export async function getPortalMe(signal?: AbortSignal): Promise<PortalSession | null> {
  try {
    return await request<PortalSession>('GET', `${base}/me`, { handle401Locally: true, ...opts(signal) });
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return null;
    throw error;
  }
}

/** An agency's name and branding, before anyone signs in. */
export function getPublicAgency(slug: string, signal?: AbortSignal): Promise<PortalAgency> {
  return request('GET', `${base}/agencies/${encodeURIComponent(slug)}`, { handle401Locally: true, ...opts(signal) });
}

export function redeemToken(agency: string, token: string): Promise<PortalSession> {
  return request('POST', `${base}/tokens/redeem`, { body: { agency, token }, handle401Locally: true });
}

export function portalSignIn(agency: string, email: string, password: string): Promise<PortalSession> {
  return request('POST', `${base}/session`, { body: { agency, email, password }, handle401Locally: true });
}

export function requestSignInLink(agency: string, email: string): Promise<{ status: string }> {
  return request('POST', `${base}/sign-in-link`, { body: { agency, email }, handle401Locally: true });
}

export function portalSignOut(): Promise<void> {
  return request('DELETE', `${base}/session`, { handle401Locally: true });
}

export function setPassword(password: string): Promise<PortalSession> {
  return request('POST', `${base}/password`, { body: { password } });
}

/** Points this session at another of the person's accounts; answers the session as it now is. */
export function switchAccount(customerNumber: number, idempotencyKey: string): Promise<PortalSession> {
  return request('POST', `${base}/session/account`, { body: { customerNumber }, idempotencyKey });
}

export function getPortalConfig(signal?: AbortSignal): Promise<PortalConfig> {
  return request('GET', `${base}/config`, opts(signal));
}

export function getPortalAccount(signal?: AbortSignal): Promise<PortalAccount> {
  return request('GET', `${base}/account`, opts(signal));
}

export function listPortalRequests(state?: string, signal?: AbortSignal): Promise<{ data: PaymentRequest[] }> {
  return request('GET', `${base}/payment-requests${state ? `?state=${state}` : ''}`, opts(signal));
}

export function getPortalRequest(id: string, signal?: AbortSignal): Promise<PaymentRequest> {
  return request('GET', `${base}/payment-requests/${encodeURIComponent(id)}`, opts(signal));
}

export function payRequest(id: string, paymentMethodId: string, idempotencyKey: string): Promise<PortalPayment> {
  return request('POST', `${base}/payment-requests/${encodeURIComponent(id)}/pay`, {
    body: { paymentMethodId },
    idempotencyKey,
  });
}

/** `fee`: the convenience fee the client was shown; the server refuses (409) if it changed since. */
export function payOneTime(
  amount: number,
  paymentMethodId: string,
  idempotencyKey: string,
  fee?: number,
): Promise<PortalPayment> {
  return request('POST', `${base}/payments`, { body: { amount, paymentMethodId, fee }, idempotencyKey });
}

/** The convenience fee and total for paying `amount` with a saved method, before the client confirms. */
export type FeeQuote = {
  amount: number;
  fee: number;
  total: number;
  ruleId: string | null;
  reason: string | null;
  message: string;
};

export function getFeeQuote(paymentMethodId: string, amount: number, signal?: AbortSignal): Promise<FeeQuote> {
  const query = new URLSearchParams({ paymentMethodId, amount: amount.toFixed(2) });
  return request('GET', `${base}/fee-quote?${query}`, opts(signal));
}

export function listPortalPayments(signal?: AbortSignal): Promise<{ data: PortalPayment[] }> {
  return request('GET', `${base}/payments`, opts(signal));
}

export function listPortalMethods(signal?: AbortSignal): Promise<{ data: PaymentMethod[] }> {
  return request('GET', `${base}/payment-methods`, opts(signal));
}

export function savePortalMethod(token: string, isDefault: boolean, idempotencyKey: string): Promise<PaymentMethod> {
  return request('POST', `${base}/payment-methods`, { body: { token, isDefault }, idempotencyKey });
}

export function setDefaultMethod(id: string): Promise<PaymentMethod> {
  return request('POST', `${base}/payment-methods/${encodeURIComponent(id)}/default`, {});
}

export function removeMethod(id: string): Promise<void> {
  return request('DELETE', `${base}/payment-methods/${encodeURIComponent(id)}`);
}

export function getAutopay(signal?: AbortSignal): Promise<Autopay> {
  return request('GET', `${base}/autopay`, opts(signal));
}

export function enrollAutopay(paymentMethodId: string): Promise<Autopay> {
  return request('POST', `${base}/autopay`, { body: { paymentMethodId } });
}

export function cancelAutopay(): Promise<Autopay> {
  return request('DELETE', `${base}/autopay`);
}

export type CardInput = {
  kind: 'card';
  number: string;
  expMonth: string;
  expYear: string;
  cvc: string;
  holderName: string;
};
export type BankInput = {
  kind: 'ach';
  routingNumber: string;
  accountNumber: string;
  accountType: 'checking' | 'savings';
  holderName: string;
};

/**
 * Posts card or bank details to the processor's tokenize endpoint (another origin, CORS) and
 * returns the token. policypay's server only ever sees the token.
 */
export async function tokenize(tokenizeUrl: string, input: CardInput | BankInput): Promise<string> {
  let response: Response;
  try {
    response = await fetch(tokenizeUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(input),
      credentials: 'omit',
    });
  } catch {
    throw new ApiError({ title: 'Network error', status: 0, detail: 'Could not reach the payment processor.' });
  }
  const body = (await response.json().catch(() => null)) as {
    token?: string;
    error?: { message?: string; param?: string };
  } | null;
  if (!response.ok || !body?.token) {
    const detail = body?.error?.message ?? `The payment processor answered ${response.status}.`;
    throw new ApiError({
      title: 'Payment details rejected',
      status: response.status,
      detail,
      ...(body?.error?.param ? { errors: [{ path: body.error.param, message: detail }] } : {}),
    });
  }
  return body.token;
}
