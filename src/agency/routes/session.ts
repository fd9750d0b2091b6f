import { z } from 'zod';
import { mayFinalize } from '../../eligibility/rules/payment-settings.ts';
import { requireActor, SESSION_COOKIE, sessionCookieOptions } from '../../platform/http/auth.ts';
import { errorResponses, problemSchema } from '../../platform/http/schemas.ts';
import type { SignInLimiter } from '../../platform/http/sign-in-limits.ts';
import type { App, RouteDeps } from '../../platform/http/types.ts';
import { getAgency } from '../agencies.ts';
import { loadPaymentSettings } from '../payment-settings.ts';
import { getSignedInUser, signIn, signOut } from '../users.ts';

const sessionResponse = z
  .object({
    user: z.object({
      id: z.string(),
      email: z.string(),
      name: z.string(),
      role: z.enum(['staff', 'agent', 'client']),
    }),
    agency: z.object({ slug: z.string(), name: z.string(), timeZone: z.string() }),
    may: z
      .object({
        finalize: z
          .boolean()
          .meta({ description: "Finalize paid payment requests (the agency's who-may-finalize setting)" }),
      })
      .meta({
        description:
          'What the caller may do where the role alone does not say: the console hides what the API would refuse',
      }),
    now: z.string().meta({
      description: "The server's clock when it answered: the console takes today from it, not from the browser",
    }),
  })
  .meta({ id: 'Session' });

async function mayDo(deps: RouteDeps, agencyId: string, role: 'staff' | 'agent' | 'client') {
  return { finalize: mayFinalize(role, await loadPaymentSettings(deps.db, agencyId)) };
}

export function sessionRoutes(app: App, deps: RouteDeps, limit: SignInLimiter): void {
  app.post(
    '/api/v1/session',
    {
      config: { access: 'public', idempotent: false },
      schema: {
        tags: ['session'],
        summary: 'Sign in (web UI); sets the session cookie',
        body: z.strictObject({
          email: z.string().trim().min(1).max(320),
          password: z.string().min(1).max(1000),
        }),
        response: { 200: sessionResponse, ...errorResponses, 429: problemSchema },
      },
      // Per client address and per e-mail tried.
      preHandler: limit('staffSignIn', (request) => (request.body as { email: string }).email.toLowerCase()),
    },
    async (request, reply) => {
      const session = await signIn(deps.db, request.body.email, request.body.password);
      reply.setCookie(SESSION_COOKIE, session.token, sessionCookieOptions(deps, request, session.expiresAt));
      return {
        user: session.user,
        agency: session.agency,
        may: await mayDo(deps, session.agency.id, session.user.role),
        now: new Date().toISOString(),
      };
    },
  );

  app.delete(
    '/api/v1/session',
    {
      config: { access: 'public' },
      schema: {
        tags: ['session'],
        summary: 'Sign out',
        response: { 204: z.null().meta({ description: 'Signed out' }) },
      },
    },
    async (request, reply) => {
      const token = request.cookies[SESSION_COOKIE];
      if (token) await signOut(deps.db, token);
      reply.clearCookie(SESSION_COOKIE, sessionCookieOptions(deps, request));
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/v1/me',
    {
      schema: {
        tags: ['session'],
        summary: 'The signed-in caller',
        response: { 200: sessionResponse, ...errorResponses },
      },
    },
    async (request) => {
      const actor = requireActor(request);
      const user = await getSignedInUser(deps.db, actor);
      const agency = await getAgency(deps.db, actor.agencyId);
      return {
        user,
        agency: { slug: agency.slug, name: agency.name, timeZone: agency.timeZone },
        may: await mayDo(deps, actor.agencyId, user.role),
        now: new Date().toISOString(),
      };
    },
  );
}
