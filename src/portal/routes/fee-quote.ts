import { z } from 'zod';
import { DomainError } from '../../kernel/errors.ts';
import { parseAmount, toAmount } from '../../kernel/money.ts';
import { quoteFee } from '../../payments/fees/fee-quote.ts';
import { requireActor } from '../../platform/http/auth.ts';
import { amount, errorResponses } from '../../platform/http/schemas.ts';
import type { App, RouteDeps } from '../../platform/http/types.ts';

const quoteSchema = z
  .object({
    amount,
    fee: amount,
    total: amount,
    ruleId: z.string().nullable().meta({ description: 'The fee rule that allowed the fee (or forbade one)' }),
    reason: z
      .string()
      .nullable()
      .meta({ description: 'Why there is no fee (debit_card, forbidden, …); null with a fee' }),
    message: z.string().meta({ description: 'What the portal says about the fee' }),
  })
  .meta({ id: 'PortalFeeQuote' });

/** The convenience fee for a payment the client is about to make: shown before they confirm. */
export function feeQuoteRoutes(app: App, deps: RouteDeps): void {
  app.get(
    '/api/v1/portal/fee-quote',
    {
      config: { access: ['client'] as const },
      schema: {
        tags: ['portal'],
        summary: 'The convenience fee and total for paying an amount with a saved method (issue 20.3)',
        querystring: z.strictObject({
          paymentMethodId: z.string().max(64),
          amount: z.string().max(20).meta({ description: 'The amount to pay, e.g. 125.50' }),
        }),
        response: { 200: quoteSchema, ...errorResponses },
      },
    },
    async (request) => {
      const actor = requireActor(request);
      if (!actor.client) throw new DomainError('forbidden', 'only a portal client may do this');
      const quote = await quoteFee(deps.db, actor.agencyId, {
        customerId: actor.client.customerId,
        paymentMethodId: request.query.paymentMethodId,
        amountCents: parseAmount(request.query.amount, 'amount'),
      });
      return {
        amount: toAmount(quote.amountCents),
        fee: toAmount(quote.feeCents),
        total: toAmount(quote.totalCents),
        ruleId: quote.ruleId,
        reason: quote.reason,
        message: quote.text,
      };
    },
  );
}
