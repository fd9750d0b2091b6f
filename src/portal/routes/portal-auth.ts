import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { agencyProcessorStatus } from '../../payments/agency-processors.ts';
import { PORTAL_COOKIE, requireActor, sessionCookieOptions } from '../../platform/http/auth.ts';
import { respond } from '../../platform/http/idempotency.ts';
import { errorResponses, problemSchema } from '../../platform/http/schemas.ts';
import type { SignInLimiter } from '../../platform/http/sign-in-limits.ts';
import type { App, RouteDeps } from '../../platform/http/types.ts';
import {
  askForPortalSignInLink,
  getPortalSession,
  type PortalSignIn,
  publicPortalAgency,
  redeemPortalToken,
  setPortalPassword,
  signInToPortal,
  signOutOfPortal,
} from '../auth.ts';
import { switchPortalAccount } from '../identities.ts';
import { portalUrl } from './payment-requests.ts';

const portalSessionSchema = z
  .object({
    agency: z.object({
      slug: z.string(),
      name: z.string().meta({ description: "The name clients see: the agency's branding, else its name" }),
      logoUrl: z.string().nullable(),
      primaryColor: z.string().nullable().meta({ description: '#rrggbb for the portal header; null = the default' }),
    }),
    customer: z.object({ customerNumber: z.number().int(), name: z.string() }),
    contact: z.object({ id: z.string(), name: z.string(), email: z.string() }),
    accounts: z.array(z.object({ customerNumber: z.number().int(), name: z.string(), current: z.boolean() })).meta({
      description: 'Every customer where the signed-in person is a contact (by e-mail): the account switcher',
    }),
    hasPassword: z.boolean(),
    paymentRequestId: z.string().nullable(),
  })
  .meta({ id: 'PortalSession' });

const agencySlug = z.string().trim().min(1).max(100);
const emailField = z.string().trim().min(1).max(320);
const withRateLimit = { ...errorResponses, 429: problemSchema };

/** The e-mail a portal route is about, per agency: the rate limits' second key. */
const accountKey = (request: FastifyRequest) => {
  const body = request.body as { agency: string; email: string };
  return `${body.agency}:${body.email.toLowerCase()}`;
};

export function portalAuthRoutes(app: App, deps: RouteDeps, limit: SignInLimiter): void {
  const setCookie = (request: FastifyRequest, reply: FastifyReply, session: PortalSignIn) =>
    reply.setCookie(PORTAL_COOKIE, session.token, sessionCookieOptions(deps, request, session.expiresAt));

  app.get(
    '/api/v1/portal/config',
    {
      config: { access: 'public' },
      schema: {
        tags: ['portal'],
        summary:
          'Where the browser tokenizes cards and bank accounts (never through policypay), and whether this is test mode',
        response: {
          200: z.object({
            processor: z.string().nullable(),
            tokenizeUrl: z.string().nullable().meta({
              description:
                'null when cards cannot be entered in the portal (Stripe: Stripe.js checkout is not built yet)',
            }),
            testMode: z.boolean().meta({
              description: 'true when the sandbox or a Stripe test key (sk_test_) serves payments: nothing is charged',
            }),
          }),
        },
      },
    },
    async (request) => {
      // One processor per agency (its own choice, else the process's): signed in, the client's agency's.
      const { processor, testMode } = await agencyProcessorStatus(deps.db, deps.processors, request.actor?.agencyId);
      return { processor: processor?.name ?? null, tokenizeUrl: processor?.tokenizeUrl ?? null, testMode };
    },
  );

  app.get(
    '/api/v1/portal/agencies/:slug',
    {
      config: { access: 'public' },
      schema: {
        tags: ['portal'],
        summary: "An agency's name and branding, for the sign-in and enrollment pages before anyone signs in",
        params: z.object({ slug: agencySlug }),
        response: {
          200: z.object({
            slug: z.string(),
            name: z.string(),
            logoUrl: z.string().nullable(),
            primaryColor: z.string().nullable(),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => publicPortalAgency(deps.db, request.params.slug),
  );

  app.post(
    '/api/v1/portal/tokens/redeem',
    {
      config: { access: 'public', idempotent: false },
      schema: {
        tags: ['portal'],
        summary: 'Redeem an enrollment or sign-in link (single use); sets the portal cookie',
        body: z.strictObject({ agency: agencySlug, token: z.string().trim().min(1).max(200) }),
        response: { 200: portalSessionSchema, ...withRateLimit },
      },
      preHandler: limit('portalRedeem'),
    },
    async (request, reply) => {
      const session = await redeemPortalToken(deps.db, { agencySlug: request.body.agency, token: request.body.token });
      setCookie(request, reply, session);
      return session.view;
    },
  );

  app.post(
    '/api/v1/portal/session',
    {
      config: { access: 'public', idempotent: false },
      schema: {
        tags: ['portal'],
        summary: 'Sign in to the portal with e-mail and password; sets the portal cookie',
        body: z.strictObject({ agency: agencySlug, email: emailField, password: z.string().min(1).max(1000) }),
        response: { 200: portalSessionSchema, ...withRateLimit },
      },
      preHandler: limit('portalSignIn', accountKey),
    },
    async (request, reply) => {
      const session = await signInToPortal(deps.db, request.body);
      setCookie(request, reply, session);
      return session.view;
    },
  );

  app.post(
    '/api/v1/portal/sign-in-link',
    {
      config: { access: 'public', idempotent: false },
      schema: {
        tags: ['portal'],
        summary: 'E-mail a sign-in link (or an enrollment link) to a contact; the same answer for unknown e-mails',
        body: z.strictObject({ agency: agencySlug, email: emailField }),
        response: { 202: z.object({ status: z.literal('sent_if_known') }), ...withRateLimit },
      },
      preHandler: limit('portalLink', accountKey),
    },
    async (request, reply) => {
      await askForPortalSignInLink(deps.db, deps.jobs, {
        agencySlug: request.body.agency,
        email: request.body.email.trim().toLowerCase(),
        portalUrl: portalUrl(deps, request),
      });
      reply.status(202);
      return { status: 'sent_if_known' as const };
    },
  );

  app.delete(
    '/api/v1/portal/session',
    {
      config: { access: 'public' },
      schema: {
        tags: ['portal'],
        summary: 'Sign out of the portal',
        response: { 204: z.null().meta({ description: 'Signed out' }) },
      },
    },
    async (request, reply) => {
      const token = request.cookies[PORTAL_COOKIE];
      if (token) await signOutOfPortal(deps.db, token);
      reply.clearCookie(PORTAL_COOKIE, sessionCookieOptions(deps, request));
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/v1/portal/me',
    {
      config: { access: ['client'] as const },
      schema: {
        tags: ['portal'],
        summary: 'The signed-in client: agency, customer and contact',
        response: { 200: portalSessionSchema, ...errorResponses },
      },
    },
    async (request) => getPortalSession(deps.db, requireActor(request)),
  );

  app.post(
    '/api/v1/portal/password',
    {
      config: { access: ['client'] as const, idempotent: false },
      schema: {
        tags: ['portal'],
        summary: 'Set or change the portal password (at least 8 characters)',
        body: z.strictObject({
          password: z.string().min(8, { error: 'must be at least 8 characters' }).max(1000),
        }),
        response: { 200: portalSessionSchema, ...errorResponses },
      },
    },
    // Ends the account's other sessions; this one stays signed in.
    async (request) =>
      setPortalPassword(deps.db, requireActor(request), request.body.password, request.cookies[PORTAL_COOKIE]),
  );

  app.post(
    '/api/v1/portal/session/account',
    {
      config: { access: ['client'] as const },
      schema: {
        tags: ['portal'],
        summary:
          'Switch this session to another of your accounts (a customer where you are a contact); 404 for any other customer',
        body: z.strictObject({
          customerNumber: z
            .number({ error: 'must be a positive integer' })
            .int({ error: 'must be a positive integer' })
            .positive({ error: 'must be a positive integer' })
            .max(2_147_483_647, { error: 'is too large' }),
        }),
        response: { 200: portalSessionSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const actor = requireActor(request);
      const token = request.cookies[PORTAL_COOKIE] ?? '';
      return respond(deps.db, request, reply, 200, async (tx) => {
        const account = await switchPortalAccount(tx, actor, request.body.customerNumber, token);
        const client = { ...actor.client!, customerId: account.customerId, customerNumber: account.customerNumber };
        return getPortalSession(tx, { ...actor, client: { ...client, contactId: account.contactId } });
      });
    },
  );
}
