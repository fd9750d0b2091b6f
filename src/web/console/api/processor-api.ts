// Typed calls for the agency's processor setting (same-origin, cookie session). Secrets go up and
// never come back: the server answers with their last 4 characters.
import { request } from './api.ts';

export type ProcessorKind = 'sandbox' | 'stripe';

export type ProcessorSettings = {
  source: 'agency' | 'default';
  kind: ProcessorKind | null;
  publishableKey: string | null;
  secretKeyLast4: string | null;
  webhookSecretLast4: string | null;
  testMode: boolean;
  webhookUrl: string | null;
  updatedAt: string | null;
  updatedBy: string | null;
};

/** A save: secrets left out keep the stored ones. */
export type ProcessorChoice = {
  kind: ProcessorKind;
  publishableKey?: string | null;
  secretKey?: string;
  webhookSecret?: string | null;
};

/** The console's banner listens for this to ask /api/v1/system again after a save. */
export const TEST_MODE_CHANGED = 'policypay:test-mode-changed';

export function getProcessorSettings(signal?: AbortSignal): Promise<ProcessorSettings> {
  return request('GET', '/api/v1/settings/processor', signal ? { signal } : {});
}

export function saveProcessorSettings(choice: ProcessorChoice, idempotencyKey: string): Promise<ProcessorSettings> {
  return request('PUT', '/api/v1/settings/processor', { body: choice, idempotencyKey });
}
