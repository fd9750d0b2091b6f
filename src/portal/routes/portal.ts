import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { toAmount } from '../../kernel/money.ts';
import { getCustomerAccount } from '../../ledger/accounts.ts';
import {
  deletePaymentMethod,
  describePaymentToken,
  listPaymentMethods,
  storePaymentMethod,
} from '../../payments/methods.ts';
import { paymentMethodSchema } from '../../payments/routes/payments.ts';
import { requireActor } from '../../platform/http/auth.ts';
import { effectCommitter, respond } from '../../platform/http/idempotency.ts';
import { amount, errorResponses, invoiceNumberParams, money } from '../../platform/http/schemas.ts';
import type { App, RouteDeps } from '../../platform/http/types.ts';
import {
  clientCustomerNumber,
  disablePortalAutopay,
  enablePortalAutopay,
  getPortalAutopay,
  getPortalPaymentRequest,
  listPortalPaymentRequests,
  listPortalPayments,
  type PortalPaymentView,
  payPortalOneTime,
  payPortalPaymentRequest,
  portalCheckoutAnswer,
  portalCheckoutLimits,
  setDefaultPaymentMethod,
} from '../portal.ts';
import { paymentRequestStates } from '../rules/payment-requests.ts';
import { paymentRequestSchema, presentPaymentRequest } from './payment-requests.ts';

const portalPaymentSchema = z
  .object({
    id: z.string(),
    amount,
    fee: amount.meta({ description: 'The convenience fee charged with it, beside the amount' }),
    state: z.string(),
    type: z.enum(['card', 'ach']),
    last4: z.string().nullable(),
    brand: z.string().nullable(),
    paymentRequestId: z.string().nullable(),
    failureMessage: z.string().nullable(),
    declined: z.boolean().meta({ description: 'The card or bank refused it; My Payments shows it as Declined' }),
    createdAt: z.string(),
  })
  .meta({ id: 'PortalPayment' });

function presentPortalPayment(p: PortalPaymentView): z.infer<typeof portalPaymentSchema> {
  const { amountCents, feeCents, ...rest } = p;
  return { ...rest, amount: toAmount(amountCents), fee: toAmount(feeCents), createdAt: p.createdAt.toISOString() };
}

const autopaySchema = z
  .object({ enrolled: z.boolean(), paymentMethodId: z.string().nullable() })
  .meta({ id: 'PortalAutopay' });

const idParams = z.strictObject({ id: z.string().max(64) });
const client = { access: ['client'] as const };
const tags = ['portal'];

/** The signed-in client's own account: every call is scoped to their customer by the session. */
export function portalRoutes(app: App, deps: RouteDeps): void {
  // A retried checkout whose first request died after its payment committed: that payment, now.
  const checkoutReplay = async (request: FastifyRequest, paymentId: string) =>
    presentPortalPayment(await portalCheckoutAnswer(deps.db, requireActor(request), paymentId));

  app.get(
    '/api/v1/portal/account',
    {
      config: client,
      schema: {
        tags,
        summary: "The client's balance and invoices",
        response: {
          200: z.object({
            arBalance: amount,
            onAccount: amount,
            checkout: z.object({
              enforced: z.boolean(),
              minAmount: amount.nullable(),
              maxAmount: amount.nullable(),
            }),
            invoices: z.array(
              z.object({
                invoiceNumber: z.number().int(),
                amount,
                balance: amount,
                dueDate: z.string(),
                status: z.enum(['open', 'partially_paid', 'paid']),
              }),
            ),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const actor = requireActor(request);
      const account = await getCustomerAccount(deps.db, actor, clientCustomerNumber(actor));
      const limits = await portalCheckoutLimits(deps.db, actor);
      const optional = (cents: bigint | null) => (cents === null ? null : toAmount(cents));
      return {
        arBalance: toAmount(account.arCents),
        onAccount: toAmount(account.onAccountCents),
        checkout: {
          enforced: limits.enforced,
          minAmount: optional(limits.minimumCents),
          maxAmount: optional(limits.maximumCents),
        },
        invoices: account.invoices.map((i) => ({
          invoiceNumber: i.invoiceNumber,
          amount: toAmount(i.amountCents),
          balance: toAmount(i.balanceCents),
          dueDate: i.dueDate,
          status: i.status,
        })),
      };
    },
  );

  app.get(
    '/api/v1/portal/payment-requests',
    {
      config: client,
      schema: {
        tags,
        summary: "The client's payment requests (state=requested for the dashboard banner)",
        querystring: z.strictObject({ state: z.enum(paymentRequestStates).optional() }),
        response: { 200: z.object({ data: z.array(paymentRequestSchema) }), ...errorResponses },
      },
    },
    async (request) => ({
      data: (await listPortalPaymentRequests(deps.db, requireActor(request), request.query.state)).map(
        presentPaymentRequest,
      ),
    }),
  );

  app.get(
    '/api/v1/portal/payment-requests/:id',
    {
      config: client,
      schema: {
        tags,
        summary: 'One of the client’s payment requests',
        params: idParams,
        response: { 200: paymentRequestSchema, ...errorResponses },
      },
    },
    async (request) =>
      presentPaymentRequest(await getPortalPaymentRequest(deps.db, requireActor(request), request.params.id)),
  );

  app.post(
    '/api/v1/portal/payment-requests/:id/pay',
    {
      config: { ...client, idempotentReplay: checkoutReplay },
      schema: {
        tags,
        summary: 'Pay a payment request with a saved method (secure checkout, payer external)',
        params: idParams,
        body: z.strictObject({ paymentMethodId: z.string().max(64) }),
        response: { 201: portalPaymentSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      // The key commits with the payment, before the charge; the answer is stored as sent.
      const payment = await payPortalPaymentRequest(
        deps,
        requireActor(request),
        request.params.id,
        request.body,
        new Date(),
        { recordEffect: effectCommitter(request, 201) },
      );
      return reply.status(201).send(presentPortalPayment(payment));
    },
  );

  app.post(
    '/api/v1/portal/payments',
    {
      config: { ...client, idempotentReplay: checkoutReplay },
      schema: {
        tags,
        summary: 'Make a one-time payment (without invoices: open invoices oldest first, the rest On Account)',
        body: z.strictObject({
          amount: money(),
          paymentMethodId: z.string().max(64),
          invoices: z
            .array(z.strictObject({ invoiceNumber: invoiceNumberParams.shape.invoiceNumber, amount: money() }))
            .min(1)
            .max(100)
            .optional(),
          fee: money({ allowZero: true })
            .optional()
            .meta({ description: 'The convenience fee the client was shown (fee-quote); refused (409) if it changed' }),
        }),
        response: { 201: portalPaymentSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const payment = await payPortalOneTime(
        deps,
        requireActor(request),
        {
          amountCents: request.body.amount,
          paymentMethodId: request.body.paymentMethodId,
          invoices: request.body.invoices?.map((i) => ({ invoiceNumber: i.invoiceNumber, amountCents: i.amount })),
          feeCents: request.body.fee,
        },
        new Date(),
        { recordEffect: effectCommitter(request, 201) },
      );
      return reply.status(201).send(presentPortalPayment(payment));
    },
  );

  app.get(
    '/api/v1/portal/payments',
    {
      config: client,
      schema: {
        tags,
        summary: "The client's payments, newest first",
        response: { 200: z.object({ data: z.array(portalPaymentSchema) }), ...errorResponses },
      },
    },
    async (request) => ({
      data: (await listPortalPayments(deps.db, requireActor(request))).map(presentPortalPayment),
    }),
  );

  app.get(
    '/api/v1/portal/payment-methods',
    {
      config: client,
      schema: {
        tags,
        summary: "The client's saved payment methods",
        response: { 200: z.object({ data: z.array(paymentMethodSchema) }), ...errorResponses },
      },
    },
    async (request) => {
      const actor = requireActor(request);
      return { data: await listPaymentMethods(deps.db, actor, clientCustomerNumber(actor)) };
    },
  );

  app.post(
    '/api/v1/portal/payment-methods',
    {
      config: client,
      schema: {
        tags,
        summary: 'Save a token from the processor’s tokenize endpoint',
        body: z.strictObject({ token: z.string().trim().min(1).max(200), isDefault: z.boolean().optional() }),
        response: { 201: paymentMethodSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const actor = requireActor(request);
      // The agency's one processor: the portal tokenized with it (GET /portal/config).
      const described = await describePaymentToken(deps.db, deps.processors, actor.agencyId, {
        token: request.body.token,
      });
      return respond(deps.db, request, reply, 201, (tx) =>
        storePaymentMethod(tx, actor, clientCustomerNumber(actor), described, request.body.isDefault),
      );
    },
  );

  app.post(
    '/api/v1/portal/payment-methods/:id/default',
    {
      config: client,
      schema: {
        tags,
        summary: 'Make a saved method the default',
        params: idParams,
        response: { 200: paymentMethodSchema, ...errorResponses },
      },
    },
    async (request, reply) =>
      respond(deps.db, request, reply, 200, (tx) =>
        setDefaultPaymentMethod(tx, requireActor(request), request.params.id),
      ),
  );

  app.delete(
    '/api/v1/portal/payment-methods/:id',
    {
      config: client,
      schema: {
        tags,
        summary: 'Remove a saved method',
        params: idParams,
        response: { 204: z.null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      const actor = requireActor(request);
      await deletePaymentMethod(deps.db, actor, clientCustomerNumber(actor), request.params.id);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/v1/portal/autopay',
    {
      config: client,
      schema: { tags, summary: 'Autopay enrollment', response: { 200: autopaySchema, ...errorResponses } },
    },
    async (request) => getPortalAutopay(deps.db, requireActor(request)),
  );

  app.post(
    '/api/v1/portal/autopay',
    {
      config: client,
      schema: {
        tags,
        summary: 'Enroll in autopay with a saved method (or switch the method)',
        body: z.strictObject({ paymentMethodId: z.string().max(64) }),
        response: { 200: autopaySchema, ...errorResponses },
      },
    },
    async (request, reply) =>
      respond(deps.db, request, reply, 200, (tx) =>
        enablePortalAutopay(tx, requireActor(request), request.body.paymentMethodId),
      ),
  );

  app.delete(
    '/api/v1/portal/autopay',
    {
      config: client,
      schema: { tags, summary: 'Stop autopay', response: { 200: autopaySchema, ...errorResponses } },
    },
    async (request) => disablePortalAutopay(deps.db, requireActor(request)),
  );
}
