// Typed calls for the settings sections (same-origin, cookie session). Values a person types go to
// the server as typed, so the server's problem+json names the field and the rule a bad one breaks.
import { type Bank, request } from './api.ts';

/** Where money goes when a payment names no bank, per channel (bank short names; null = none). */
export type DepositBanks = { autopay: string | null; secure_checkout: string | null; agent_sweep: string | null };

/** Every payment setting (GET/PATCH /api/v1/settings/payments). */
export type AllPaymentSettings = {
  allowPaySubmittedPolicies: boolean;
  daysToAllowCanceledPolicyPayment: number;
  disallowCancellationPendingNonPay: boolean;
  disallowCancellationPendingNonPayPoorHistory: boolean;
  disallowCancellationPendingUnderwriting: boolean;
  enforceMinMaxSecureCheckout: boolean;
  enforceMinMaxAgentSweep: boolean;
  poorPaymentHistoryAfterReturns: number;
  autopayHour: number;
  backupEmail: string | null;
  finalizeRestrictedToStaff: boolean;
  paymentRequestExpiryDays: number;
  nsfFee: number | null;
  defaultDepositBanks: DepositBanks;
};

export function getAllPaymentSettings(signal?: AbortSignal): Promise<AllPaymentSettings> {
  return request('GET', '/api/v1/settings/payments', signal ? { signal } : {});
}

export function patchPaymentSettings(patch: Record<string, unknown>): Promise<AllPaymentSettings> {
  return request('PATCH', '/api/v1/settings/payments', { body: patch });
}

export function listAllBanks(signal?: AbortSignal): Promise<{ data: Bank[] }> {
  return request('GET', '/api/v1/banks', signal ? { signal } : {});
}

/** `idempotencyKey`: one per user action, kept while the same action is retried. */
export function createBank(
  body: { shortName: string; name: string; division: string },
  idempotencyKey: string,
): Promise<Bank> {
  return request('POST', '/api/v1/banks', { body, idempotencyKey });
}

export function updateBank(id: string, body: { name?: string; division?: string }): Promise<Bank> {
  return request('PATCH', `/api/v1/banks/${encodeURIComponent(id)}`, { body });
}

export type BankGrant = {
  keyId: string;
  keyName: string;
  keyPrefix: string;
  role: 'staff' | 'agent';
  banks: string[] | null;
};

export function listBankGrants(signal?: AbortSignal): Promise<{ data: BankGrant[] }> {
  return request('GET', '/api/v1/banks/access', signal ? { signal } : {});
}

export type Frequency = 'weekly' | 'biweekly' | 'monthly' | 'quarterly' | 'semiannual' | 'annual';

export type InstallmentPlan = {
  id: string;
  name: string;
  installments: number;
  frequency: Frequency;
  autopayLeadDays: number | null;
};

export function listInstallmentPlans(signal?: AbortSignal): Promise<{ data: InstallmentPlan[] }> {
  return request('GET', '/api/v1/installment-plans', signal ? { signal } : {});
}

export function createInstallmentPlan(body: Record<string, unknown>, idempotencyKey: string): Promise<InstallmentPlan> {
  return request('POST', '/api/v1/installment-plans', { body, idempotencyKey });
}

export function updateInstallmentPlan(id: string, body: Record<string, unknown>): Promise<InstallmentPlan> {
  return request('PATCH', `/api/v1/installment-plans/${encodeURIComponent(id)}`, { body });
}

/** "12" → 12; anything else (including "") goes as typed so the server names the rule it breaks. */
export const integerOrText = (text: string): number | string => (/^-?\d{1,6}$/.test(text.trim()) ? Number(text) : text);

/** Queues a test e-mail in the outbox; `getEmail(id)` then shows whether it was sent. */
export function sendTestEmail(to: string, idempotencyKey: string): Promise<{ id: string; to: string }> {
  return request('POST', '/api/v1/emails/test', { body: { to }, idempotencyKey });
}

export type Branding = {
  agencyName: string;
  displayName: string | null;
  logoUrl: string | null;
  primaryColor: string | null;
};

export function getBranding(signal?: AbortSignal): Promise<Branding> {
  return request('GET', '/api/v1/settings/branding', signal ? { signal } : {});
}

export function updateBranding(patch: Partial<Omit<Branding, 'agencyName'>>): Promise<Branding> {
  return request('PATCH', '/api/v1/settings/branding', { body: patch });
}

/** The agency's convenience fees (GET/PUT /api/v1/settings/convenience-fees); null = off. */
export type ConvenienceFees = {
  card: { percent: number; fixed: number; cap: number | null } | null;
  ach: { fixed: number } | null;
};

export function getConvenienceFees(signal?: AbortSignal): Promise<ConvenienceFees> {
  return request('GET', '/api/v1/settings/convenience-fees', signal ? { signal } : {});
}

/** Values as typed (numbers where they parse), for the server to name a bad one. */
export function putConvenienceFees(body: Record<string, unknown>): Promise<ConvenienceFees> {
  return request('PUT', '/api/v1/settings/convenience-fees', { body });
}
