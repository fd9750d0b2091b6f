import type { FastifyReply, FastifyRequest } from 'fastify';
import { authenticateApiKey } from '../../agency/api-keys.ts';
import { authenticateSession } from '../../agency/users.ts';
import { DomainError } from '../../kernel/errors.ts';
import { authenticatePortalSession } from '../../portal/auth.ts';
import type { Db } from '../db/transaction.ts';
import { type Access, PORTAL_COOKIE, PORTAL_PREFIX, SESSION_COOKIE } from '../http/auth.ts';

// The app resolves callers here, where it may know every kind of credential (staff API keys and
// sessions from agency administration, client sessions from the portal); routes only read the
// result through `requireActor` in `platform/http/auth.ts`.

/** Resolves the caller from a bearer API key or the session cookie, then enforces the route's access. */
export function authHook(db: Db) {
  return async function authenticate(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
    const access: Access = request.routeOptions.config.access ?? 'authenticated';
    // The operator's routes check the operator token themselves, the first run its setup code; an
    // agency's key is no credential there.
    if (access === 'operator' || access === 'setup') return;
    const header = request.headers.authorization;
    if (header) {
      const match = /^Bearer\s+(\S+)$/i.exec(header);
      const actor = match ? await authenticateApiKey(db, match[1]!) : undefined;
      if (!actor) throw new DomainError('unauthenticated', 'the API key is missing, malformed, unknown or revoked');
      request.actor = actor;
    } else if (request.url.startsWith(PORTAL_PREFIX)) {
      const token = request.cookies[PORTAL_COOKIE];
      const actor = token ? await authenticatePortalSession(db, token) : undefined;
      if (actor) request.actor = actor;
    } else {
      const token = request.cookies[SESSION_COOKIE];
      const session = token ? await authenticateSession(db, token) : undefined;
      if (session) request.actor = session.actor;
    }
    // Clients act only through the portal's routes, whatever credential they hold.
    if (request.actor?.role === 'client' && !request.url.startsWith(PORTAL_PREFIX)) {
      throw new DomainError('forbidden', 'portal clients may only use /api/v1/portal');
    }
    if (access === 'public') return;
    if (!request.actor) {
      throw new DomainError(
        'unauthenticated',
        'send an API key as "Authorization: Bearer <key>" or sign in at POST /api/v1/session',
      );
    }
    if (access !== 'authenticated' && !access.includes(request.actor.role)) {
      throw new DomainError('forbidden', `this operation needs the role ${access.join(' or ')}`);
    }
  };
}
