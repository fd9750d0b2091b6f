import { connectorFetch } from '../../platform/outbound.ts';
import type { AmsAnswer } from '../rules/ams-receipt-export.ts';
import type { AmsEndpoint } from './connector.ts';

/**
 * One `POST {baseUrl}/receipt/customer`. Never throws: a timeout, a refused or dropped connection
 * is "no answer", which the sender treats as an unknown outcome and retries with the same key.
 */
export async function postAmsReceipt(
  endpoint: AmsEndpoint,
  request: { body: unknown; idempotencyKey: string; reference: string },
): Promise<AmsAnswer> {
  try {
    const response = await connectorFetch(`${endpoint.baseUrl}/receipt/customer`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json',
        'idempotency-key': request.idempotencyKey,
        'x-external-reference': request.reference,
        ...(endpoint.authHeader ? { [endpoint.authHeader.name]: endpoint.authHeader.value } : {}),
      },
      body: JSON.stringify(request.body),
      signal: AbortSignal.timeout(endpoint.timeoutMs),
    });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      // not JSON: keep the text for the error message
    }
    return { kind: 'response', status: response.status, body };
  } catch (error) {
    return { kind: 'no_response', reason: describeFailure(error) };
  }
}

/** `GET {baseUrl}/receipt/customer?externalReference=…`, for an AMS that de-duplicates nothing itself. */
export async function lookupAmsReceipt(endpoint: AmsEndpoint, reference: string): Promise<AmsAnswer> {
  try {
    const url = `${endpoint.baseUrl}/receipt/customer?externalReference=${encodeURIComponent(reference)}`;
    const response = await connectorFetch(url, {
      headers: {
        accept: 'application/json',
        ...(endpoint.authHeader ? { [endpoint.authHeader.name]: endpoint.authHeader.value } : {}),
      },
      signal: AbortSignal.timeout(endpoint.timeoutMs),
    });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      // not JSON
    }
    return { kind: 'response', status: response.status, body };
  } catch (error) {
    return { kind: 'no_response', reason: describeFailure(error) };
  }
}

function describeFailure(error: unknown): string {
  if (error instanceof Error) {
    if (error.name === 'TimeoutError' || error.name === 'AbortError') return 'timed out';
    const cause = (error as Error & { cause?: { code?: string; message?: string } }).cause;
    return cause?.code ?? cause?.message ?? error.message;
  }
  return String(error);
}
