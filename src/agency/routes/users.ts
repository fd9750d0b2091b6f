import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { requireActor } from '../../platform/http/auth.ts';
import { respond } from '../../platform/http/idempotency.ts';
import { errorResponses, nonEmpty } from '../../platform/http/schemas.ts';
import type { App, RouteDeps } from '../../platform/http/types.ts';
import { inspectPasswordLink, MIN_PASSWORD_LENGTH, redeemPasswordLink } from '../password-links.ts';
import {
  deactivateUser,
  inviteUser,
  listUsers,
  type MailContext,
  type ManagedUser,
  sendPasswordReset,
} from '../user-admin.ts';

const userSchema = z
  .object({
    id: z.string(),
    email: z.string(),
    name: z.string(),
    role: z.enum(['staff', 'agent']),
    status: z.enum(['active', 'invited', 'deactivated']).meta({
      description: 'invited: has not chosen a password yet; deactivated: can no longer sign in',
    }),
    lastSignInAt: z.string().nullable(),
    createdAt: z.string(),
  })
  .meta({ id: 'User' });

const present = (user: ManagedUser) => ({
  ...user,
  lastSignInAt: user.lastSignInAt?.toISOString() ?? null,
  createdAt: user.createdAt.toISOString(),
});

const idParams = z.strictObject({ id: z.string().max(64) });
const staffOnly = { access: ['staff'] as const };
const LOOPBACK_HOST = /^(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/;

/**
 * Where links in these e-mails point: the configured public URL; without one, the request's host
 * only when it is a loopback name (as the portal's links: never a host the caller chose).
 */
function consoleUrl(deps: RouteDeps, request: FastifyRequest): string {
  if (deps.publicUrl) return deps.publicUrl.replace(/\/+$/, '');
  const host = LOOPBACK_HOST.test(request.host) ? request.host : `localhost:${request.socket.localPort ?? 80}`;
  return `${request.protocol}://${host}`;
}

const mailContext = (deps: RouteDeps, request: FastifyRequest): MailContext => ({
  consoleUrl: consoleUrl(deps, request),
  jobs: deps.jobs,
  now: deps.clock(),
});

/** Settings → Users and roles: the agency's console users (staff only), and the set-password links. */
export function userRoutes(app: App, deps: RouteDeps): void {
  app.get(
    '/api/v1/users',
    {
      config: staffOnly,
      schema: {
        tags: ['users'],
        summary: "List the agency's console users (staff and agents)",
        response: { 200: z.object({ data: z.array(userSchema) }), ...errorResponses },
      },
    },
    async (request) => ({ data: (await listUsers(deps.db, requireActor(request))).map(present) }),
  );

  app.post(
    '/api/v1/users',
    {
      config: staffOnly,
      schema: {
        tags: ['users'],
        summary: 'Invite a user: creates them with a role and e-mails a one-time link to choose a password',
        body: z.strictObject({
          email: z.email({ error: 'must be an e-mail address' }).max(320),
          name: nonEmpty(200),
          role: z.enum(['staff', 'agent'], { error: 'must be staff or agent' }),
        }),
        response: { 201: userSchema, ...errorResponses },
      },
    },
    async (request, reply) =>
      respond(deps.db, request, reply, 201, async (tx) =>
        present(await inviteUser(tx, requireActor(request), request.body, mailContext(deps, request))),
      ),
  );

  app.post(
    '/api/v1/users/:id/deactivate',
    {
      config: staffOnly,
      schema: {
        tags: ['users'],
        summary: 'Deactivate a user: they cannot sign in and their sessions end',
        params: idParams,
        response: { 200: userSchema, ...errorResponses },
      },
    },
    async (request, reply) =>
      respond(deps.db, request, reply, 200, async (tx) =>
        present(await deactivateUser(tx, requireActor(request), request.params.id, deps.clock())),
      ),
  );

  app.post(
    '/api/v1/users/:id/password-reset',
    {
      config: staffOnly,
      schema: {
        tags: ['users'],
        summary: 'E-mail a user a one-time link to choose a new password',
        params: idParams,
        response: { 202: z.object({ sentTo: z.string() }), ...errorResponses },
      },
    },
    async (request, reply) =>
      respond(deps.db, request, reply, 202, (tx) =>
        sendPasswordReset(tx, requireActor(request), request.params.id, mailContext(deps, request)),
      ),
  );

  // The set-password page, used signed out. The token travels in the body, never in a URL the
  // server logs. Not replayable under an Idempotency-Key: the link is single-use by itself.
  const token = z.string().trim().min(1, { error: 'must not be empty' }).max(200);
  app.post(
    '/api/v1/password-links/inspect',
    {
      config: { access: 'public', idempotent: false },
      schema: {
        tags: ['users'],
        summary: 'Whom a set-password link is for (without using it)',
        body: z.strictObject({ token }),
        response: {
          200: z.object({
            purpose: z.enum(['invite', 'reset']),
            email: z.string(),
            name: z.string(),
            agencyName: z.string(),
            minPasswordLength: z.number().int(),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => ({
      ...(await inspectPasswordLink(deps.db, request.body.token, deps.clock())),
      minPasswordLength: MIN_PASSWORD_LENGTH,
    }),
  );

  app.post(
    '/api/v1/password-links/redeem',
    {
      config: { access: 'public', idempotent: false },
      schema: {
        tags: ['users'],
        summary: "Set the password a link was sent for; the link is used up and the user's sessions end",
        body: z.strictObject({ token, password: z.string().max(1000) }),
        response: { 200: z.object({ email: z.string() }), ...errorResponses },
      },
    },
    async (request) => redeemPasswordLink(deps.db, request.body, deps.clock()),
  );
}
