import { z } from 'zod';
import { requireActor } from '../../platform/http/auth.ts';
import { respond } from '../../platform/http/idempotency.ts';
import { customerNumberParams, errorResponses, invoiceNumberParams, pageLimit } from '../../platform/http/schemas.ts';
import type { App, RouteDeps } from '../../platform/http/types.ts';
import { type AutopayEnrollmentView, cancelAutopay, enrollAutopay, getAutopayEnrollment } from '../enrollment.ts';
import { getAutopayPluginSetting, setAutopayPlugin } from '../plugin-setting.ts';
import { type AutopayRunListItem, listAutopayRuns } from '../runs.ts';
import { getInvoiceAutopay, type InvoiceAutopayView, refireAutopay } from '../status.ts';

const enrollmentSchema = z
  .object({
    customerNumber: z.number().int(),
    enrolled: z.boolean(),
    paymentMethod: z
      .object({
        id: z.string(),
        kind: z.enum(['card', 'ach']),
        brand: z.string().nullable(),
        last4: z.string(),
        usable: z.boolean(),
      })
      .nullable(),
    enrolledAt: z.string().nullable(),
    enrolledBy: z.string().nullable(),
  })
  .meta({ id: 'AutopayEnrollment' });

const runSchema = z
  .object({
    id: z.string(),
    trigger: z.enum(['schedule', 'cli', 'manual']),
    asOf: z.string(),
    status: z.enum(['running', 'finished', 'failed', 'abandoned']).meta({
      description:
        'abandoned: the pass stopped (its process died) and a later pass closed it and took over its firings',
    }),
    startedAt: z.string(),
    finishedAt: z.string().nullable(),
    examined: z.number().int(),
    fired: z.number().int(),
    alreadyFired: z.number().int(),
    paymentsCreated: z.number().int(),
    receiptsPosted: z.number().int(),
    noPayment: z.number().int(),
    failed: z.number().int(),
    skipped: z.record(z.string(), z.number().int()),
    error: z.string().nullable(),
    paymentsPosted: z
      .number()
      .int()
      .meta({ description: "The payments this pass's firings created that have posted since" }),
    paymentsFailed: z
      .number()
      .int()
      .meta({ description: 'The payments this pass created that were declined for good since' }),
    summary: z
      .object({
        due: z.number().int().meta({ description: 'Due invoices the pass read' }),
        fired: z.number().int(),
        posted: z.number().int().meta({ description: 'Payments posted since, and receipts a plugin posted itself' }),
        failed: z.number().int().meta({ description: 'Failed firings, and payments declined for good since' }),
        skipped: z.number().int(),
      })
      .meta({ description: 'The pass as the console shows it' }),
  })
  .meta({ id: 'AutopayRun' });

const invoiceAutopaySchema = z
  .object({
    invoiceNumber: z.number().int(),
    autopayTime: z.string().nullable(),
    suppressAutopay: z.boolean(),
    decided: z.boolean(),
    firing: z
      .object({
        id: z.string(),
        status: z.enum(['claimed', 'payment_created', 'receipt_posted', 'no_payment', 'failed', 'retry_due']),
        attempts: z.number().int(),
        failures: z.number().int(),
        nextRetryAt: z.string().nullable().meta({ description: "A failed firing's next try, from its retry plan" }),
        firedAt: z.string(),
        decidedAt: z.string().nullable(),
        paymentId: z.string().nullable(),
        paymentState: z.string().nullable(),
        receiptNumber: z.number().int().nullable(),
        nextRequestTime: z.string().nullable(),
        error: z.string().nullable(),
      })
      .nullable(),
    skip: z
      .object({
        reason: z.string(),
        eligibilityReason: z.string().nullable(),
        message: z.string(),
        final: z.boolean(),
        skippedAt: z.string(),
      })
      .nullable(),
  })
  .meta({ id: 'InvoiceAutopay' });

const iso = (date: Date | null) => date?.toISOString() ?? null;

function presentEnrollment(view: AutopayEnrollmentView): z.infer<typeof enrollmentSchema> {
  return { ...view, enrolledAt: iso(view.enrolledAt) };
}

function presentRun(run: AutopayRunListItem): z.infer<typeof runSchema> {
  return {
    ...run,
    asOf: run.asOf.toISOString(),
    startedAt: run.startedAt.toISOString(),
    finishedAt: iso(run.finishedAt),
  };
}

function presentInvoiceAutopay(view: InvoiceAutopayView): z.infer<typeof invoiceAutopaySchema> {
  return {
    ...view,
    autopayTime: iso(view.autopayTime),
    firing: view.firing && {
      ...view.firing,
      firedAt: view.firing.firedAt.toISOString(),
      nextRetryAt: iso(view.firing.nextRetryAt),
      decidedAt: iso(view.firing.decidedAt),
      nextRequestTime: iso(view.firing.nextRequestTime),
    },
    skip: view.skip && { ...view.skip, skippedAt: view.skip.skippedAt.toISOString() },
  };
}

const staffOrAgent = { access: ['staff', 'agent'] as const };
const staffOnly = { access: ['staff'] as const };

const pluginSettingSchema = z
  .object({
    plugin: z.string().nullable().meta({ description: "The agency's plugin; null = the server's (AUTOPAY_PLUGIN)" }),
    registered: z.array(z.string()).meta({ description: 'The plugins this server knows (AUTOPAY_PLUGINS)' }),
  })
  .meta({ id: 'AutopayPluginSetting' });

export function autopayRoutes(app: App, deps: RouteDeps): void {
  app.get(
    '/api/v1/autopay/plugin',
    {
      schema: {
        tags: ['autopay'],
        summary: "The agency's autopay plugin and the registered ones",
        response: { 200: pluginSettingSchema, ...errorResponses },
      },
    },
    async (request) => getAutopayPluginSetting(deps.db, requireActor(request)),
  );

  app.put(
    '/api/v1/autopay/plugin',
    {
      config: staffOnly,
      schema: {
        tags: ['autopay'],
        summary: "Choose the agency's autopay plugin by its registered name (null: the server's)",
        body: z.strictObject({
          plugin: z
            .string()
            .trim()
            .min(1, { error: 'must not be empty' })
            .max(1000)
            .nullable()
            .meta({ description: 'A registered plugin name, e.g. default' }),
        }),
        response: { 200: pluginSettingSchema, ...errorResponses },
      },
    },
    async (request) => setAutopayPlugin(deps.db, requireActor(request), request.body.plugin),
  );

  app.get(
    '/api/v1/customers/:customerNumber/autopay',
    {
      schema: {
        tags: ['autopay'],
        summary: "A customer's autopay enrollment",
        params: customerNumberParams,
        response: { 200: enrollmentSchema, ...errorResponses },
      },
    },
    async (request) =>
      presentEnrollment(await getAutopayEnrollment(deps.db, requireActor(request), request.params.customerNumber)),
  );

  app.post(
    '/api/v1/customers/:customerNumber/autopay',
    {
      config: staffOrAgent,
      schema: {
        tags: ['autopay'],
        summary:
          'Turn autopay on with one of the customer’s saved payment methods (default: their default method); again with another method replaces it',
        params: customerNumberParams,
        body: z.strictObject({ paymentMethodId: z.string().max(64).optional() }),
        response: { 200: enrollmentSchema, ...errorResponses },
      },
    },
    async (request, reply) =>
      respond(deps.db, request, reply, 200, async (tx) =>
        presentEnrollment(
          await enrollAutopay(tx, requireActor(request), request.params.customerNumber, request.body ?? {}),
        ),
      ),
  );

  app.delete(
    '/api/v1/customers/:customerNumber/autopay',
    {
      config: staffOrAgent,
      schema: {
        tags: ['autopay'],
        summary: 'Turn autopay off for a customer',
        params: customerNumberParams,
        response: { 204: z.null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      await cancelAutopay(deps.db, requireActor(request), request.params.customerNumber);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/v1/invoices/:invoiceNumber/autopay',
    {
      schema: {
        tags: ['autopay'],
        summary: 'What autopay did for an invoice’s autopay time, or why it skipped it',
        params: invoiceNumberParams,
        response: { 200: invoiceAutopaySchema, ...errorResponses },
      },
    },
    async (request) =>
      presentInvoiceAutopay(await getInvoiceAutopay(deps.db, requireActor(request), request.params.invoiceNumber)),
  );

  app.post(
    '/api/v1/invoices/:invoiceNumber/autopay/refire',
    {
      config: staffOnly,
      schema: {
        tags: ['autopay'],
        summary:
          "Fire an invoice's failed autopay firing again now (staff): a pass is queued that claims it like any due invoice",
        params: invoiceNumberParams,
        response: { 202: invoiceAutopaySchema, ...errorResponses },
      },
    },
    async (request, reply) =>
      respond(deps.db, request, reply, 202, async (tx) =>
        presentInvoiceAutopay(await refireAutopay(tx, requireActor(request), request.params.invoiceNumber, deps.jobs)),
      ),
  );

  app.get(
    '/api/v1/autopay/runs',
    {
      config: staffOrAgent,
      schema: {
        tags: ['autopay'],
        summary: 'Past autopay passes, latest first: fired, skipped by reason, payments created',
        querystring: z.strictObject({ limit: pageLimit(200, 50) }),
        response: { 200: z.object({ data: z.array(runSchema) }), ...errorResponses },
      },
    },
    async (request) => ({
      data: (await listAutopayRuns(deps.db, requireActor(request), request.query)).map(presentRun),
    }),
  );
}
