import { z } from 'zod';
import { toAmount } from '../../kernel/money.ts';
import { requireActor } from '../../platform/http/auth.ts';
import { respond } from '../../platform/http/idempotency.ts';
import { amount, errorResponses, money } from '../../platform/http/schemas.ts';
import type { App, RouteDeps } from '../../platform/http/types.ts';
import { loadConvenienceFees, updateConvenienceFees } from '../fees/fee-settings.ts';
import type { ConvenienceFees } from '../rules/fee-settings.ts';

const percentMessage = 'must be a percent from 0 to 100 with at most 2 decimals';
/** 2.5 → 250 basis points, by its decimal text (never float arithmetic). */
const percent = z
  .number({ error: percentMessage })
  .transform((value, ctx) => {
    const match = /^(\d{1,3})(?:\.(\d{1,2}))?$/.exec(String(value));
    const points = match ? Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0')) : Number.NaN;
    if (!(points <= 10_000)) {
      ctx.issues.push({ code: 'custom', message: percentMessage, input: value });
      return z.NEVER;
    }
    return points;
  })
  .meta({ description: 'Percent of the amount paid, e.g. 2.5; the rule table may cap it lower' });

const cardBody = z.strictObject({
  percent: percent.default(0),
  fixed: money({ allowZero: true }).default(0n).meta({ description: 'A fixed amount added, e.g. 0.30' }),
  cap: money().nullable().default(null).meta({ description: 'The most the fee may be; null = no cap of its own' }),
});
const achBody = z.strictObject({
  fixed: money().meta({ description: 'A fixed fee per bank-account payment, e.g. 1.00' }),
});

const feesSchema = z
  .object({
    card: z.object({ percent: z.number(), fixed: amount, cap: amount.nullable() }).nullable(),
    ach: z.object({ fixed: amount }).nullable(),
  })
  .meta({ id: 'ConvenienceFees' });

function present(fees: ConvenienceFees): z.infer<typeof feesSchema> {
  const card = fees.card;
  return {
    card: card && {
      percent: card.percentBasisPoints / 100,
      fixed: toAmount(card.fixedCents),
      cap: card.capCents === null ? null : toAmount(card.capCents),
    },
    ach: fees.ach && { fixed: toAmount(fees.ach.fixedCents) },
  };
}

const staffOnly = { access: ['staff'] as const };

/** The agency's convenience fees per method kind (issue 20.3); whether one is charged is the rule table's. */
export function convenienceFeeRoutes(app: App, deps: RouteDeps): void {
  app.get(
    '/api/v1/settings/convenience-fees',
    {
      config: staffOnly,
      schema: {
        tags: ['settings'],
        summary: "The agency's card and bank-account convenience fees (null = off, the default)",
        response: { 200: feesSchema, ...errorResponses },
      },
    },
    async (request) => present(await loadConvenienceFees(deps.db, requireActor(request).agencyId)),
  );

  app.put(
    '/api/v1/settings/convenience-fees',
    {
      config: { ...staffOnly, idempotent: true },
      schema: {
        tags: ['settings'],
        summary: 'Set the card and bank-account convenience fees (null turns one off)',
        body: z.strictObject({ card: cardBody.nullable(), ach: achBody.nullable() }),
        response: { 200: feesSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { card, ach } = request.body;
      const fees: ConvenienceFees = {
        card: card && { percentBasisPoints: card.percent, fixedCents: card.fixed, capCents: card.cap },
        ach: ach && { percentBasisPoints: 0, fixedCents: ach.fixed, capCents: null },
      };
      const actor = requireActor(request);
      return respond(deps.db, request, reply, 200, async (tx) => present(await updateConvenienceFees(tx, actor, fees)));
    },
  );
}
