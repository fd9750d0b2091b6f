import { z } from 'zod';
import { toAmount } from '../../kernel/money.ts';
import { requireActor } from '../../platform/http/auth.ts';
import { amount, errorResponses } from '../../platform/http/schemas.ts';
import type { App, RouteDeps } from '../../platform/http/types.ts';
import { paymentHistory } from '../views.ts';

const historySchema = z
  .object({
    attempts: z.array(
      z.object({
        number: z.number().int(),
        processor: z.string(),
        processorReference: z.string().nullable(),
        status: z.string(),
        declineCode: z.string().nullable(),
        message: z.string().nullable(),
        startedAt: z.string(),
        finishedAt: z.string().nullable(),
        events: z.array(z.object({ type: z.string(), outcome: z.string().nullable(), receivedAt: z.string() })),
      }),
    ),
    refunds: z.array(
      z.object({
        amount,
        status: z.string(),
        reason: z.string().nullable(),
        createdBy: z.string(),
        createdAt: z.string(),
      }),
    ),
  })
  .meta({ id: 'PaymentHistory' });

/** A payment's attempts, processor events and refunds. */
export function paymentHistoryRoutes(app: App, deps: RouteDeps): void {
  app.get(
    '/api/v1/payments/:id/history',
    {
      config: { access: ['staff', 'agent'] },
      schema: {
        tags: ['payments'],
        summary: "A payment's attempts at the processor (with the events each drew) and its refunds",
        params: z.strictObject({ id: z.string().max(64) }),
        response: { 200: historySchema, ...errorResponses },
      },
    },
    async (request) => {
      const history = await paymentHistory(deps.db, requireActor(request), request.params.id);
      return {
        attempts: history.attempts.map((a) => ({
          ...a,
          startedAt: a.startedAt.toISOString(),
          finishedAt: a.finishedAt?.toISOString() ?? null,
          events: a.events.map((e) => ({ ...e, receivedAt: e.receivedAt.toISOString() })),
        })),
        refunds: history.refunds.map(({ amountCents, ...r }) => ({
          ...r,
          amount: toAmount(amountCents),
          createdAt: r.createdAt.toISOString(),
        })),
      };
    },
  );
}
