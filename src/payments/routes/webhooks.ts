import { z } from 'zod';
import { DomainError } from '../../kernel/errors.ts';
import type { App, RouteDeps } from '../../platform/http/types.ts';
import { agencyStripeEndpoint } from '../agency-processors.ts';
import { handleProcessorEvent } from '../processor-events.ts';
import { IgnoredWebhookEvent, type PaymentProcessor, WebhookSignatureError } from '../processors/processor.ts';

const received = { 200: z.object({ received: z.literal(true), outcome: z.string() }) };

/**
 * Processor webhooks. The signature covers the raw body, so this scope reads JSON as text and
 * lets the adapter verify and parse it.
 */
export function webhookRoutes(app: App, deps: RouteDeps): void {
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => done(null, body));
  app.post(
    '/api/v1/webhooks/:processor',
    {
      config: { access: 'public', idempotent: false },
      schema: {
        tags: ['webhooks'],
        summary:
          "Signed events from the process's payment processor (settlements, ACH returns, chargebacks); an agency with its own Stripe account uses /webhooks/stripe/{agency}",
        params: z.strictObject({ processor: z.string().max(40) }),
        response: received,
      },
    },
    async (request) => {
      const processor = deps.processors.get(request.params.processor);
      if (!processor) throw new DomainError('not_found', `no processor "${request.params.processor}"`);
      return receive(deps, processor, request.body, request.headers, undefined);
    },
  );
  app.post(
    '/api/v1/webhooks/stripe/:agency',
    {
      config: { access: 'public', idempotent: false },
      schema: {
        tags: ['webhooks'],
        summary:
          "Signed events from an agency's own Stripe account, verified with that agency's webhook signing secret (its slug or id in the URL)",
        params: z.strictObject({ agency: z.string().min(1).max(80) }),
        response: received,
      },
    },
    async (request) => {
      const endpoint = await agencyStripeEndpoint(deps.db, deps.processors, request.params.agency);
      if (!endpoint) throw new DomainError('not_found', `no Stripe account of agency "${request.params.agency}"`);
      return receive(deps, endpoint.processor, request.body, request.headers, endpoint.agencyId);
    },
  );
}

async function receive(
  deps: RouteDeps,
  processor: PaymentProcessor,
  body: unknown,
  rawHeaders: Record<string, string | string[] | undefined>,
  agencyId: string | undefined,
) {
  const headers = Object.fromEntries(
    Object.entries(rawHeaders).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : v]),
  );
  let event: ReturnType<typeof processor.parseWebhook>;
  try {
    event = processor.parseWebhook(typeof body === 'string' ? body : '', headers);
  } catch (error) {
    // A genuine event policypay does not act on: acknowledge it, or the processor redelivers.
    if (error instanceof IgnoredWebhookEvent) return { received: true as const, outcome: 'ignored' };
    if (error instanceof WebhookSignatureError) {
      throw new DomainError('unauthenticated', `webhook refused: ${error.message}`);
    }
    throw new DomainError('validation_failed', `webhook body is not a ${processor.name} event`);
  }
  const outcome = await handleProcessorEvent(deps.db, processor.name, event, { jobs: deps.jobs, agencyId });
  return { received: true as const, outcome };
}
