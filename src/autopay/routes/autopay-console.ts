import { z } from 'zod';
import { toAmount } from '../../kernel/money.ts';
import { requireActor } from '../../platform/http/auth.ts';
import { customerNumber, errorResponses, pageLimit } from '../../platform/http/schemas.ts';
import type { App, RouteDeps } from '../../platform/http/types.ts';
import { autopayDueForecast, listAutopayEnrollments, listFailedPulls } from '../console-views.ts';

// The reads behind the console's Autopay page (/app/autopay). Re-firing a failed pull is
// POST /api/v1/invoices/{invoiceNumber}/autopay/refire (routes/autopay.ts), the passes GET /api/v1/autopay/runs.

const staffOrAgent = { access: ['staff', 'agent'] as const };

const dueDaySchema = z
  .object({
    date: z.string().meta({ description: 'An agency calendar day, YYYY-MM-DD' }),
    count: z.number().int(),
    amount: z.number().meta({ description: 'The open balances due to be pulled that day' }),
  })
  .meta({ id: 'AutopayDueDay' });

const failedPullSchema = z
  .object({
    invoiceNumber: z.number().int(),
    customerNumber: z.number().int(),
    customerName: z.string(),
    autopayTime: z.string(),
    firedAt: z.string(),
    status: z.enum(['failed', 'declined', 'queued']).meta({
      description:
        'failed: the firing failed (plugin, or its payment refused); declined: its payment was declined for good; queued: re-fired, waiting for a pass',
    }),
    attempts: z.number().int(),
    paymentId: z.string().nullable(),
    amount: z.number().nullable(),
    reasonCode: z.string().nullable().meta({ description: "The processor's decline code" }),
    reason: z.string().nullable().meta({ description: "The processor's decline message, or why the firing failed" }),
  })
  .meta({ id: 'AutopayFailedPull' });

const enrollmentItemSchema = z
  .object({
    customerNumber: z.number().int(),
    customerName: z.string(),
    paymentMethod: z.object({
      kind: z.enum(['card', 'ach']),
      brand: z.string().nullable(),
      last4: z.string(),
      usable: z.boolean(),
    }),
    enrolledAt: z.string(),
    enrolledBy: z.string(),
  })
  .meta({ id: 'AutopayEnrollmentListItem' });

export function autopayConsoleRoutes(app: App, deps: RouteDeps): void {
  app.get(
    '/api/v1/autopay/due',
    {
      config: staffOrAgent,
      schema: {
        tags: ['autopay'],
        summary:
          "The pulls due in the next 14 days, per agency day from the server's today: count and amount (enrolled, usable method, open balance, not suppressed)",
        response: { 200: z.object({ days: z.array(dueDaySchema) }), ...errorResponses },
      },
    },
    async (request) => {
      const { days } = await autopayDueForecast(deps.db, requireActor(request), deps.clock());
      return { days: days.map((day) => ({ date: day.date, count: day.count, amount: toAmount(day.amountCents) })) };
    },
  );

  app.get(
    '/api/v1/autopay/failures',
    {
      config: staffOrAgent,
      schema: {
        tags: ['autopay'],
        summary: "Failed and declined autopay pulls with the processor's reason, latest first, and those re-fired",
        querystring: z.strictObject({ limit: pageLimit(200, 50) }),
        response: { 200: z.object({ data: z.array(failedPullSchema) }), ...errorResponses },
      },
    },
    async (request) => ({
      data: (await listFailedPulls(deps.db, requireActor(request), request.query)).map(({ amountCents, ...pull }) => ({
        ...pull,
        autopayTime: pull.autopayTime.toISOString(),
        firedAt: pull.firedAt.toISOString(),
        amount: amountCents === null ? null : toAmount(amountCents),
      })),
    }),
  );

  app.get(
    '/api/v1/autopay/enrollments',
    {
      config: staffOrAgent,
      schema: {
        tags: ['autopay'],
        summary: 'The autopay enrollments in force by customer number, in keyset pages (after a customer number)',
        querystring: z.strictObject({ after: customerNumber.optional(), limit: pageLimit(200, 50) }),
        response: {
          200: z.object({
            data: z.array(enrollmentItemSchema),
            nextAfter: z
              .number()
              .int()
              .nullable()
              .meta({ description: 'Pass as `after` for the next page; null on the last' }),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const page = await listAutopayEnrollments(deps.db, requireActor(request), request.query);
      return {
        data: page.data.map((item) => ({ ...item, enrolledAt: item.enrolledAt.toISOString() })),
        nextAfter: page.nextAfter,
      };
    },
  );
}
