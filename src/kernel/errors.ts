/**
 * The one list of error codes. Domain and service code throw `DomainError`s with one of these;
 * `platform/http/problem.ts` maps each code to an HTTP status and an RFC 9457 problem document.
 */
const errorCodes = [
  'validation_failed',
  'unauthenticated',
  'forbidden',
  'not_found',
  'already_exists',
  'illegal_transition',
  'conflict',
  'unprocessable',
  'idempotency_key_reused',
  'idempotency_key_in_use',
  'payment_in_flight',
  'database_busy',
  'database_unavailable',
  'not_ready',
  'rate_limited',
  'unsupported_media_type',
  'processor_unavailable',
] as const;

export type ErrorCode = (typeof errorCodes)[number];

export interface FieldError {
  /** JSON pointer-ish path of the offending field, e.g. `invoiceInformations/0/paymentAmount`. */
  path: string;
  message: string;
}

export class DomainError extends Error {
  readonly code: ErrorCode;
  readonly errors: FieldError[];
  readonly extensions: Record<string, unknown>;

  constructor(
    code: ErrorCode,
    detail: string,
    options: { errors?: FieldError[]; extensions?: Record<string, unknown> } = {},
  ) {
    super(detail);
    this.name = 'DomainError';
    this.code = code;
    this.errors = options.errors ?? [];
    this.extensions = options.extensions ?? {};
  }
}

export function invalid(path: string, message: string): DomainError {
  return new DomainError('validation_failed', `${path}: ${message}`, { errors: [{ path, message }] });
}

export function notFound(what: string, id: string | number): DomainError {
  return new DomainError('not_found', `${what} ${id} was not found`);
}
