import { z } from 'zod';
import { requireActor } from '../../platform/http/auth.ts';
import { respond } from '../../platform/http/idempotency.ts';
import { customerNumber, errorResponses, nonEmpty, pageLimit } from '../../platform/http/schemas.ts';
import type { App, RouteDeps } from '../../platform/http/types.ts';
import {
  type AmsReceiptConnectorView,
  exportableSources,
  getAmsReceiptConnector,
  saveAmsReceiptConnector,
} from '../ams360-receipts/connector.ts';
import { type AmsReceiptExportView, listAmsReceiptExports, retryAmsReceiptExport } from '../ams360-receipts/exports.ts';

const connectorSchema = z
  .object({
    enabled: z.boolean(),
    baseUrl: z.string(),
    authHeaderName: z.string().nullable(),
    authHeaderSet: z.boolean().meta({ description: 'Whether an auth header value is stored (it is never shown)' }),
    sources: z.array(z.string()),
    timeoutMs: z.number().int(),
    lookupByReference: z.boolean(),
    updatedBy: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Ams360ReceiptConnector' });

const connectorBody = z.strictObject({
  baseUrl: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
    .max(500)
    .meta({ example: 'https://ams.example.com/api/v1' }),
  enabled: z.boolean().optional(),
  authHeader: z
    .strictObject({
      name: z
        .string()
        .trim()
        .regex(/^[A-Za-z0-9-]{1,100}$/, { error: 'must be an HTTP header name' }),
      value: nonEmpty(2000),
    })
    .nullable()
    .optional()
    .meta({ description: 'Sent with every request (e.g. Authorization: Bearer …); null removes it, omitted keeps it' }),
  sources: z
    .array(z.enum(exportableSources))
    .max(exportableSources.length)
    .optional()
    .meta({ description: 'Receipt sources exported (default payment, autopay)' }),
  timeoutMs: z.number().int().min(100).max(120_000).optional(),
  lookupByReference: z.boolean().optional().meta({
    description:
      'For an AMS that honours neither Idempotency-Key nor the reference: before a repeated attempt, ask GET /receipt/customer?externalReference=… whether the receipt arrived',
  }),
});

const exportStatus = z.enum(['held', 'pending', 'sending', 'sent', 'failed']);

const exportSchema = z
  .object({
    id: z.string(),
    receiptNumber: z.number().int(),
    customerNumber: z.number().int(),
    reference: z.string(),
    status: exportStatus,
    attempts: z.number().int(),
    nextAttemptAt: z.string().nullable(),
    lastHttpStatus: z.number().int().nullable(),
    lastError: z.string().nullable(),
    amsReceiptId: z.string().nullable(),
    createdAt: z.string(),
    sentAt: z.string().nullable(),
    reversal: z.object({ reason: z.string(), at: z.string() }).nullable(),
    manualAction: z.string().nullable(),
  })
  .meta({ id: 'Ams360ReceiptExport' });

const iso = (date: Date | null) => date?.toISOString() ?? null;

function presentConnector(view: AmsReceiptConnectorView): z.infer<typeof connectorSchema> {
  return { ...view, updatedAt: view.updatedAt.toISOString() };
}

function presentExport(view: AmsReceiptExportView): z.infer<typeof exportSchema> {
  return {
    ...view,
    nextAttemptAt: iso(view.nextAttemptAt),
    createdAt: view.createdAt.toISOString(),
    sentAt: iso(view.sentAt),
    reversal: view.reversal && { reason: view.reversal.reason, at: view.reversal.at.toISOString() },
  };
}

const staffOnly = { access: ['staff'] as const };
const base = '/api/v1/connectors/ams360-receipts';

export function ams360ReceiptRoutes(app: App, deps: RouteDeps): void {
  app.get(
    base,
    {
      config: staffOnly,
      schema: {
        tags: ['connectors'],
        summary: 'The AMS360 receipt connector: where posted payments are sent as AMS360 receipts',
        response: { 200: connectorSchema, ...errorResponses },
      },
    },
    async (request) => presentConnector(await getAmsReceiptConnector(deps.db, requireActor(request))),
  );

  app.put(
    base,
    {
      config: staffOnly,
      schema: {
        tags: ['connectors'],
        summary: 'Configure the AMS360 receipt connector (receipts already queued keep their bodies and keys)',
        body: connectorBody,
        response: { 200: connectorSchema, ...errorResponses },
      },
    },
    async (request) => presentConnector(await saveAmsReceiptConnector(deps.db, requireActor(request), request.body)),
  );

  app.get(
    `${base}/exports`,
    {
      config: staffOnly,
      schema: {
        tags: ['connectors'],
        summary: 'Receipts sent (or on their way) to AMS360, latest first, with errors and manual work',
        querystring: z.strictObject({
          status: exportStatus.optional(),
          receiptNumber: customerNumber.optional(),
          limit: pageLimit(500, 100),
        }),
        response: { 200: z.object({ data: z.array(exportSchema) }), ...errorResponses },
      },
    },
    async (request) => ({
      data: (await listAmsReceiptExports(deps.db, requireActor(request), request.query)).map(presentExport),
    }),
  );

  app.post(
    `${base}/exports/:exportId/retry`,
    {
      config: staffOnly,
      schema: {
        tags: ['connectors'],
        summary: 'Send a failed export again (same Idempotency-Key at the AMS, so never a duplicate)',
        params: z.strictObject({ exportId: nonEmpty(64) }),
        response: { 200: exportSchema, ...errorResponses },
      },
    },
    async (request, reply) =>
      respond(deps.db, request, reply, 200, async (tx) =>
        presentExport(await retryAmsReceiptExport(tx, requireActor(request), request.params.exportId)),
      ),
  );
}
