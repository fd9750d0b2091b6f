import { z } from 'zod';
import { requireActor } from '../../platform/http/auth.ts';
import { respond } from '../../platform/http/idempotency.ts';
import { errorResponses, nonEmpty, pageLimit } from '../../platform/http/schemas.ts';
import type { App, RouteDeps } from '../../platform/http/types.ts';
import { commitImport } from '../commit.ts';
import { textSource } from '../csv-rows.ts';
import { findImport, getImport, type ImportView, importView, listImports } from '../import-records.ts';
import { previewImport } from '../preview.ts';
import { importKinds, importStatuses } from '../rules/import-kinds.ts';

const importSchema = z
  .object({
    id: z.string(),
    kind: z.enum(importKinds),
    fileName: z.string().nullable(),
    sha256: z.string(),
    status: z.enum(importStatuses),
    counts: z.object({ rows: z.number(), create: z.number(), unchanged: z.number(), skipped: z.number() }),
    rowsTotal: z.number().int(),
    rowsDone: z.number().int(),
    problems: z.array(z.object({ row: z.number().int(), column: z.string(), rule: z.string() })),
    problemCount: z.number().int(),
    createdAt: z.string(),
    committedAt: z.string().nullable(),
  })
  .meta({ id: 'Import' });

function presentImport(view: ImportView) {
  return { ...view, createdAt: view.createdAt.toISOString(), committedAt: view.committedAt?.toISOString() ?? null };
}

const staffOnly = { access: ['staff'] as const };
const idParams = z.strictObject({ id: z.string().max(64) });
/** A book of 100,000 customers is a file of about 15 MB. */
const MAX_UPLOAD_BYTES = 64 * 1024 * 1024;

/**
 * Importing the book from CSV: upload a file (its text in JSON, so the console can send it as
 * any other request) for a preview, then commit it. Larger books go through `policypay import`.
 */
export function importRoutes(app: App, deps: RouteDeps): void {
  app.post(
    '/api/v1/imports',
    {
      config: staffOnly,
      bodyLimit: MAX_UPLOAD_BYTES,
      schema: {
        tags: ['imports'],
        summary:
          'Upload a CSV file of one kind and preview it: what it would create, and every problem (row, column, rule)',
        body: z.strictObject({
          kind: z.enum(importKinds),
          fileName: nonEmpty(255).optional(),
          csv: z
            .string()
            .min(1, { error: 'must not be empty' })
            .meta({ description: 'The CSV file, header row first' }),
        }),
        response: { 201: importSchema, ...errorResponses },
      },
    },
    async (request, reply) =>
      respond(deps.db, request, reply, 201, async (tx) => {
        const { kind, fileName, csv } = request.body;
        const view = await previewImport(tx, requireActor(request), {
          kind,
          fileName,
          source: textSource(csv),
          content: csv,
        });
        return presentImport(view);
      }),
  );

  app.post(
    '/api/v1/imports/:id/commit',
    {
      config: staffOnly,
      schema: {
        tags: ['imports'],
        summary: 'Write a previewed import into the book, in batches (run again after an interruption: it carries on)',
        params: idParams,
        response: { 200: importSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const actor = requireActor(request);
      // Batches commit on their own; the stored answer is the import as the last one left it.
      await commitImport(deps.db, actor, request.params.id);
      return respond(deps.db, request, reply, 200, async (tx) =>
        presentImport(importView(await findImport(tx, actor.agencyId, request.params.id))),
      );
    },
  );

  app.get(
    '/api/v1/imports/:id',
    {
      config: staffOnly,
      schema: {
        tags: ['imports'],
        summary: "An import's preview, problems and progress",
        params: idParams,
        response: { 200: importSchema, ...errorResponses },
      },
    },
    async (request) => presentImport(await getImport(deps.db, requireActor(request), request.params.id)),
  );

  app.get(
    '/api/v1/imports',
    {
      config: staffOnly,
      schema: {
        tags: ['imports'],
        summary: "The agency's latest imports, newest first (problems listed on each import's own page)",
        querystring: z.strictObject({ limit: pageLimit(200, 50) }),
        response: { 200: z.object({ imports: z.array(importSchema) }), ...errorResponses },
      },
    },
    async (request) => ({
      imports: (await listImports(deps.db, requireActor(request), request.query.limit)).map(presentImport),
    }),
  );
}
