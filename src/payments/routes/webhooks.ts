import { z } from 'zod';
import { DomainError } from '../../kernel/errors.ts';
import type { App, RouteDeps } from '../../platform/http/types.ts';
import { handleProcessorEvent } from '../processor-events.ts';
import { IgnoredWebhookEvent, WebhookSignatureError } from '../processors/processor.ts';

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
        summary: 'Signed events from a payment processor (settlements, ACH returns, chargebacks)',
        params: z.strictObject({ processor: z.string().max(40) }),
        response: { 200: z.object({ received: z.literal(true), outcome: z.string() }) },
      },
    },
    async (request) => {
      const processor = deps.processors.get(request.params.processor);
      if (!processor) throw new DomainError('not_found', `no processor "${request.params.processor}"`);
      const headers = Object.fromEntries(
        Object.entries(request.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : v]),
      );
      let event: ReturnType<typeof processor.parseWebhook>;
      try {
        event = processor.parseWebhook(typeof request.body === 'string' ? request.body : '', headers);
      } catch (error) {
        // A genuine event policypay does not act on: acknowledge it, or the processor redelivers.
        if (error instanceof IgnoredWebhookEvent) return { received: true as const, outcome: 'ignored' };
        if (error instanceof WebhookSignatureError) {
          throw new DomainError('unauthenticated', `webhook refused: ${error.message}`);
        }
        throw new DomainError('validation_failed', `webhook body is not a ${processor.name} event`);
      }
      const outcome = await handleProcessorEvent(deps.db, processor.name, event, { jobs: deps.jobs });
      return { received: true as const, outcome };
    },
  );
}
