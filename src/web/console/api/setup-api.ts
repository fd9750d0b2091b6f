// The first run of an empty deployment (/setup): is it needed, and do it with the setup code.
import { request } from './api.ts';

export type FirstRunStatus = { needed: boolean; open: boolean };

export type FirstRunBank = { shortName: string; name: string; division: string };

export type FirstRunInput = {
  name: string;
  slug: string;
  timeZone: string;
  addressLine1?: string;
  city?: string;
  state?: string;
  postalCode?: string;
  backupEmail: string;
  staffName: string;
  staffEmail: string;
  staffPassword: string;
  banks: FirstRunBank[];
};

export function getFirstRunStatus(signal?: AbortSignal): Promise<FirstRunStatus> {
  return request('GET', '/api/v1/setup', signal ? { signal } : {});
}

export function completeFirstRun(
  input: FirstRunInput,
  code: string,
  idempotencyKey: string,
): Promise<{ agency: { slug: string; name: string }; staff: { email: string } }> {
  return request('POST', '/api/v1/setup', { body: input, bearer: code, idempotencyKey, handle401Locally: true });
}

/** "Smith & Sons Insurance" → "smith-sons-insurance": the slug the agency's name suggests. */
export function slugOf(name: string): string {
  return name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63);
}
