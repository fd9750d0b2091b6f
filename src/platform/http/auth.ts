import type { CookieSerializeOptions } from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { authenticateApiKey } from '../../agency/api-keys.ts';
import { authenticateSession } from '../../agency/users.ts';
import type { Actor } from '../../kernel/actor.ts';
import { DomainError } from '../../kernel/errors.ts';
import { authenticatePortalSession } from '../../portal/auth.ts';
import type { Db } from '../db/transaction.ts';
import type { RouteDeps } from './types.ts';

export const SESSION_COOKIE = 'pp_session';
/** The portal's own cookie: a client session is only ever read by `/api/v1/portal/*` routes. */
export const PORTAL_COOKIE = 'pp_portal';
const PORTAL_PREFIX = '/api/v1/portal/';

/**
 * Session cookies (staff and portal): HttpOnly, SameSite=Lax, and Secure whenever the server is
 * public over HTTPS (`POLICYPAY_PUBLIC_URL` https://…) or this request came over TLS.
 */
export function sessionCookieOptions(deps: RouteDeps, request: FastifyRequest, expires?: Date): CookieSerializeOptions {
  return {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: deps.secureCookies || request.protocol === 'https',
    ...(expires ? { expires } : {}),
  };
}

/** Who may call a route: anyone, any authenticated caller, or only these roles. */
export type Access = 'public' | 'authenticated' | readonly Actor['role'][];

declare module 'fastify' {
  interface FastifyRequest {
    actor?: Actor;
  }
  interface FastifyContextConfig {
    access?: Access;
  }
}

/** Resolves the caller from a bearer API key or the session cookie, then enforces the route's access. */
export function authHook(db: Db) {
  return async function authenticate(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
    const access: Access = request.routeOptions.config.access ?? 'authenticated';
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

export function requireActor(request: FastifyRequest): Actor {
  if (!request.actor) throw new DomainError('unauthenticated', 'authentication is required');
  return request.actor;
}
