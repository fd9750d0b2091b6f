import { z } from 'zod';
import type { App, RouteDeps } from '../../platform/http/types.ts';
import { pushPending } from '../push.ts';
import { syncSystems } from '../rules/records.ts';
import { receiveSyncWebhook } from '../webhooks.ts';

/**
 * Real-time events from external systems. Registered in its own scope: the signature covers the
 * raw body, so JSON is read as text here and parsed after the check.
 */
export function syncWebhookRoutes(app: App, deps: RouteDeps): void {
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => done(null, body));
  app.post(
    '/api/v1/sync/webhooks/:agency/:system',
    {
      // Authenticated by the HMAC signature, not a key; event ids de-duplicate redeliveries.
      config: { access: 'public', idempotent: false },
      schema: {
        tags: ['sync'],
        summary: 'Signed real-time events from an AMS or benefits system (x-sync-signature: t=…,v1=…)',
        params: z.strictObject({ agency: z.string().max(100), system: z.enum(syncSystems) }),
        response: { 200: z.object({ received: z.literal(true), outcome: z.string() }) },
      },
    },
    async (request) => {
      const signature = request.headers['x-sync-signature'];
      const result = await receiveSyncWebhook(deps.db, {
        agencySlug: request.params.agency,
        system: request.params.system,
        rawBody: typeof request.body === 'string' ? request.body : '',
        signature: Array.isArray(signature) ? signature[0] : signature,
        now: new Date(),
      });
      // AMS changes flow on to linked systems; sent after commit, retried by the sweep on failure.
      if (result.outcome !== 'duplicate' && result.outcome !== 'unchanged') {
        void pushPending(deps.db, result.agencyId).catch((error) =>
          request.log.error({ err: error }, 'sync push failed'),
        );
      }
      return { received: true as const, outcome: result.outcome };
    },
  );
}
