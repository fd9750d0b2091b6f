import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyCookie from '@fastify/cookie';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyServerOptions } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { DatabaseHandle } from '../db/database.ts';
import { type JobQueue, noJobQueue } from '../services/job-queue.ts';
import type { Processors } from '../services/payment-methods.ts';
import { authHook } from './auth.ts';
import { registerIdempotency } from './idempotency.ts';
import { clientErrorResponse, MAX_PARAM_LENGTH, problemFor, sendProblem, toProblem } from './problem.ts';
import { ams360ReceiptRoutes } from './routes/ams360-receipts.ts';
import { autopayRoutes } from './routes/autopay.ts';
import { agencySetupRoutes } from './routes/billing-setup.ts';
import { customerRoutes } from './routes/customers.ts';
import { emailRoutes } from './routes/emails.ts';
import { healthRoutes } from './routes/health.ts';
import { invoiceRoutes } from './routes/invoices.ts';
import { paymentEligibilityRoutes } from './routes/payment-eligibility.ts';
import { paymentRequestRoutes } from './routes/payment-requests.ts';
import { paymentSettingsRoutes } from './routes/payment-settings.ts';
import { paymentRoutes } from './routes/payments.ts';
import { policyRoutes } from './routes/policies.ts';
import { portalRoutes } from './routes/portal.ts';
import { type PortalLimits, portalAuthRoutes } from './routes/portal-auth.ts';
import { receiptRoutes } from './routes/receipts.ts';
import { sessionRoutes } from './routes/session.ts';
import { syncRoutes } from './routes/sync.ts';
import { syncWebhookRoutes } from './routes/sync-webhooks.ts';
import { webhookRoutes } from './routes/webhooks.ts';
import { refuseUnstorableText, unstorableText } from './text-input.ts';
import type { App, RouteDeps } from './types.ts';

export interface AppOptions {
  database: DatabaseHandle;
  /** Built web UI to serve at / and /portal (see src/web/build.ts); omitted in API-only tests. */
  webDir?: string | undefined;
  logger?: FastifyServerOptions['logger'];
  secureCookies?: boolean;
  processors?: Processors;
  jobs?: JobQueue;
  /** Base URL for links in e-mails (POLICYPAY_PUBLIC_URL); default: the host a request came to. */
  publicUrl?: string | undefined;
  /** Portal rate limits (tests pass small ones). */
  portalLimits?: PortalLimits;
}

export async function buildApp(options: AppOptions): Promise<App> {
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: 1024 * 1024,
    // Never let an error page be anything but problem+json.
    return503OnClosing: true,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // An undecodable path (`%zz`) or an overlong path parameter: answered before any route runs.
    frameworkErrors: (error, request, reply) => sendProblem(reply, toProblem(error, request)),
    // What Node's HTTP parser refuses (431/414 oversized headers or URL, malformed HTTP).
    clientErrorHandler(error, socket) {
      const response = clientErrorResponse(error);
      if (response && socket.writable) socket.write(response);
      socket.destroy(error);
    },
  }).withTypeProvider() as unknown as App;
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  const deps: RouteDeps = {
    db: options.database.db,
    databaseKind: options.database.kind,
    secureCookies: options.secureCookies ?? false,
    processors: options.processors ?? new Map(),
    jobs: options.jobs ?? noJobQueue,
    publicUrl: options.publicUrl,
  };

  await app.register(fastifyCookie);
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'policypay API',
        version: '1',
        description:
          'Billing and payments hub for insurance agencies. Authenticate with `Authorization: Bearer <api key>`. ' +
          'Every POST honours `Idempotency-Key` (Stripe semantics). Errors are RFC 9457 problem+json.',
      },
      components: {
        securitySchemes: {
          apiKey: {
            type: 'http',
            scheme: 'bearer',
            description: 'An API key from `policypay api-key create`',
          },
        },
      },
      security: [{ apiKey: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/api/docs' });

  app.setErrorHandler((error, request, reply) => sendProblem(reply, toProblem(error, request)));
  app.setNotFoundHandler((request, reply) => {
    if (options.webDir && request.method === 'GET' && !request.url.startsWith('/api/')) {
      // Client-side routes: the portal's under /portal, the staff console's everywhere else.
      const portal =
        request.url === '/portal' || request.url.startsWith('/portal/') || request.url.startsWith('/portal?');
      return reply.header('cache-control', 'no-cache').sendFile(portal ? 'portal/index.html' : 'index.html');
    }
    return sendProblem(reply, {
      ...problemFor('not_found', `no route ${request.method} ${request.url.split('?')[0]}`),
    });
  });

  app.addHook('onRequest', async (request, reply) => {
    // Before anything reads them (credentials included): strings PostgreSQL cannot store.
    refuseUnstorableText([
      ...unstorableText(request.params, 'params'),
      ...unstorableText(request.query, 'querystring'),
      ...unstorableText(request.headers, 'header'),
      ...unstorableText(request.cookies, 'cookie'),
    ]);
    if (request.url.startsWith('/api/v1/')) await authHook(deps.db)(request, reply);
  });
  app.addHook('preValidation', async (request) => refuseUnstorableText(unstorableText(request.body, '')));
  registerIdempotency(app as never, deps.db);

  app.get('/api/openapi.json', { config: { access: 'public' }, schema: { hide: true } }, async () => app.swagger());

  healthRoutes(app, deps);
  sessionRoutes(app, deps);
  customerRoutes(app, deps);
  policyRoutes(app, deps);
  paymentEligibilityRoutes(app, deps);
  paymentSettingsRoutes(app, deps);
  invoiceRoutes(app, deps);
  receiptRoutes(app, deps);
  paymentRoutes(app, deps);
  autopayRoutes(app, deps);
  ams360ReceiptRoutes(app, deps);
  paymentRequestRoutes(app, deps);
  emailRoutes(app, deps);
  portalAuthRoutes(app, deps, options.portalLimits);
  portalRoutes(app, deps);
  await app.register(async (scope) => webhookRoutes(scope as unknown as App, deps));
  syncRoutes(app, deps);
  await app.register(async (scope) => syncWebhookRoutes(scope as unknown as App, deps));
  agencySetupRoutes(app, deps);

  if (options.webDir && existsSync(join(options.webDir, 'index.html'))) {
    await app.register(fastifyStatic, {
      root: options.webDir,
      wildcard: false,
      index: ['index.html'],
      // Vite puts a content hash in every asset name; the HTML pages must always be revalidated.
      setHeaders: (reply, filePath) =>
        reply.header(
          'cache-control',
          filePath.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
        ),
    });
  }
  return app;
}
