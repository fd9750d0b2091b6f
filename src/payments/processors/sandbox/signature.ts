import { createHmac } from 'node:crypto';

/**
 * The sandbox's webhook signature scheme (the same shape as Stripe's): the header
 * `Policypay-Sandbox-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`, keyed
 * with the shared webhook secret. Verification (constant-time compare, 5-minute tolerance) is the
 * receiver's: see `SandboxProcessor.parseWebhook`.
 */
export const SIGNATURE_HEADER = 'policypay-sandbox-signature';
const SIGNATURE_SCHEME = 'v1';

export function computeSignature(secret: string, timestamp: number, rawBody: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${rawBody}`, 'utf8').digest('hex');
}

export function signatureHeader(secret: string, timestamp: number, rawBody: string): string {
  return `t=${timestamp},${SIGNATURE_SCHEME}=${computeSignature(secret, timestamp, rawBody)}`;
}

/** `t` and every `v1` of a header; undefined when it has no timestamp or no v1 signature. */
export function parseSignatureHeader(header: string): { timestamp: number; signatures: string[] } | undefined {
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',').slice(0, 20)) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't' && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    else if (key === SIGNATURE_SCHEME && /^[0-9a-f]{64}$/i.test(value)) signatures.push(value.toLowerCase());
  }
  return timestamp === undefined || signatures.length === 0 ? undefined : { timestamp, signatures };
}
