import type { FastifyRequest } from 'fastify';
import { DomainError } from '../../kernel/errors.ts';
import { PORTAL_COOKIE, SESSION_COOKIE } from './auth.ts';

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function originOf(value: string | undefined): string | undefined {
  if (!value) return undefined;
  try {
    const url = new URL(value);
    return url.origin === 'null' ? 'null' : `${url.protocol}//${url.host}`;
  } catch {
    return 'null';
  }
}

/**
 * Cross-site request forgery defence for the API, on top of SameSite=Lax cookies. An unsafe
 * request that a browser could send with a session cookie must say where it comes from: its
 * `Origin` (or, without one, `Referer`) must be this server — the public URL's origin, or the
 * host the request was sent to — and its body must be JSON (an HTML form can post `text/plain`
 * or form encodings cross-site, but not `application/json` without CORS). Bearer API keys are not
 * ambient credentials and are not affected; neither are callers with no cookie and no `Origin`
 * (webhooks, scripts). A foreign `Origin` is refused even without a cookie (login CSRF).
 */
export function csrfGuard(publicUrl: string | undefined) {
  const publicOrigin = publicUrl ? originOf(publicUrl) : undefined;
  return function checkOrigin(request: FastifyRequest): void {
    if (!UNSAFE.has(request.method) || request.headers.authorization) return;
    const withCookie = request.cookies[SESSION_COOKIE] !== undefined || request.cookies[PORTAL_COOKIE] !== undefined;
    const origin = originOf(request.headers.origin) ?? originOf(request.headers.referer);
    if (origin === undefined) {
      if (!withCookie) return;
      throw new DomainError(
        'forbidden',
        'a request signed in by cookie must send an Origin (or Referer) header naming this server (CSRF rule)',
      );
    }
    // The Host is the browser's, not the attacker's: an Origin equal to it is this server.
    const host = request.headers.host;
    const own =
      origin === publicOrigin || (host !== undefined && [`http://${host}`, `https://${host}`].includes(origin));
    if (!own) {
      throw new DomainError('forbidden', `cross-site request refused: Origin ${origin} is not this server (CSRF rule)`);
    }
    const type = request.headers['content-type'];
    if (withCookie && type !== undefined && !/^application\/json\s*(;|$)/i.test(type)) {
      throw new DomainError(
        'unsupported_media_type',
        'a request signed in by cookie must send its body as application/json (CSRF rule)',
      );
    }
  };
}
