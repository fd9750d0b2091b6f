import { z } from 'zod';
import { requireActor } from '../../platform/http/auth.ts';
import { errorResponses } from '../../platform/http/schemas.ts';
import type { App, RouteDeps } from '../../platform/http/types.ts';
import { getBranding, updateBranding } from '../branding.ts';

const brandingSchema = z
  .object({
    agencyName: z.string().meta({ description: "The agency's own name, shown where displayName is null" }),
    displayName: z.string().nullable().meta({ description: 'The name clients see; null = agencyName' }),
    logoUrl: z.string().nullable().meta({ description: 'https address of the logo; null = none' }),
    primaryColor: z.string().nullable().meta({ description: '#rrggbb; null = the default blue' }),
  })
  .meta({ id: 'Branding' });

// Any text is accepted here: the use case names the rule a value breaks (one place for the rules).
const text = z.string({ error: 'must be text, or null for the default' }).max(2_000).nullable().optional();

const staffOnly = { access: ['staff'] as const };

/** Portal branding: the agency's name, logo and colour in the client portal and in e-mails. */
export function brandingRoutes(app: App, deps: RouteDeps): void {
  app.get(
    '/api/v1/settings/branding',
    {
      config: staffOnly,
      schema: {
        tags: ['settings'],
        summary: "The agency's portal and e-mail branding",
        response: { 200: brandingSchema, ...errorResponses },
      },
    },
    async (request) => getBranding(deps.db, requireActor(request)),
  );

  app.patch(
    '/api/v1/settings/branding',
    {
      config: staffOnly,
      schema: {
        tags: ['settings'],
        summary: 'Change the branding; omitted fields stay, null restores the default',
        body: z.strictObject({ displayName: text, logoUrl: text, primaryColor: text }),
        response: { 200: brandingSchema, ...errorResponses },
      },
    },
    async (request) => updateBranding(deps.db, requireActor(request), request.body),
  );
}
