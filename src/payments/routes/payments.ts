import { z } from 'zod';
import { agencyToday } from '../../agency/agencies.ts';
import { extensionData } from '../../autopay/plugins/extension.ts';
import { paymentChannels } from '../../eligibility/rules/channels.ts';
import { payerActors } from '../../eligibility/rules/eligibility.ts';
import { toAmount } from '../../kernel/money.ts';
import { requireActor } from '../../platform/http/auth.ts';
import { csvResponse, csvRows, sendCsv } from '../../platform/http/csv.ts';
import { effectCommitter, respond } from '../../platform/http/idempotency.ts';
import {
  amount,
  byCustomerAndState,
  customerNumber,
  customerNumberParams,
  errorResponses,
  invoiceNumberParams,
  money,
  nonEmpty,
  problemSchema,
} from '../../platform/http/schemas.ts';
import type { App, RouteDeps } from '../../platform/http/types.ts';
import { cancelPayment } from '../cancellation.ts';
import { createPayment } from '../creation/create.ts';
import { retryPaymentNow } from '../execution.ts';
import { deletePaymentMethod, describePaymentToken, listPaymentMethods, storePaymentMethod } from '../methods.ts';
import { type RefundView, refundAnswer, refundPayment } from '../refunds.ts';
import { createRetryPlan, listRetryPlans } from '../retry-plans.ts';
import { paymentCsvHeader, paymentCsvRow } from '../rules/payment-csv.ts';
import { paymentStates } from '../rules/payment-states.ts';
import { exportPayments, getPayment, listPayments, type PaymentView } from '../views.ts';

export const paymentMethodSchema = z
  .object({
    id: z.string(),
    customerNumber: z.number().int(),
    processor: z.string(),
    kind: z.enum(['card', 'ach']),
    brand: z.string().nullable(),
    last4: z.string(),
    expMonth: z.number().int().nullable(),
    expYear: z.number().int().nullable(),
    bankName: z.string().nullable(),
    holderName: z.string().nullable(),
    isDefault: z.boolean(),
    disabled: z.boolean(),
    disabledReason: z.string().nullable(),
  })
  .meta({ id: 'PaymentMethod' });

export const paymentSchema = z
  .object({
    id: z.string(),
    customerNumber: z.number().int(),
    type: z.enum(['card', 'ach']),
    amount,
    fee: amount.meta({ description: 'A convenience fee charged with the amount, never applied to invoices' }),
    feeRuleId: z.string().nullable().meta({ description: 'The fee rule that allowed the fee' }),
    currency: z.string(),
    paymentMethodId: z.string(),
    channel: z.enum(paymentChannels),
    payer: z.enum(payerActors),
    state: z.enum(paymentStates),
    retryPlan: z.string(),
    attempts: z.number().int(),
    nextAttemptAt: z.string().nullable(),
    receiptNumber: z.number().int().nullable(),
    failureCode: z.string().nullable(),
    failureMessage: z.string().nullable(),
    representsPaymentId: z.string().nullable(),
    paymentRequestId: z
      .string()
      .nullable()
      .meta({ description: 'The payment request it pays (its money is held until Finalize Payment)' }),
    extension: z.record(z.string(), z.unknown()).meta({ description: "Extension data (e.g. an autopay plugin's)" }),
    targets: z.array(z.object({ invoiceNumber: z.number().int(), amount })),
    transitions: z.array(
      z.object({
        from: z.string().nullable(),
        to: z.string(),
        actor: z.string(),
        reason: z.string().nullable(),
        at: z.string(),
      }),
    ),
    createdAt: z.string(),
  })
  .meta({ id: 'Payment' });

export function presentPayment(p: PaymentView): z.infer<typeof paymentSchema> {
  return {
    ...p,
    amount: toAmount(p.amountCents),
    fee: toAmount(p.feeCents),
    nextAttemptAt: p.nextAttemptAt?.toISOString() ?? null,
    targets: p.targets.map((t) => ({ invoiceNumber: t.invoiceNumber, amount: toAmount(t.amountCents) })),
    transitions: p.transitions.map((t) => ({ ...t, at: t.at.toISOString() })),
    createdAt: p.createdAt.toISOString(),
  };
}

function presentRefund(refund: RefundView) {
  return {
    id: refund.id,
    paymentId: refund.paymentId,
    amount: toAmount(refund.amountCents),
    status: 'succeeded' as const,
    reason: refund.reason,
  };
}

const retryPlanSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    delayDays: z.array(z.number().int()),
    retryCodes: z.array(z.string()).nullable(),
    isDefault: z.boolean(),
  })
  .meta({ id: 'RetryPlan' });

const paymentIdParams = z.strictObject({ id: z.string().max(64) });

export function paymentRoutes(app: App, deps: RouteDeps): void {
  app.post(
    '/api/v1/customers/:customerNumber/payment-methods',
    {
      schema: {
        tags: ['payments'],
        summary: 'Save a tokenized card or bank account (the number goes to the processor, never here)',
        params: customerNumberParams,
        body: z.strictObject({
          processor: nonEmpty(40)
            .optional()
            .meta({ description: "The token's processor; default the agency's (its own, else the server's)" }),
          token: nonEmpty(200),
          isDefault: z.boolean().optional(),
        }),
        response: { 201: paymentMethodSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      // The processor is asked first, with no transaction open; the row and the answer commit together.
      const described = await describePaymentToken(
        deps.db,
        deps.processors,
        requireActor(request).agencyId,
        request.body,
      );
      return respond(deps.db, request, reply, 201, (tx) =>
        storePaymentMethod(tx, requireActor(request), request.params.customerNumber, described, request.body.isDefault),
      );
    },
  );

  app.get(
    '/api/v1/customers/:customerNumber/payment-methods',
    {
      schema: {
        tags: ['payments'],
        summary: "A customer's saved payment methods",
        params: customerNumberParams,
        response: { 200: z.object({ data: z.array(paymentMethodSchema) }), ...errorResponses },
      },
    },
    async (request) => ({
      data: await listPaymentMethods(deps.db, requireActor(request), request.params.customerNumber),
    }),
  );

  app.delete(
    '/api/v1/customers/:customerNumber/payment-methods/:id',
    {
      schema: {
        tags: ['payments'],
        summary: 'Remove a saved payment method',
        params: z.strictObject({ customerNumber, id: z.string().max(64) }),
        response: { 204: z.null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      await deletePaymentMethod(deps.db, requireActor(request), request.params.customerNumber, request.params.id);
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/api/v1/payments',
    {
      schema: {
        tags: ['payments'],
        summary: 'Create a card or ACH payment (requested payments are executed by the workers)',
        body: z.strictObject({
          customerNumber,
          type: z.enum(['card', 'ach']),
          amount: money(),
          currency: z.string().length(3).default('USD'),
          paymentMethodId: z.string().max(64),
          targets: z
            .array(z.strictObject({ invoiceNumber: invoiceNumberParams.shape.invoiceNumber, amount: money() }))
            .min(1)
            .max(100),
          channel: z.enum(paymentChannels),
          retryPlan: nonEmpty(100).optional(),
          state: z.enum(['draft', 'validated', 'requested']).optional(),
          bankShortName: z.string().max(20).optional(),
          extension: extensionData.optional(),
        }),
        response: { 201: paymentSchema, ...errorResponses },
      },
    },
    async (request, reply) =>
      respond(deps.db, request, reply, 201, async (tx) => {
        const { amount: amountCents, targets, ...rest } = request.body;
        const payment = await createPayment(
          tx,
          requireActor(request),
          {
            ...rest,
            amountCents,
            targets: targets.map((t) => ({ invoiceNumber: t.invoiceNumber, amountCents: t.amount })),
          },
          deps.jobs,
        );
        return presentPayment(payment);
      }),
  );

  app.get(
    '/api/v1/payments',
    {
      schema: {
        tags: ['payments'],
        summary: 'List payments by customer and/or state',
        querystring: byCustomerAndState(paymentStates),
        response: { 200: z.object({ data: z.array(paymentSchema) }), ...errorResponses },
      },
    },
    async (request) => ({
      data: (await listPayments(deps.db, requireActor(request), request.query)).map(presentPayment),
    }),
  );

  app.get(
    '/api/v1/payments/export.csv',
    {
      config: { access: ['staff', 'agent'] },
      schema: {
        tags: ['payments'],
        summary: 'Export the payments the list would show (same customer and state filters) as CSV, streamed',
        querystring: byCustomerAndState(paymentStates).omit({ limit: true }),
        response: { 200: csvResponse('The payments as CSV, a header row first'), ...errorResponses },
      },
    },
    async (request, reply) => {
      const actor = requireActor(request);
      const today = await agencyToday(deps.db, actor.agencyId, deps.clock());
      const pages = exportPayments(deps.db, actor, request.query);
      return sendCsv(reply, `payments-${today}.csv`, paymentCsvHeader, csvRows(pages, paymentCsvRow));
    },
  );

  app.get(
    '/api/v1/payments/:id',
    {
      schema: {
        tags: ['payments'],
        summary: 'Get a payment with its transitions',
        params: paymentIdParams,
        response: { 200: paymentSchema, ...errorResponses },
      },
    },
    async (request) => presentPayment(await getPayment(deps.db, requireActor(request), request.params.id)),
  );

  app.post(
    '/api/v1/payments/:id/cancel',
    {
      schema: {
        tags: ['payments'],
        summary: 'Cancel a draft, validated or requested payment',
        params: paymentIdParams,
        response: { 200: paymentSchema, ...errorResponses },
      },
    },
    async (request, reply) =>
      respond(deps.db, request, reply, 200, async (tx) =>
        presentPayment(await cancelPayment(tx, requireActor(request), request.params.id)),
      ),
  );

  app.post(
    '/api/v1/payments/:id/retry',
    {
      config: {
        access: ['staff'] as const,
        idempotentReplay: async (request, ref) => presentPayment(await getPayment(deps.db, requireActor(request), ref)),
      },
      schema: {
        tags: ['payments'],
        summary: "Retry now: run a payment's scheduled retry (after a decline) at once, as the workers would",
        params: paymentIdParams,
        response: { 200: paymentSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      // The key commits with the started attempt, before the processor call; the answer is stored as sent.
      const payment = await retryPaymentNow(deps.db, deps.processors, requireActor(request), request.params.id, {
        now: deps.clock(),
        jobs: deps.jobs,
        recordEffect: effectCommitter(request, 200),
      });
      return reply.status(200).send(presentPayment(payment));
    },
  );

  app.post(
    '/api/v1/payments/:id/refunds',
    {
      config: {
        access: ['staff'] as const,
        idempotentReplay: async (request, ref) =>
          presentRefund(await refundAnswer(deps.db, requireActor(request), ref)),
      },
      schema: {
        tags: ['payments'],
        summary: 'Refund a posted card payment, in full (no amount) or in part',
        params: paymentIdParams,
        body: z.strictObject({ amount: money().optional(), reason: z.string().trim().max(500).optional() }),
        response: {
          201: z.object({
            id: z.string(),
            paymentId: z.string(),
            amount,
            status: z.literal('succeeded'),
            reason: z.string().nullable(),
          }),
          ...errorResponses,
          // The processor gave no answer: the refund stays `unknown` (processor_unavailable).
          502: problemSchema,
        },
      },
    },
    async (request, reply) => {
      // The key commits with the refund row, before the processor call; the answer is stored as sent.
      const refund = await refundPayment(
        deps.db,
        deps.processors,
        requireActor(request),
        request.params.id,
        { amountCents: request.body.amount, reason: request.body.reason },
        { recordEffect: effectCommitter(request, 201) },
      );
      return reply.status(201).send(presentRefund(refund));
    },
  );

  app.get(
    '/api/v1/retry-plans',
    {
      schema: {
        tags: ['payments'],
        summary: 'Retry plans',
        response: { 200: z.object({ data: z.array(retryPlanSchema) }), ...errorResponses },
      },
    },
    async (request) => ({ data: await listRetryPlans(deps.db, requireActor(request)) }),
  );

  app.post(
    '/api/v1/retry-plans',
    {
      config: { access: ['staff'] as const },
      schema: {
        tags: ['payments'],
        summary: 'Create a retry plan: days between attempts and the decline codes retried (default: soft declines)',
        body: z.strictObject({
          name: nonEmpty(100),
          delayDays: z.array(z.number().int().min(0).max(60)).max(10),
          retryCodes: z.array(nonEmpty(60)).max(50).optional(),
          isDefault: z.boolean().optional(),
        }),
        response: { 201: retryPlanSchema, ...errorResponses },
      },
    },
    async (request, reply) =>
      respond(deps.db, request, reply, 201, (tx) => createRetryPlan(tx, requireActor(request), request.body)),
  );
}
