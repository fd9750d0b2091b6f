import { DomainError, type FieldError } from '../../kernel/errors.ts';

/** What an agency may choose: the sandbox (nothing is charged) or its own Stripe account. */
export type ProcessorKind = 'sandbox' | 'stripe';

/** A PUT of the processor setting. Omitted secrets keep the stored ones; a null webhook secret clears it. */
export interface ProcessorChoiceInput {
  kind: ProcessorKind;
  publishableKey?: string | null | undefined;
  secretKey?: string | undefined;
  webhookSecret?: string | null | undefined;
}

export interface CheckedProcessorChoice {
  kind: ProcessorKind;
  publishableKey: string | null;
  /** undefined: keep the stored one. */
  secretKey: string | undefined;
  /** undefined: keep the stored one; null: none. */
  webhookSecret: string | null | undefined;
}

const SECRET_KEY = /^sk_(test|live)_[A-Za-z0-9]{8,200}$/;
const PUBLISHABLE_KEY = /^pk_(test|live)_[A-Za-z0-9]{8,200}$/;
const WEBHOOK_SECRET = /^whsec_[A-Za-z0-9+/=_-]{8,200}$/;

/** Test mode: the sandbox, or a Stripe test key (sk_test_): nothing a client pays is charged. */
export function isTestModeChoice(kind: ProcessorKind, secretKey: string | null | undefined): boolean {
  return kind === 'sandbox' || (secretKey?.startsWith('sk_test_') ?? false);
}

/** The last 4 characters of a secret: all a screen ever shows of it. */
export function lastFour(secret: string): string {
  return secret.slice(-4);
}

/**
 * Checks the shape of each key (a Stripe secret key starts sk_test_ or sk_live_, a publishable key
 * pk_test_ or pk_live_ in the same mode, a signing secret whsec_) and that Stripe has a secret key,
 * given or stored. Every bad field is named; nothing is written unless all are good.
 */
export function checkProcessorChoice(
  input: ProcessorChoiceInput,
  storedSecretKey: string | undefined,
): CheckedProcessorChoice {
  const errors: FieldError[] = [];
  if (input.kind === 'sandbox') {
    for (const field of ['publishableKey', 'secretKey', 'webhookSecret'] as const) {
      if (input[field]) errors.push({ path: field, message: 'the sandbox takes no keys' });
    }
    if (errors.length > 0) throw refusal(errors);
    return { kind: 'sandbox', publishableKey: null, secretKey: undefined, webhookSecret: null };
  }
  const secretKey = input.secretKey?.trim();
  if (secretKey !== undefined && !SECRET_KEY.test(secretKey)) {
    errors.push({ path: 'secretKey', message: 'must be a Stripe secret key starting sk_test_ or sk_live_' });
  } else if (secretKey === undefined && storedSecretKey === undefined) {
    errors.push({ path: 'secretKey', message: 'is required to use Stripe' });
  }
  const publishableKey = input.publishableKey?.trim() || null;
  if (publishableKey !== null && !PUBLISHABLE_KEY.test(publishableKey)) {
    errors.push({ path: 'publishableKey', message: 'must be a Stripe publishable key starting pk_test_ or pk_live_' });
  }
  const mode = (secretKey ?? storedSecretKey)?.startsWith('sk_live_') ? 'live' : 'test';
  if (publishableKey !== null && PUBLISHABLE_KEY.test(publishableKey) && !publishableKey.startsWith(`pk_${mode}_`)) {
    errors.push({ path: 'publishableKey', message: `must be a ${mode} key (pk_${mode}_), as the secret key is` });
  }
  const webhookSecret = input.webhookSecret === null ? null : input.webhookSecret?.trim();
  if (typeof webhookSecret === 'string' && !WEBHOOK_SECRET.test(webhookSecret)) {
    errors.push({ path: 'webhookSecret', message: 'must be a Stripe webhook signing secret starting whsec_' });
  }
  if (errors.length > 0) throw refusal(errors);
  return { kind: 'stripe', publishableKey, secretKey, webhookSecret };
}

function refusal(errors: FieldError[]): DomainError {
  return new DomainError('validation_failed', errors.map((e) => `${e.path}: ${e.message}`).join('; '), { errors });
}
