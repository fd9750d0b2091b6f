import { z } from 'zod';
import { toAmount } from '../../kernel/money.ts';
import { billPolicy } from '../../ledger/billing.ts';
import { presentPolicy } from '../../ledger/routes/presenters.ts';
import { requireActor } from '../../platform/http/auth.ts';
import { respond } from '../../platform/http/idempotency.ts';
import {
  amount,
  calendarDate,
  customerNumber,
  errorResponses,
  money,
  nonEmpty,
  policyNumberParams,
} from '../../platform/http/schemas.ts';
import type { App, RouteDeps } from '../../platform/http/types.ts';
import { addTag, createPolicy, getPolicy, removeTag, transition } from '../policies.ts';
import { updatePolicy } from '../policy-edits.ts';
import { cancellationReasons, creatableStatuses, policyStatuses } from '../rules/policy-lifecycle.ts';

export const policySchema = z
  .object({
    policyNumber: z.string(),
    customerNumber: z.number().int(),
    lineOfBusiness: z.string(),
    effectiveDate: z.string(),
    expirationDate: z.string(),
    premium: amount,
    installmentPlan: z.string().nullable(),
    status: z.enum(policyStatuses),
    cancellationReason: z.enum(cancellationReasons).nullable(),
    cancellationEffectiveDate: z.string().nullable(),
    tags: z.array(z.string()),
    allowedTransitions: z
      .array(z.enum(policyStatuses))
      .meta({ description: 'The statuses the lifecycle rules let this policy move to next' }),
  })
  .meta({ id: 'Policy' });

const staffOrAgent = { access: ['staff', 'agent'] as const };

export function policyRoutes(app: App, deps: RouteDeps): void {
  app.post(
    '/api/v1/policies',
    {
      config: staffOrAgent,
      schema: {
        tags: ['policies'],
        summary: 'Create a policy (in any status but cancellation_pending and canceled)',
        body: z.strictObject({
          customerNumber,
          policyNumber: nonEmpty(64),
          lineOfBusiness: nonEmpty(100),
          effectiveDate: calendarDate,
          expirationDate: calendarDate,
          premium: money({ allowZero: true }),
          installmentPlan: nonEmpty(100).optional().meta({ description: 'Installment plan name or id' }),
          status: z.enum(creatableStatuses as [string, ...string[]]).optional(),
        }),
        response: { 201: policySchema, ...errorResponses },
      },
    },
    async (request, reply) =>
      respond(deps.db, request, reply, 201, async (tx) => {
        const { premium, status, ...rest } = request.body;
        const view = await createPolicy(tx, requireActor(request), {
          ...rest,
          premiumCents: premium,
          status: status as (typeof creatableStatuses)[number] | undefined,
        });
        return presentPolicy(view);
      }),
  );

  app.get(
    '/api/v1/policies/:policyNumber',
    {
      schema: {
        tags: ['policies'],
        summary: 'Get a policy',
        params: policyNumberParams,
        response: { 200: policySchema, ...errorResponses },
      },
    },
    async (request) => presentPolicy(await getPolicy(deps.db, requireActor(request), request.params.policyNumber)),
  );

  app.patch(
    '/api/v1/policies/:policyNumber',
    {
      config: staffOrAgent,
      schema: {
        tags: ['policies'],
        summary:
          "Edit a policy's terms (its status moves by a transition); a billed policy keeps its premium, plan and effective date",
        params: policyNumberParams,
        body: z
          .strictObject({
            lineOfBusiness: nonEmpty(100).optional(),
            effectiveDate: calendarDate.optional(),
            expirationDate: calendarDate.optional(),
            premium: money({ allowZero: true }).optional(),
            installmentPlan: nonEmpty(100)
              .nullable()
              .optional()
              .meta({ description: 'Installment plan name or id; null takes the policy off its plan' }),
          })
          .refine((body) => Object.keys(body).length > 0, { error: 'name the fields to change' }),
        response: { 200: policySchema, ...errorResponses },
      },
    },
    async (request) => {
      const { premium, ...rest } = request.body;
      return presentPolicy(
        await updatePolicy(deps.db, requireActor(request), request.params.policyNumber, {
          ...rest,
          premiumCents: premium,
        }),
      );
    },
  );

  app.post(
    '/api/v1/policies/:policyNumber/transitions',
    {
      config: staffOrAgent,
      schema: {
        tags: ['policies'],
        summary: 'Move a policy through its lifecycle',
        params: policyNumberParams,
        body: z.strictObject({
          to: z.enum(policyStatuses),
          reason: z.enum(cancellationReasons).optional(),
          effectiveDate: calendarDate.optional(),
        }),
        response: { 200: policySchema, ...errorResponses },
      },
    },
    async (request, reply) =>
      respond(deps.db, request, reply, 200, async (tx) =>
        presentPolicy(await transition(tx, requireActor(request), request.params.policyNumber, request.body)),
      ),
  );

  app.post(
    '/api/v1/policies/:policyNumber/tags',
    {
      config: staffOrAgent,
      schema: {
        tags: ['policies'],
        summary: 'Tag a policy (e.g. poor_payment_history)',
        params: policyNumberParams,
        body: z.strictObject({ tag: nonEmpty(64) }),
        response: { 200: policySchema, ...errorResponses },
      },
    },
    async (request, reply) =>
      respond(deps.db, request, reply, 200, async (tx) =>
        presentPolicy(await addTag(tx, requireActor(request), request.params.policyNumber, request.body.tag)),
      ),
  );

  app.delete(
    '/api/v1/policies/:policyNumber/tags/:tag',
    {
      config: staffOrAgent,
      schema: {
        tags: ['policies'],
        summary: 'Remove a tag from a policy',
        params: z.strictObject({ policyNumber: nonEmpty(64), tag: nonEmpty(64) }),
        response: { 200: policySchema, ...errorResponses },
      },
    },
    async (request) =>
      presentPolicy(await removeTag(deps.db, requireActor(request), request.params.policyNumber, request.params.tag)),
  );

  app.post(
    '/api/v1/policies/:policyNumber/bill',
    {
      config: { access: ['staff'] as const },
      schema: {
        tags: ['policies'],
        summary: 'Bill a policy on its installment plan: installments and one invoice each',
        params: policyNumberParams,
        response: {
          201: z.object({
            policyNumber: z.string(),
            installments: z.array(
              z.object({
                sequence: z.number().int(),
                dueDate: z.string(),
                amount,
                invoiceNumber: z.number().int(),
              }),
            ),
          }),
          ...errorResponses,
        },
      },
    },
    async (request, reply) =>
      respond(deps.db, request, reply, 201, async (tx) => {
        const billed = await billPolicy(tx, requireActor(request), request.params.policyNumber);
        return {
          policyNumber: request.params.policyNumber,
          installments: billed.map((b) => ({
            sequence: b.sequence,
            dueDate: b.dueDate,
            amount: toAmount(b.amountCents),
            invoiceNumber: b.invoiceNumber,
          })),
        };
      }),
  );
}
