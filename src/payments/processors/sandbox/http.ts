import type { IncomingMessage, ServerResponse } from 'node:http';

/** Small node:http helpers for the sandbox. Request bodies are never logged or echoed. */

const MAX_BODY_BYTES = 64 * 1024;

export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly param: string | undefined;
  constructor(status: number, code: string, message: string, param?: string) {
    super(message);
    this.status = status;
    this.code = code;
    this.param = param;
  }
}

export function errorBody(type: string, code: string, message: string, extra: Record<string, unknown> = {}) {
  return { error: { type, code, message, ...extra } };
}

export async function readJsonObject(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, 'body_too_large', `the body exceeds ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'invalid_json', 'the body is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new HttpError(400, 'invalid_json', 'the body must be a JSON object');
  }
  return value as Record<string, unknown>;
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}

const LOOPBACK_ORIGIN = /^https?:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/;

/** CORS headers for the tokenize endpoints: loopback origins by default, or the listed ones. */
export function corsHeaders(
  origin: string | undefined,
  allowed: '*' | readonly string[] | undefined,
): Record<string, string> {
  const ok =
    origin !== undefined && (allowed === '*' || (allowed ? allowed.includes(origin) : LOOPBACK_ORIGIN.test(origin)));
  if (!ok) return {};
  return {
    'access-control-allow-origin': allowed === '*' ? '*' : origin,
    'access-control-allow-methods': 'GET, POST, OPTIONS',
    'access-control-allow-headers': 'content-type',
    'access-control-max-age': '600',
    vary: 'origin',
  };
}

/** A positive integer amount of minor units, as a JSON number or a string of digits. */
export function parseAmount(value: unknown, param: string): bigint {
  let amount: bigint | undefined;
  if (typeof value === 'string' && /^\d{1,15}$/.test(value)) amount = BigInt(value);
  else if (typeof value === 'number' && Number.isSafeInteger(value)) amount = BigInt(value);
  if (amount === undefined || amount <= 0n || amount > 99_999_999_999n) {
    throw new HttpError(400, 'invalid_amount', `${param} must be a positive integer of minor units`, param);
  }
  return amount;
}

export function requireString(body: Record<string, unknown>, param: string, max = 500): string {
  const value = body[param];
  if (typeof value !== 'string' || value.length === 0 || value.length > max) {
    throw new HttpError(400, 'invalid_request', `${param} is required (a string of at most ${max} characters)`, param);
  }
  return value;
}

export function optionalString(body: Record<string, unknown>, param: string, max = 500): string | null {
  const value = body[param];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || value.length > max) {
    throw new HttpError(400, 'invalid_request', `${param} must be a string of at most ${max} characters`, param);
  }
  return value;
}
