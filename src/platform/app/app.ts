import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyCookie from '@fastify/cookie';
import fastifyHelmet from '@fastify/helmet';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { LogController } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { agencySetupRoutes } from '../../agency/routes/billing-setup.ts';
import { brandingRoutes } from '../../agency/routes/branding.ts';
import { firstRunRoutes } from '../../agency/routes/first-run.ts';
import { operatorRoutes } from '../../agency/routes/operator.ts';
import { paymentSettingsRoutes } from '../../agency/routes/payment-settings.ts';
import { processorSettingsRoutes } from '../../agency/routes/processor-settings.ts';
import { sessionRoutes } from '../../agency/routes/session.ts';
import { userRoutes } from '../../agency/routes/users.ts';
import { autopayRoutes } from '../../autopay/routes/autopay.ts';
import { autopayConsoleRoutes } from '../../autopay/routes/autopay-console.ts';
import { customerRoutes } from '../../customers/routes/customers.ts';
import { policyRoutes } from '../../customers/routes/policies.ts';
import { paymentEligibilityRoutes } from '../../eligibility/routes/payment-eligibility.ts';
import { emailRoutes } from '../../email/routes/emails.ts';
import { importRoutes } from '../../imports/routes/imports.ts';
import { invoiceRoutes } from '../../ledger/routes/invoices.ts';
import { receiptRoutes } from '../../ledger/routes/receipts.ts';
import { ProcessorRegistry } from '../../payments/processor-registry.ts';
import type { Processors } from '../../payments/processors/processor.ts';
import { convenienceFeeRoutes } from '../../payments/routes/convenience-fees.ts';
import { feeRuleRoutes } from '../../payments/routes/fee-rules.ts';
import { paymentHistoryRoutes } from '../../payments/routes/payment-history.ts';
import { paymentRoutes } from '../../payments/routes/payments.ts';
import { webhookRoutes } from '../../payments/routes/webhooks.ts';
import { feeQuoteRoutes } from '../../portal/routes/fee-quote.ts';
import { paymentRequestRoutes } from '../../portal/routes/payment-requests.ts';
import { portalRoutes } from '../../portal/routes/portal.ts';
import { portalAuthRoutes } from '../../portal/routes/portal-auth.ts';
import { reportRoutes } from '../../reports/routes/reports.ts';
import { ams360ReceiptRoutes } from '../../sync/routes/ams360-receipts.ts';
import { syncRoutes } from '../../sync/routes/sync.ts';
import { syncWebhookRoutes } from '../../sync/routes/sync-webhooks.ts';
import type { DatabaseHandle } from '../db/database.ts';
import { PORTAL_COOKIE, SESSION_COOKIE } from '../http/auth.ts';
import { csrfGuard } from '../http/csrf.ts';
import { registerIdempotency } from '../http/idempotency.ts';
import { openApiTransform, openApiTransformObject } from '../http/openapi.ts';
import { clientErrorResponse, MAX_PARAM_LENGTH, problemFor, sendProblem, toProblem } from '../http/problem.ts';
import { registerRequestLog } from '../http/request-log.ts';
import { registerSignInLimits, type SignInLimits } from '../http/sign-in-limits.ts';
import { refuseUnstorableText, unstorableText } from '../http/text-input.ts';
import type { App, RouteDeps } from '../http/types.ts';
import { type JobQueue, noJobQueue } from '../jobs/job-queue.ts';
import type { Logger } from '../log/logger.ts';
import { createMetrics, type Metrics } from '../metrics/metrics.ts';
import { registerMetricsRoutes } from '../metrics/metrics-routes.ts';
import { authHook } from './authenticate.ts';
import { healthRoutes } from './health.ts';
import type { WorkersState } from './readiness.ts';
import { closeConnectionsWhileClosing } from './shutdown.ts';

export interface AppOptions {
  database: DatabaseHandle;
  /** Built web UI to serve at / and /portal (see src/web/build.ts); omitted in API-only tests. */
  webDir?: string | undefined;
  /** The process's logger (`createLogger`); false or omitted: the app logs nothing (most tests). */
  logger?: Logger | false | undefined;
  /** Secure cookies and HSTS; default: when `publicUrl` is https. */
  secureCookies?: boolean;
  processors?: Processors;
  jobs?: JobQueue;
  /** Base URL for links in e-mails (POLICYPAY_PUBLIC_URL); default: the host a request came to. */
  publicUrl?: string | undefined;
  /** Sign-in rate limits (tests pass small or generous ones). */
  signInLimits?: Partial<SignInLimits>;
  /** "Now" for Idempotency-Key claims and date windows (tests move it; no timer decides a takeover). */
  clock?: () => Date;
  /** POLICYPAY_OPERATOR_TOKEN: opens GET /metrics and /api/v1/operator/* to `Authorization: Bearer <token>`. */
  operatorToken?: string | undefined;
  /**
   * The process's metrics registry, shared with METRICS_PORT (serve.ts). Default: one of the app's
   * own when an operator token is set, else none (no metrics are exposed, so none are kept).
   */
  metrics?: Metrics | undefined;
  /** The first run's setup code (`serve --no-demo` on an empty database): opens POST /api/v1/setup. */
  setupToken?: string | undefined;
  /** The state of this process's workers, for GET /api/v1/ready; omitted when it runs none. */
  workers?: (() => WorkersState) | undefined;
}

export async function buildApp(options: AppOptions): Promise<App> {
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    // registerRequestLog writes one line per request instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
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
  // Before any plugin: a plugin's routes get the hooks its parent had when it was registered.
  registerRequestLog(app);
  closeConnectionsWhileClosing(app);

  const deps: RouteDeps = {
    db: options.database.db,
    databaseKind: options.database.kind,
    secureCookies: options.secureCookies ?? options.publicUrl?.startsWith('https:') ?? false,
    processors: options.processors ?? new Map(),
    jobs: options.jobs ?? noJobQueue,
    publicUrl: options.publicUrl,
    clock: options.clock ?? (() => new Date()),
  };

  await app.register(fastifyCookie);
  await app.register(fastifyHelmet, helmetOptions(deps));
  const limit = await registerSignInLimits(app, options.signInLimits);
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
          operatorToken: {
            type: 'http',
            scheme: 'bearer',
            description: 'POLICYPAY_OPERATOR_TOKEN: the operator hosting the deployment (operator routes only)',
          },
          setupCode: {
            type: 'http',
            scheme: 'bearer',
            description:
              "The first run's setup code, printed by `serve --no-demo` on an empty database (POST /api/v1/setup only)",
          },
          staffSession: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE, description: 'POST /api/v1/session' },
          portalSession: {
            type: 'apiKey',
            in: 'cookie',
            name: PORTAL_COOKIE,
            description: "A client's portal session: POST /api/v1/portal/session",
          },
        },
      },
      security: [{ apiKey: [] }, { staffSession: [] }],
    },
    transform: openApiTransform,
    transformObject: openApiTransformObject,
  });
  await app.register(fastifySwaggerUi, {
    routePrefix: '/api/docs',
    // Swagger UI styles its elements inline and draws icons as data: images.
    staticCSP: {
      'default-src': ["'self'"],
      'img-src': ["'self'", 'data:'],
      'style-src': ["'self'", "'unsafe-inline'"],
      'frame-ancestors': ["'none'"],
      'object-src': ["'none'"],
      'base-uri': ["'self'"],
    },
  });

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

  const checkOrigin = csrfGuard(deps.publicUrl);
  app.addHook('onRequest', async (request, reply) => {
    // Before anything reads them (credentials included): strings PostgreSQL cannot store.
    refuseUnstorableText([
      ...unstorableText(request.params, 'params'),
      ...unstorableText(request.query, 'querystring'),
      ...unstorableText(request.headers, 'header'),
      ...unstorableText(request.cookies, 'cookie'),
    ]);
    if (!request.url.startsWith('/api/v1/')) return;
    checkOrigin(request);
    await authHook(deps.db)(request, reply);
  });
  app.addHook('preValidation', async (request) => refuseUnstorableText(unstorableText(request.body, '')));
  registerIdempotency(app as never, deps.db, options.clock);

  app.get('/api/openapi.json', { config: { access: 'public' }, schema: { hide: true } }, async () => app.swagger());

  const metrics =
    options.metrics ?? (options.operatorToken ? createMetrics({ database: options.database }) : undefined);
  registerMetricsRoutes(app, metrics, options.operatorToken);
  healthRoutes(app, deps, { workers: options.workers });
  sessionRoutes(app, deps, limit);
  customerRoutes(app, deps);
  policyRoutes(app, deps);
  paymentEligibilityRoutes(app, deps);
  paymentSettingsRoutes(app, deps);
  convenienceFeeRoutes(app, deps);
  processorSettingsRoutes(app, deps);
  brandingRoutes(app, deps);
  invoiceRoutes(app, deps);
  receiptRoutes(app, deps);
  reportRoutes(app, deps);
  paymentRoutes(app, deps);
  paymentHistoryRoutes(app, deps);
  autopayRoutes(app, deps);
  autopayConsoleRoutes(app, deps);
  ams360ReceiptRoutes(app, deps);
  paymentRequestRoutes(app, deps);
  emailRoutes(app, deps);
  portalAuthRoutes(app, deps, limit);
  portalRoutes(app, deps);
  feeQuoteRoutes(app, deps);
  await app.register(async (scope) => webhookRoutes(scope as unknown as App, deps));
  syncRoutes(app, deps);
  await app.register(async (scope) => syncWebhookRoutes(scope as unknown as App, deps));
  agencySetupRoutes(app, deps);
  userRoutes(app, deps);
  operatorRoutes(app, deps, options.operatorToken);
  feeRuleRoutes(app, deps, options.operatorToken);
  firstRunRoutes(app, deps, options.setupToken);
  importRoutes(app, deps);

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

/**
 * Security headers on every answer (@fastify/helmet). The console and portal are Vite builds with
 * no inline script or style element; `style-src-attr` allows the style attributes of e-mail HTML,
 * which the Email page shows in a sandboxed `srcdoc` frame that inherits this policy. The portal
 * posts card data to the processor's tokenize endpoint, so its origin is in `connect-src`
 * (Stripe.js would add js.stripe.com). Nobody may frame a page; HSTS only over https.
 */
function helmetOptions(deps: RouteDeps) {
  // An agency may choose the sandbox in a Stripe process: its configured URL may be tokenized with too.
  const agencySandbox =
    deps.processors instanceof ProcessorRegistry ? deps.processors.agencyOptions.sandboxUrl : undefined;
  const tokenizeOrigins = [
    ...new Set([
      ...[...deps.processors.values()].flatMap((p) => (p.tokenizeUrl ? [new URL(p.tokenizeUrl).origin] : [])),
      ...(agencySandbox ? [new URL(agencySandbox).origin] : []),
    ]),
  ];
  return {
    global: true,
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        baseUri: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        styleSrcAttr: ["'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'", 'data:'],
        connectSrc: ["'self'", ...tokenizeOrigins],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        objectSrc: ["'none'"],
      },
    },
    frameguard: { action: 'deny' as const },
    referrerPolicy: { policy: 'same-origin' as const },
    strictTransportSecurity: deps.secureCookies ? { maxAge: 31_536_000, includeSubDomains: false } : false,
  };
}
