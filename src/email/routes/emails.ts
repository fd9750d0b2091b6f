import { z } from 'zod';
import { sendTestEmail } from '../../agency/test-email.ts';
import { requireActor } from '../../platform/http/auth.ts';
import { respond } from '../../platform/http/idempotency.ts';
import { errorResponses, pageLimit } from '../../platform/http/schemas.ts';
import type { App, RouteDeps } from '../../platform/http/types.ts';
import { emailStatuses, getEmail, listEmails } from '../outbox.ts';
import { maskPortalTokens } from '../rules/link-masking.ts';

const emailSummarySchema = z
  .object({
    id: z.string(),
    to: z.string(),
    subject: z.string(),
    kind: z.string(),
    status: z.enum(emailStatuses),
    createdAt: z.string(),
    sentAt: z.string().nullable(),
  })
  .meta({ id: 'EmailSummary' });

const emailSchema = emailSummarySchema
  .extend({ text: z.string(), html: z.string(), attempts: z.number().int(), lastError: z.string().nullable() })
  .meta({ id: 'Email' });

const staffOnly = { access: ['staff'] as const };

function iso(date: Date | null): string | null {
  return date ? date.toISOString() : null;
}

/** The outbox: every e-mail policypay wrote, sent or (without SMTP_URL) kept here to be read. */
export function emailRoutes(app: App, deps: RouteDeps): void {
  app.get(
    '/api/v1/emails',
    {
      config: staffOnly,
      schema: {
        tags: ['email'],
        summary: 'E-mails written by policypay (newest first)',
        querystring: z.strictObject({
          status: z.enum(emailStatuses).optional(),
          limit: pageLimit(200, 50),
        }),
        response: { 200: z.object({ data: z.array(emailSummarySchema) }), ...errorResponses },
      },
    },
    async (request) => ({
      data: (await listEmails(deps.db, requireActor(request), request.query)).map((e) => ({
        id: e.id,
        to: e.to,
        subject: e.subject,
        kind: e.kind,
        status: e.status,
        createdAt: e.createdAt.toISOString(),
        sentAt: iso(e.sentAt),
      })),
    }),
  );

  app.get(
    '/api/v1/emails/:id',
    {
      config: staffOnly,
      schema: {
        tags: ['email'],
        summary: 'One e-mail with its plain-text and HTML bodies (portal link tokens hidden)',
        params: z.strictObject({ id: z.string().max(64) }),
        response: { 200: emailSchema, ...errorResponses },
      },
    },
    async (request) => {
      const e = await getEmail(deps.db, requireActor(request), request.params.id);
      // Staff see that a link was sent, never the client's live token.
      return {
        ...e,
        text: maskPortalTokens(e.text),
        html: maskPortalTokens(e.html),
        createdAt: e.createdAt.toISOString(),
        sentAt: iso(e.sentAt),
      };
    },
  );

  app.post(
    '/api/v1/emails/test',
    {
      config: staffOnly,
      schema: {
        tags: ['email'],
        summary: 'Send a test e-mail through the outbox (GET /api/v1/emails/{id} shows whether it went)',
        body: z.strictObject({
          to: z.email({ error: 'must be an e-mail address' }).max(320, { error: 'must be an e-mail address' }),
        }),
        response: { 201: z.object({ id: z.string(), to: z.string() }), ...errorResponses },
      },
    },
    async (request, reply) =>
      respond(deps.db, request, reply, 201, (tx) =>
        sendTestEmail(tx, requireActor(request), deps.jobs, request.body.to),
      ),
  );
}
