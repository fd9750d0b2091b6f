import { z } from 'zod';
import { listActivities } from '../../customers/activities.ts';
import { toAmount } from '../../kernel/money.ts';
import { paymentSchema, presentPayment } from '../../payments/routes/payments.ts';
import { requireActor } from '../../platform/http/auth.ts';
import { respond } from '../../platform/http/idempotency.ts';
import {
  amount,
  byCustomerAndState,
  calendarDate,
  customerNumber,
  customerNumberParams,
  errorResponses,
  invoiceNumberParams,
  money,
  nonEmpty,
  pageLimit,
} from '../../platform/http/schemas.ts';
import type { App, RouteDeps } from '../../platform/http/types.ts';
import { finalizePaymentRequest, finalizeProposal } from '../finalize.ts';
import { cancelPaymentRequest } from '../request-cancellation.ts';
import { chargePaymentRequest } from '../request-charge.ts';
import { createPaymentRequest } from '../request-creation.ts';
import { getPaymentRequest, listPaymentRequests, type PaymentRequestView } from '../request-views.ts';
import { paymentRequestStates } from '../rules/payment-requests.ts';

export const paymentRequestSchema = z
  .object({
    id: z.string(),
    customerNumber: z.number().int(),
    customerName: z.string(),
    contact: z.object({ id: z.string(), name: z.string(), email: z.string() }),
    amount,
    dueDate: z.string(),
    expiresOn: z.string(),
    note: z.string().nullable(),
    invoices: z.array(z.object({ invoiceNumber: z.number().int(), amount })),
    state: z.enum(paymentRequestStates),
    requestedBy: z.string(),
    requestedAt: z.string(),
    payment: z
      .object({
        id: z.string(),
        state: z.string(),
        type: z.enum(['card', 'ach']),
        last4: z.string().nullable(),
        paidAt: z.string().nullable(),
      })
      .nullable(),
    receiptNumber: z.number().int().nullable(),
    finalizedBy: z.string().nullable(),
    finalizedAt: z.string().nullable(),
    cancelledBy: z.string().nullable(),
    cancelledAt: z.string().nullable(),
    cancelReason: z.string().nullable(),
  })
  .meta({ id: 'PaymentRequest' });

export function presentPaymentRequest(r: PaymentRequestView): z.infer<typeof paymentRequestSchema> {
  const { amountCents, ...rest } = r;
  return {
    ...rest,
    amount: toAmount(amountCents),
    invoices: r.invoices.map((i) => ({ invoiceNumber: i.invoiceNumber, amount: toAmount(i.amountCents) })),
    requestedAt: r.requestedAt.toISOString(),
    payment: r.payment ? { ...r.payment, paidAt: r.payment.paidAt?.toISOString() ?? null } : null,
    finalizedAt: r.finalizedAt?.toISOString() ?? null,
    cancelledAt: r.cancelledAt?.toISOString() ?? null,
  };
}

const activitySchema = z
  .object({
    id: z.string(),
    kind: z.string(),
    summary: z.string().meta({ description: 'In words: actors by name, amounts formatted' }),
    actor: z
      .string()
      .meta({ description: 'Who acted, as recorded (user:<email>, api_key:<name>, client:<email>, a worker)' }),
    actorName: z.string().meta({ description: "The actor's display name" }),
    data: z.record(z.string(), z.unknown()),
    createdAt: z.string(),
  })
  .meta({ id: 'Activity' });

const requestIdParams = z.strictObject({ id: z.string().max(64) });
const staffOrAgent = { access: ['staff', 'agent'] as const };
const invoiceAmounts = z
  .array(z.strictObject({ invoiceNumber: invoiceNumberParams.shape.invoiceNumber, amount: money() }))
  .max(100);

export function paymentRequestRoutes(app: App, deps: RouteDeps): void {
  app.post(
    '/api/v1/payment-requests',
    {
      config: staffOrAgent,
      schema: {
        tags: ['payment requests'],
        summary: 'Ask a contact of a customer to pay online; e-mails them (an enrollment link if not enrolled)',
        body: z.strictObject({
          customerNumber,
          contactId: z.string().max(64),
          amount: money(),
          dueDate: calendarDate,
          note: z.string().trim().max(500).optional(),
          invoices: invoiceAmounts.optional(),
        }),
        response: { 201: paymentRequestSchema, ...errorResponses },
      },
    },
    async (request, reply) =>
      respond(deps.db, request, reply, 201, async (tx) => {
        const { amount: amountCents, invoices, ...rest } = request.body;
        const created = await createPaymentRequest(
          tx,
          requireActor(request),
          {
            ...rest,
            amountCents,
            invoices: (invoices ?? []).map((i) => ({ invoiceNumber: i.invoiceNumber, amountCents: i.amount })),
          },
          { jobs: deps.jobs, portalUrl: portalUrl(deps, request) },
        );
        return presentPaymentRequest(created);
      }),
  );

  app.get(
    '/api/v1/payment-requests',
    {
      config: staffOrAgent,
      schema: {
        tags: ['payment requests'],
        summary: 'List payment requests by customer and/or state (newest first)',
        querystring: byCustomerAndState(paymentRequestStates),
        response: { 200: z.object({ data: z.array(paymentRequestSchema) }), ...errorResponses },
      },
    },
    async (request) => ({
      data: (await listPaymentRequests(deps.db, requireActor(request), request.query)).map(presentPaymentRequest),
    }),
  );

  app.get(
    '/api/v1/payment-requests/:id',
    {
      config: staffOrAgent,
      schema: {
        tags: ['payment requests'],
        summary: 'Get a payment request',
        params: requestIdParams,
        response: { 200: paymentRequestSchema, ...errorResponses },
      },
    },
    async (request) =>
      presentPaymentRequest(await getPaymentRequest(deps.db, requireActor(request), request.params.id)),
  );

  app.post(
    '/api/v1/payment-requests/:id/cancel',
    {
      config: staffOrAgent,
      schema: {
        tags: ['payment requests'],
        summary: 'Cancel a request that has not been paid',
        params: requestIdParams,
        body: z.strictObject({ reason: z.string().trim().max(500).optional() }).default({}),
        response: { 200: paymentRequestSchema, ...errorResponses },
      },
    },
    async (request, reply) =>
      respond(deps.db, request, reply, 200, async (tx) =>
        presentPaymentRequest(
          await cancelPaymentRequest(
            tx,
            requireActor(request),
            request.params.id,
            request.body.reason,
            new Date(),
            deps.jobs,
          ),
        ),
      ),
  );

  app.post(
    '/api/v1/payment-requests/:id/charge',
    {
      config: { access: ['staff'] as const },
      schema: {
        tags: ['payment requests'],
        summary:
          "Charge an open request with a saved method of its customer (staff; after the client's payment was declined): the payment belongs to the request, its money held for Finalize Payment",
        params: requestIdParams,
        body: z.strictObject({
          paymentMethodId: z.string().max(64),
          bankShortName: z
            .string()
            .max(20)
            .optional()
            .meta({ description: "Omitted: the agency's agent-sweep deposit bank, else its only bank" }),
        }),
        response: { 201: paymentSchema, ...errorResponses },
      },
    },
    async (request, reply) =>
      respond(deps.db, request, reply, 201, async (tx) =>
        presentPayment(
          await chargePaymentRequest(
            tx,
            requireActor(request),
            request.params.id,
            request.body,
            deps.jobs,
            deps.clock(),
          ),
        ),
      ),
  );

  app.post(
    '/api/v1/payment-requests/:id/finalize',
    {
      config: staffOrAgent,
      schema: {
        tags: ['payment requests'],
        summary:
          'Finalize Payment: turn the money collected online into a cash receipt applied by the receipt rules (AR drops now)',
        params: requestIdParams,
        body: z.strictObject({
          bankShortName: nonEmpty(20)
            .optional()
            .meta({ description: "Omitted: the agency's deposit bank for the channel the client paid through" }),
          applications: z
            .array(
              z.strictObject({
                invoiceNumber: invoiceNumberParams.shape.invoiceNumber.optional(),
                amount: money(),
              }),
            )
            .min(1)
            .max(100)
            .optional()
            .meta({
              description:
                "Omitted: the request's invoices, or the customer's open invoices oldest due first when it named none; the rest On Account",
            }),
          description: z.string().trim().max(500).optional(),
        }),
        response: { 200: paymentRequestSchema, ...errorResponses },
      },
    },
    async (request, reply) =>
      respond(deps.db, request, reply, 200, async (tx) => {
        const { applications, ...rest } = request.body;
        const finalized = await finalizePaymentRequest(tx, requireActor(request), request.params.id, {
          ...rest,
          applications: applications?.map((a) => ({ invoiceNumber: a.invoiceNumber, amountCents: a.amount })),
        });
        return presentPaymentRequest(finalized);
      }),
  );

  app.get(
    '/api/v1/payment-requests/:id/finalization',
    {
      config: staffOrAgent,
      schema: {
        tags: ['payment requests'],
        summary:
          "What Finalize Payment proposes: the channel's deposit bank and every open invoice of the customer, prefilled from the request (or oldest due first), the rest On Account",
        params: requestIdParams,
        response: {
          200: z
            .object({
              amount,
              bankShortName: z.string().nullable(),
              invoices: z.array(
                z.object({
                  invoiceNumber: z.number().int(),
                  policyNumber: z.string().nullable(),
                  dueDate: z.string(),
                  balance: amount,
                  proposedAmount: amount,
                }),
              ),
              onAccount: amount,
            })
            .meta({ id: 'FinalizeProposal' }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const proposal = await finalizeProposal(deps.db, requireActor(request), request.params.id);
      return {
        amount: toAmount(proposal.amountCents),
        bankShortName: proposal.bankShortName,
        invoices: proposal.invoices.map((invoice) => ({
          invoiceNumber: invoice.invoiceNumber,
          policyNumber: invoice.policyNumber,
          dueDate: invoice.dueDate,
          balance: toAmount(invoice.balanceCents),
          proposedAmount: toAmount(invoice.proposedCents),
        })),
        onAccount: toAmount(proposal.onAccountCents),
      };
    },
  );

  app.get(
    '/api/v1/customers/:customerNumber/activities',
    {
      config: staffOrAgent,
      schema: {
        tags: ['customers'],
        summary: "A customer's activities (newest first)",
        params: customerNumberParams,
        querystring: z.strictObject({ limit: pageLimit(500, 100) }),
        response: { 200: z.object({ data: z.array(activitySchema) }), ...errorResponses },
      },
    },
    async (request) => ({
      data: (
        await listActivities(deps.db, requireActor(request), request.params.customerNumber, request.query.limit)
      ).map((a) => ({ ...a, createdAt: a.createdAt.toISOString() })),
    }),
  );
}

const LOOPBACK_HOST = /^(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/;

/**
 * Where links in e-mails point: the configured public URL (`serve` always sets one). Without it the
 * Host header is trusted only when it is a loopback name: a link e-mailed on a stranger's request
 * (sign-in links) must never point at a host the stranger chose.
 */
export function portalUrl(
  deps: RouteDeps,
  request: { protocol: string; host: string; socket: { localPort?: number | undefined } },
): string {
  if (deps.publicUrl) return `${deps.publicUrl.replace(/\/+$/, '')}/portal`;
  const host = LOOPBACK_HOST.test(request.host) ? request.host : `localhost:${request.socket.localPort ?? 80}`;
  return `${request.protocol}://${host}/portal`;
}
