import { z } from 'zod';
import { agencyProcessorStatus, forgetAgencyProcessors } from '../../payments/agency-processors.ts';
import { requireActor } from '../../platform/http/auth.ts';
import { respond } from '../../platform/http/idempotency.ts';
import { errorResponses } from '../../platform/http/schemas.ts';
import type { App, RouteDeps } from '../../platform/http/types.ts';
import { type AgencyProcessorView, getAgencyProcessor, saveAgencyProcessor } from '../processor-settings.ts';

const staffOnly = { access: ['staff'] as const };
const kind = z.enum(['sandbox', 'stripe'], { error: 'must be sandbox or stripe' });

const processorSettingsSchema = z.object({
  source: z
    .enum(['agency', 'default'])
    .meta({ description: "agency: its own choice; default: it follows this server's processor (nothing stored)" }),
  kind: kind.nullable(),
  publishableKey: z.string().nullable(),
  secretKeyLast4: z
    .string()
    .nullable()
    .meta({ description: 'Secrets are never returned: only their last 4 characters' }),
  webhookSecretLast4: z.string().nullable(),
  testMode: z.boolean().meta({ description: 'The sandbox or a Stripe test key (sk_test_): nothing is charged' }),
  webhookUrl: z
    .string()
    .nullable()
    .meta({ description: "Where the agency's Stripe account sends its webhooks (signed with its own secret)" }),
  updatedAt: z.iso.datetime().nullable(),
  updatedBy: z.string().nullable(),
});

const keyText = (description: string) => z.string({ error: 'must be a string' }).trim().max(300).meta({ description });

function present(agencyId: string, own: AgencyProcessorView): z.infer<typeof processorSettingsSchema> {
  return {
    source: 'agency',
    kind: own.kind,
    publishableKey: own.publishableKey,
    secretKeyLast4: own.secretKeyLast4,
    webhookSecretLast4: own.webhookSecretLast4,
    testMode: own.testMode,
    webhookUrl: own.kind === 'stripe' ? `/api/v1/webhooks/stripe/${agencyId}` : null,
    updatedAt: own.updatedAt.toISOString(),
    updatedBy: own.updatedBy,
  };
}

export function processorSettingsRoutes(app: App, deps: RouteDeps): void {
  app.get(
    '/api/v1/settings/processor',
    {
      config: staffOnly,
      schema: {
        tags: ['settings'],
        summary: "The agency's payment processor: its own (sandbox or its Stripe account) or this server's default",
        response: { 200: processorSettingsSchema, ...errorResponses },
      },
    },
    async (request) => {
      const actor = requireActor(request);
      const own = await getAgencyProcessor(deps.db, actor);
      if (own) return present(actor.agencyId, own);
      const fallback = await agencyProcessorStatus(deps.db, deps.processors, undefined);
      const name = fallback.processor?.name;
      return {
        source: 'default' as const,
        kind: name === 'sandbox' || name === 'stripe' ? (name as 'sandbox' | 'stripe') : null,
        publishableKey: null,
        secretKeyLast4: null,
        webhookSecretLast4: null,
        testMode: fallback.testMode,
        webhookUrl: null,
        updatedAt: null,
        updatedBy: null,
      };
    },
  );

  app.put(
    '/api/v1/settings/processor',
    {
      config: { ...staffOnly, idempotent: true },
      schema: {
        tags: ['settings'],
        summary:
          "Choose the agency's processor: the sandbox (nothing is charged) or its own Stripe account. Secrets left out keep the stored ones; payments started afterwards use the new choice",
        body: z.strictObject({
          kind,
          publishableKey: keyText('pk_test_… or pk_live_…, in the mode of the secret key').nullable().optional(),
          secretKey: keyText('sk_test_… or sk_live_…; stored encrypted, never returned').optional(),
          webhookSecret: keyText("whsec_…: the signing secret of the agency's webhook endpoint; null removes it")
            .nullable()
            .optional(),
        }),
        response: { 200: processorSettingsSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const actor = requireActor(request);
      const saved = await respond(deps.db, request, reply, 200, async (tx) =>
        present(actor.agencyId, await saveAgencyProcessor(tx, actor, request.body)),
      );
      // This process drops its built adapters at once; the others see the new row at their next payment.
      forgetAgencyProcessors(deps.processors, actor.agencyId);
      return saved;
    },
  );
}
