/**
 * Whether an error means "the database could not be reached or the connection was lost", as
 * opposed to a statement the database refused. Such a request may be retried once the database
 * is back: the HTTP layer answers 503 `database-unavailable` with Retry-After, workers retry.
 *
 * - SQLSTATE class 08 (connection exception), 57P01 admin_shutdown (pg_terminate_backend, a fast
 *   shutdown), 57P02 crash_shutdown, 57P03 cannot_connect_now (starting up or shutting down),
 *   53300 too_many_connections;
 * - the socket's own errors (refused, reset, timed out, unreachable, no such host);
 * - node-postgres's messages for a connection that ended or broke (they carry no code).
 */
const SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
const MESSAGES = [
  /^Connection terminated/,
  /is not queryable$/,
  /^timeout exceeded when trying to connect$/,
  /^Connection ended unexpectedly/,
];

export function isConnectionError(error: unknown, depth = 0): boolean {
  if (!error || typeof error !== 'object' || depth > 2) return false;
  const { code, message, errors } = error as { code?: unknown; message?: unknown; errors?: unknown };
  if (typeof code === 'string' && (code.startsWith('08') || SQLSTATES.has(code) || SOCKET_CODES.has(code))) {
    return true;
  }
  if (typeof message === 'string' && MESSAGES.some((pattern) => pattern.test(message))) return true;
  // Node reports a refused connection to every address of a host as an AggregateError.
  // Causes are not followed: a failed fetch to a processor also has a socket error as its cause.
  return Array.isArray(errors) && errors.length > 0 && errors.every((e) => isConnectionError(e, depth + 1));
}
