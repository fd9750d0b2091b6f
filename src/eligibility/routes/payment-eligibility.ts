import { z } from 'zod';
import { policyStatuses } from '../../customers/rules/policy-lifecycle.ts';
import { DomainError } from '../../kernel/errors.ts';
import { parseAmount, toAmount } from '../../kernel/money.ts';
import { requireActor } from '../../platform/http/auth.ts';
import { amount, errorResponses, policyNumberParams } from '../../platform/http/schemas.ts';
import type { App, RouteDeps } from '../../platform/http/types.ts';
import { checkPaymentEligibility, type PaymentEligibility } from '../payment-eligibility.ts';
import { paymentChannels } from '../rules/channels.ts';
import { eligibilityReasons, payerActors } from '../rules/eligibility.ts';

/** An amount in a query string ("123.45"), parsed to cents by the same rules as JSON amounts. */
const queryAmount = z
  .string()
  .transform((value, ctx) => {
    try {
      return parseAmount(value, 'amount');
    } catch (error) {
      const message = error instanceof DomainError ? (error.errors[0]?.message ?? error.message) : String(error);
      ctx.issues.push({ code: 'custom', message, input: value });
      return z.NEVER;
    }
  })
  .meta({ description: 'The amount about to be paid, at most 2 decimals, e.g. 123.45' });

const eligibilitySchema = z
  .object({
    policyNumber: z.string(),
    policyStatus: z.enum(policyStatuses),
    channel: z.enum(paymentChannels),
    actor: z.enum(payerActors),
    amount: amount.nullable(),
    allowed: z.boolean(),
    reason: z.enum(eligibilityReasons),
    message: z.string(),
    minimumAmount: amount.nullable().meta({ description: 'Set when a min/max setting applies' }),
    maximumAmount: amount.nullable().meta({ description: 'Set when a min/max setting applies' }),
    currentlyDue: amount.meta({ description: 'Open balances due on or before today (agency time zone)' }),
    payoff: amount.meta({ description: 'All open balances of the policy' }),
    today: z.string().meta({ description: "The agency's date the decision is for" }),
  })
  .meta({ id: 'PaymentEligibility' });

function presentEligibility(e: PaymentEligibility): z.infer<typeof eligibilitySchema> {
  return {
    policyNumber: e.policyNumber,
    policyStatus: e.policyStatus,
    channel: e.channel,
    actor: e.payer,
    amount: e.amountCents === null ? null : toAmount(e.amountCents),
    allowed: e.allowed,
    reason: e.reason,
    message: e.message,
    minimumAmount: e.minimumAmount === undefined ? null : toAmount(e.minimumAmount),
    maximumAmount: e.maximumAmount === undefined ? null : toAmount(e.maximumAmount),
    currentlyDue: toAmount(e.currentlyDueCents),
    payoff: toAmount(e.payoffCents),
    today: e.today,
  };
}

export function paymentEligibilityRoutes(app: App, deps: RouteDeps): void {
  app.get(
    '/api/v1/policies/:policyNumber/payment-eligibility',
    {
      schema: {
        tags: ['policies'],
        summary: 'Whether a payment may be taken on a policy through a channel by a payer, and why',
        params: policyNumberParams,
        querystring: z.strictObject({
          channel: z.enum(paymentChannels),
          actor: z.enum(payerActors).meta({ description: 'Who pays: external (client), agent or staff' }),
          amount: queryAmount.optional(),
        }),
        response: { 200: eligibilitySchema, ...errorResponses },
      },
    },
    async (request) => {
      const { channel, actor, amount: amountCents } = request.query;
      const eligibility = await checkPaymentEligibility(deps.db, requireActor(request), request.params.policyNumber, {
        channel,
        payer: actor,
        amountCents,
      });
      return presentEligibility(eligibility);
    },
  );
}
