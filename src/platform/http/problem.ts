import { maxHeaderSize, STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { DomainError, type ErrorCode, type FieldError } from '../../kernel/errors.ts';
import { isConnectionError } from '../db/connection-errors.ts';

/** The one place where errors become RFC 9457 problem documents. */
const statusByCode: Record<ErrorCode, { status: number; title: string }> = {
  validation_failed: { status: 400, title: 'The request is not valid' },
  unauthenticated: { status: 401, title: 'Authentication is required' },
  forbidden: { status: 403, title: 'Not allowed' },
  not_found: { status: 404, title: 'Not found' },
  already_exists: { status: 409, title: 'Already exists' },
  illegal_transition: { status: 409, title: 'Illegal transition' },
  conflict: { status: 409, title: 'Conflict' },
  unprocessable: { status: 422, title: 'The request cannot be processed' },
  idempotency_key_reused: { status: 422, title: 'Idempotency-Key reused with a different request' },
  idempotency_key_in_use: { status: 409, title: 'A request with this Idempotency-Key is in progress' },
  payment_in_flight: { status: 409, title: 'Another payment for this invoice is in flight' },
  database_busy: { status: 503, title: 'Busy, retry' },
  database_unavailable: { status: 503, title: 'The database is unavailable, retry' },
  not_ready: { status: 503, title: 'Not ready to serve' },
  rate_limited: { status: 429, title: 'Too many requests' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  processor_unavailable: { status: 502, title: 'The payment processor gave no answer' },
};

/** When a client should retry after the database was unreachable (a restart or failover takes seconds). */
const DATABASE_RETRY_AFTER_SECONDS = 5;

const PROBLEM_TYPE_BASE = 'https://policypay.dev/problems/';

/** Fastify's (the router's) longest path parameter; a longer one is answered 414. */
export const MAX_PARAM_LENGTH = 100;

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

export function problemFor(code: ErrorCode, detail: string, errors: FieldError[] = []): Problem {
  const { status, title } = statusByCode[code];
  return { type: `${PROBLEM_TYPE_BASE}${code.replaceAll('_', '-')}`, title, status, detail, errors };
}

export function sendProblem(reply: FastifyReply, problem: Problem): FastifyReply {
  if (typeof problem.retryAfterSeconds === 'number') reply.header('retry-after', String(problem.retryAfterSeconds));
  return reply.status(problem.status).type('application/problem+json').send(problem);
}

interface ZodLikeIssue {
  keyword: string;
  instancePath: string;
  message?: string;
  params?: { keys?: string[] };
}

function zodErrors(error: FastifyError & { validationContext?: string }): FieldError[] {
  const issues = (error.validation ?? []) as unknown as ZodLikeIssue[];
  const prefix = error.validationContext && error.validationContext !== 'body' ? `${error.validationContext}` : '';
  const join = (path: string) => [prefix, path.replace(/^\//, '')].filter(Boolean).join('/') || '(body)';
  return issues.flatMap((issue) => {
    if (issue.keyword === 'unrecognized_keys' && issue.params?.keys?.length) {
      return issue.params.keys.map((key) => ({
        path: join(`${issue.instancePath}/${key}`.replace(/^\/\//, '/')),
        message: 'is not a known field',
      }));
    }
    return [{ path: join(issue.instancePath), message: issue.message ?? issue.keyword }];
  });
}

/** Maps any error thrown while handling a request to a problem document. Never leaks internals. */
export function toProblem(error: unknown, request: FastifyRequest): Problem {
  if (error instanceof DomainError) {
    // Extensions add members; they never replace RFC 9457's own (a `status: 'failed'` once made
    // the reply's status code a string, and Fastify answered its own 500).
    return { ...error.extensions, ...problemFor(error.code, error.message, error.errors) };
  }
  if (isConnectionError(error)) {
    // A lost or refused connection: a transaction it broke rolled back (one lost at COMMIT is
    // replayed by its Idempotency-Key) and the pool dropped the client, so the request can be resent.
    request.log.warn({ err: error }, 'database unavailable');
    return {
      ...problemFor('database_unavailable', 'the database cannot be reached right now; retry the request shortly'),
      retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS,
    };
  }
  const fastifyError = error as FastifyError & { validationContext?: string };
  if (hasZodFastifySchemaValidationErrors(fastifyError)) {
    const errors = zodErrors(fastifyError);
    return problemFor('validation_failed', errors.map((e) => `${e.path}: ${e.message}`).join('; '), errors);
  }
  if (fastifyError.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return problemFor('unsupported_media_type', 'send the body as application/json');
  }
  if (fastifyError.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return {
      ...problemFor('validation_failed', 'the body is too large'),
      status: 413,
      title: 'Payload too large',
    };
  }
  if (fastifyError.code === 'FST_ERR_BAD_URL') {
    // The router could not percent-decode the path (`%zz`, a cut-off UTF-8 sequence).
    return problemFor('validation_failed', 'the URL path is not valid percent-encoded UTF-8', [
      { path: 'url', message: 'must be valid percent-encoded UTF-8' },
    ]);
  }
  if (fastifyError.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    return {
      ...problemFor('validation_failed', `a path segment is longer than ${MAX_PARAM_LENGTH} characters`, [
        { path: 'url', message: `each path segment must be at most ${MAX_PARAM_LENGTH} characters` },
      ]),
      status: 414,
      title: 'URI too long',
    };
  }
  if (typeof fastifyError.statusCode === 'number' && fastifyError.statusCode < 500) {
    // Fastify's own 4xx (malformed JSON, empty body, bad content length): say what it said, about the body.
    return {
      ...problemFor('validation_failed', fastifyError.message, [{ path: '(body)', message: fastifyError.message }]),
      status: fastifyError.statusCode,
      title: fastifyError.statusCode === 400 ? 'The request is not valid' : 'Bad request',
    };
  }
  request.log.error({ err: error }, 'unhandled error');
  return {
    type: `${PROBLEM_TYPE_BASE}internal-error`,
    title: 'Internal error',
    status: 500,
    detail: 'an unexpected error occurred; it has been logged',
  };
}

/**
 * The answer to a request Node's HTTP parser refused before Fastify saw it (Fastify's
 * `clientErrorHandler`): headers over `maxHeaderSize` (431, or 414 when the request line alone
 * is too long), malformed HTTP (400). Undefined when nothing should be written (a reset socket).
 */
export function clientErrorResponse(error: Error & { code?: string; rawPacket?: unknown }): string | undefined {
  let problem: Problem;
  if (error.code === 'ECONNRESET') return undefined;
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    problem = {
      ...problemFor('validation_failed', 'the request was not received in time'),
      status: 408,
      title: 'Request timeout',
    };
  } else if (error.code === 'HPE_HEADER_OVERFLOW') {
    // The request line counts in the header block: a request line longer than the whole block may
    // be means the URL is what overflowed.
    const packet = Buffer.isBuffer(error.rawPacket) ? error.rawPacket.toString('latin1') : '';
    const lineEnd = packet.indexOf('\r\n');
    const uriTooLong = /^[A-Z]+ \S/.test(packet) && (lineEnd === -1 ? packet.length : lineEnd) > maxHeaderSize;
    problem = uriTooLong
      ? {
          ...problemFor('validation_failed', 'the URL is too long', [{ path: 'url', message: 'is too long' }]),
          status: 414,
          title: 'URI too long',
        }
      : {
          ...problemFor('validation_failed', 'the request headers are too large', [
            { path: 'header', message: 'the header fields together are too large' },
          ]),
          status: 431,
          title: 'Request header fields too large',
        };
  } else {
    problem = problemFor('validation_failed', 'the request is not valid HTTP/1.1', [
      { path: 'request', message: 'is not valid HTTP/1.1' },
    ]);
  }
  const body = JSON.stringify(problem);
  return (
    `HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status]}\r\nContent-Type: application/problem+json; charset=utf-8\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`
  );
}
