import type { CookieSerializeOptions } from '@fastify/cookie';
import type { FastifyRequest } from 'fastify';
import type { Actor } from '../../kernel/actor.ts';
import { DomainError } from '../../kernel/errors.ts';
import type { RouteDeps } from './types.ts';

export const SESSION_COOKIE = 'pp_session';
/** The portal's own cookie: a client session is only ever read by `/api/v1/portal/*` routes. */
export const PORTAL_COOKIE = 'pp_portal';
export const PORTAL_PREFIX = '/api/v1/portal/';

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

/**
 * Who may call a route: anyone, any authenticated caller, only these roles, or only the operator
 * hosting the deployment (POLICYPAY_OPERATOR_TOKEN, checked by the route itself: no agency's
 * credential is even read); `setup` the first run of an empty deployment, behind the setup code
 * its start-up banner printed (checked by the route too).
 */
export type Access = 'public' | 'authenticated' | 'operator' | 'setup' | readonly Actor['role'][];

declare module 'fastify' {
  interface FastifyRequest {
    actor?: Actor;
    /** Set once the operator token (or the setup code) was checked, on `operator` and `setup` routes only. */
    operator?: true;
  }
  interface FastifyContextConfig {
    access?: Access;
  }
}

export function requireActor(request: FastifyRequest): Actor {
  if (!request.actor) throw new DomainError('unauthenticated', 'authentication is required');
  return request.actor;
}
