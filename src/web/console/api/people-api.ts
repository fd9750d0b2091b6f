// Typed calls for Settings → Users and roles, Settings → API keys, and the set-password page.
import { request } from './api.ts';

export type ConsoleRole = 'staff' | 'agent';

export type ManagedUser = {
  id: string;
  email: string;
  name: string;
  role: ConsoleRole;
  status: 'active' | 'invited' | 'deactivated';
  lastSignInAt: string | null;
  createdAt: string;
};

const withSignal = (signal?: AbortSignal) => (signal ? { signal } : {});

export function listUsers(signal?: AbortSignal): Promise<{ data: ManagedUser[] }> {
  return request('GET', '/api/v1/users', withSignal(signal));
}

export function inviteUser(
  body: { email: string; name: string; role: ConsoleRole },
  idempotencyKey: string,
): Promise<ManagedUser> {
  return request('POST', '/api/v1/users', { body, idempotencyKey });
}

export function deactivateUser(id: string, idempotencyKey: string): Promise<ManagedUser> {
  return request('POST', `/api/v1/users/${encodeURIComponent(id)}/deactivate`, { body: {}, idempotencyKey });
}

export function sendPasswordReset(id: string, idempotencyKey: string): Promise<{ sentTo: string }> {
  return request('POST', `/api/v1/users/${encodeURIComponent(id)}/password-reset`, { body: {}, idempotencyKey });
}

export type PasswordLink = {
  purpose: 'invite' | 'reset';
  email: string;
  name: string;
  agencyName: string;
  minPasswordLength: number;
};

/** Signed out: a 401 here is no lost session. */
export function inspectPasswordLink(token: string, signal?: AbortSignal): Promise<PasswordLink> {
  return request('POST', '/api/v1/password-links/inspect', {
    body: { token },
    handle401Locally: true,
    ...withSignal(signal),
  });
}

export function redeemPasswordLink(token: string, password: string): Promise<{ email: string }> {
  return request('POST', '/api/v1/password-links/redeem', { body: { token, password }, handle401Locally: true });
}

export type ApiKey = {
  id: string;
  name: string;
  role: ConsoleRole;
  banks: string[] | null;
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
};

export type CreatedApiKey = { id: string; key: string; name: string; role: ConsoleRole; banks: string[] | null };

export function listApiKeys(signal?: AbortSignal): Promise<{ data: ApiKey[] }> {
  return request('GET', '/api/v1/api-keys', withSignal(signal));
}

export function createApiKey(
  body: { name: string; role: ConsoleRole; banks?: string[] },
  idempotencyKey: string,
): Promise<CreatedApiKey> {
  return request('POST', '/api/v1/api-keys', { body, idempotencyKey });
}

export function revokeApiKey(id: string): Promise<void> {
  return request('DELETE', `/api/v1/api-keys/${encodeURIComponent(id)}`);
}
