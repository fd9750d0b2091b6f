import { z } from 'zod';
import type { Actor } from '../../kernel/actor.ts';
import type { Db } from '../../platform/db/transaction.ts';
import { requireActor } from '../../platform/http/auth.ts';
import { respond } from '../../platform/http/idempotency.ts';
import { customerNumber, customerNumberParams, errorResponses, pageLimit } from '../../platform/http/schemas.ts';
import type { App, RouteDeps } from '../../platform/http/types.ts';
import { type ConnectorView, configureConnector, listConnectors } from '../connectors.ts';
import { runDailySync } from '../daily.ts';
import { readSyncRules } from '../outbox/sync-settings.ts';
import { pushPending, requestCustomerPush } from '../push.ts';
import { listReviews, type ReviewView, resolveReview } from '../reviews.ts';
import { syncSystems } from '../rules/records.ts';
import { syncRulesSchema } from '../rules/rules.ts';
import { setSyncRules } from '../state.ts';
import { getCustomerSync, listSyncLog } from '../views.ts';

const system = z.enum(syncSystems);

const badgeSchema = z.object({
  system,
  label: z.string(),
  externalId: z.string(),
  amsCustomerNumber: z.string().nullable(),
  status: z.enum(['synced', 'pending', 'error']),
  syncedAt: z.string(),
  lastError: z.string().nullable(),
});
const childLinkSchema = z.object({ system, externalId: z.string() });
const customerSyncSchema = z
  .object({
    customerNumber: z.number().int(),
    badges: z.array(badgeSchema),
    pending: z.array(system),
    contacts: z.array(
      z.object({ id: z.string(), name: z.string(), email: z.string().nullable(), links: z.array(childLinkSchema) }),
    ),
    policies: z.array(z.object({ id: z.string(), policyNumber: z.string(), links: z.array(childLinkSchema) })),
  })
  .meta({ id: 'CustomerSync' });

const connectorSchema = z
  .object({
    system,
    kind: z.literal('rest'),
    enabled: z.boolean(),
    mapping: z.record(z.string(), z.unknown()),
    webhookSecret: z.string().nullable().meta({
      description:
        'The webhook signing secret, shown only in the answer of the configuration that generated it (stored encrypted; never shown again)',
    }),
    webhookSecretSet: z.boolean(),
    webhookPath: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'SyncConnector' });

const reviewSchema = z
  .object({
    id: z.string(),
    system,
    externalId: z.string(),
    record: z.record(z.string(), z.unknown()),
    reason: z.string(),
    candidates: z.array(z.object({ customerNumber: z.number().int(), name: z.string() })),
    status: z.enum(['open', 'accepted', 'merged', 'rejected']),
    customerNumber: z.number().int().nullable(),
    createdAt: z.string(),
    resolvedAt: z.string().nullable(),
    resolvedBy: z.string().nullable(),
  })
  .meta({ id: 'SyncReview' });

const figures = {
  received: z.number().int(),
  created: z.number().int(),
  linked: z.number().int(),
  updated: z.number().int(),
  unchanged: z.number().int(),
  stale: z.number().int(),
  review: z.number().int(),
  rejected: z.number().int(),
  invalid: z.number().int(),
};

/** Sends queued pushes after the request's transaction committed; failures stay queued for the sweep. */
function pushAfterCommit(db: Db, actor: Actor, log: { error(obj: unknown, msg: string): void }): void {
  void pushPending(db, actor.agencyId).catch((error) => log.error({ err: error }, 'sync push failed'));
}

export function syncRoutes(app: App, deps: RouteDeps): void {
  const presentConnector = (c: ConnectorView, slug: string) => ({
    system: c.system,
    kind: c.kind,
    enabled: c.enabled,
    mapping: c.mapping as unknown as Record<string, unknown>,
    webhookSecret: c.webhookSecret,
    webhookSecretSet: c.webhookSecretSet,
    webhookPath: `/api/v1/sync/webhooks/${slug}/${c.system}`,
    updatedAt: c.updatedAt.toISOString(),
  });
  const presentReview = (r: ReviewView) => ({
    ...r,
    createdAt: r.createdAt.toISOString(),
    resolvedAt: r.resolvedAt?.toISOString() ?? null,
  });
  const agencySlug = async (agencyId: string) =>
    (await deps.db.selectFrom('agencies').select('slug').where('id', '=', agencyId).executeTakeFirstOrThrow()).slug;

  app.get(
    '/api/v1/sync/connectors',
    {
      config: { access: ['staff'] },
      schema: {
        tags: ['sync'],
        summary: "The agency's connectors (ams, benefits, crm roles); auth values are withheld",
        response: { 200: z.object({ data: z.array(connectorSchema) }), ...errorResponses },
      },
    },
    async (request) => {
      const actor = requireActor(request);
      const slug = await agencySlug(actor.agencyId);
      return { data: (await listConnectors(deps.db, actor)).map((c) => presentConnector(c, slug)) };
    },
  );

  app.put(
    '/api/v1/sync/connectors/:system',
    {
      config: { access: ['staff'] },
      schema: {
        tags: ['sync'],
        summary: 'Configure the generic REST connector for one system role (a JSON mapping)',
        params: z.strictObject({ system }),
        body: z.strictObject({
          kind: z.literal('rest'),
          mapping: z.record(z.string(), z.unknown()),
          enabled: z.boolean().optional(),
          webhookSecret: z.string().min(16).max(200).optional(),
        }),
        response: { 200: connectorSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const actor = requireActor(request);
      const slug = await agencySlug(actor.agencyId);
      return respond(deps.db, request, reply, 200, async (tx) =>
        presentConnector(
          await configureConnector(tx, actor, request.params.system, {
            ...request.body,
            mapping: request.body.mapping as never,
          }),
          slug,
        ),
      );
    },
  );

  const rulesSchema = syncRulesSchema.meta({ id: 'SyncRules' });
  app.get(
    '/api/v1/sync/rules',
    {
      config: { access: ['staff'] },
      schema: {
        tags: ['sync'],
        summary: 'The sync rules: field owners, flows between systems, where local creates go',
        response: { 200: rulesSchema, ...errorResponses },
      },
    },
    async (request) => readSyncRules(deps.db, requireActor(request).agencyId),
  );

  app.put(
    '/api/v1/sync/rules',
    {
      config: { access: ['staff'] },
      schema: {
        tags: ['sync'],
        summary: 'Replace the sync rules (the whole document; see GET for the defaults)',
        body: rulesSchema,
        response: { 200: rulesSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const actor = requireActor(request);
      return respond(deps.db, request, reply, 200, (tx) => setSyncRules(tx, actor.agencyId, request.body));
    },
  );

  app.get(
    '/api/v1/customers/:customerNumber/sync',
    {
      config: { access: ['staff', 'agent'] },
      schema: {
        tags: ['sync'],
        summary: "A customer's sync badges and external ids",
        params: customerNumberParams,
        response: { 200: customerSyncSchema, ...errorResponses },
      },
    },
    async (request) => {
      const view = await getCustomerSync(deps.db, requireActor(request), request.params.customerNumber);
      return { ...view, badges: view.badges.map((b) => ({ ...b, syncedAt: b.syncedAt.toISOString() })) };
    },
  );

  app.post(
    '/api/v1/customers/:customerNumber/sync',
    {
      config: { access: ['staff', 'agent'] },
      schema: {
        tags: ['sync'],
        summary: 'Push a policypay customer to external systems (default: the rules’ pushOnCreate)',
        params: customerNumberParams,
        body: z.strictObject({ systems: z.array(system).min(1).max(3).optional() }),
        response: {
          202: z.object({ customerNumber: z.number().int(), queued: z.array(system), alreadyLinked: z.array(system) }),
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const actor = requireActor(request);
      const result = await respond(deps.db, request, reply, 202, (tx) =>
        requestCustomerPush(tx, actor, request.params.customerNumber, request.body.systems),
      );
      pushAfterCommit(deps.db, actor, request.log);
      return result;
    },
  );

  app.post(
    '/api/v1/sync/runs',
    {
      config: { access: ['staff'] },
      schema: {
        tags: ['sync'],
        summary: "Run one system's daily sync now (changes since the cursor)",
        body: z.strictObject({ system }),
        response: {
          200: z.object({
            system,
            status: z.enum(['completed', 'failed']),
            pages: z.number().int(),
            cursor: z.string().nullable(),
            error: z.string().nullable(),
            ...figures,
          }),
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const actor = requireActor(request);
      // The run commits page by page (that is its crash safety), so it cannot share one transaction
      // with the idempotency record; its result is stored after it, and a replayed key gets that. A
      // retry after a crash runs again from the cursor the pages committed, which repeats no change.
      const run = await runDailySync(deps.db, actor.agencyId, request.body.system);
      pushAfterCommit(deps.db, actor, request.log);
      return respond(deps.db, request, reply, 200, async () => run);
    },
  );

  app.get(
    '/api/v1/sync/log',
    {
      config: { access: ['staff', 'agent'] },
      schema: {
        tags: ['sync'],
        summary: 'The sync log, newest first (keyset pages: pass the last id as `before`)',
        querystring: z.strictObject({
          system: system.optional(),
          before: z.coerce.number().int().min(1).optional(),
          limit: pageLimit(500, 100),
        }),
        response: {
          200: z.object({
            data: z.array(
              z.object({
                id: z.number().int(),
                system: z.string(),
                direction: z.enum(['inbound', 'outbound']),
                entity: z.string(),
                customerNumber: z.number().int().nullable(),
                externalId: z.string().nullable(),
                action: z.string(),
                message: z.string().nullable(),
                at: z.string(),
              }),
            ),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => ({
      data: (await listSyncLog(deps.db, requireActor(request), request.query)).map((e) => ({
        ...e,
        at: e.at.toISOString(),
      })),
    }),
  );

  app.get(
    '/api/v1/sync/reviews',
    {
      config: { access: ['staff'] },
      schema: {
        tags: ['sync'],
        summary: 'The review queue: external records that matched ambiguously',
        querystring: z.strictObject({
          status: z.enum(['open', 'accepted', 'merged', 'rejected']).default('open'),
          limit: pageLimit(500, 100),
        }),
        response: { 200: z.object({ data: z.array(reviewSchema) }), ...errorResponses },
      },
    },
    async (request) => ({
      data: (await listReviews(deps.db, requireActor(request), request.query)).map(presentReview),
    }),
  );

  const reviewParams = z.strictObject({ reviewId: z.string().max(64) });
  for (const action of ['accept', 'reject'] as const) {
    app.post(
      `/api/v1/sync/reviews/:reviewId/${action}`,
      {
        config: { access: ['staff'] },
        schema: {
          tags: ['sync'],
          summary:
            action === 'accept'
              ? 'Accept a reviewed record as a new customer'
              : 'Reject a reviewed record (it stays unlinked)',
          params: reviewParams,
          response: { 200: reviewSchema, ...errorResponses },
        },
      },
      async (request, reply) => {
        const actor = requireActor(request);
        const review = await respond(deps.db, request, reply, 200, async (tx) =>
          presentReview(await resolveReview(tx, actor, request.params.reviewId, { action })),
        );
        pushAfterCommit(deps.db, actor, request.log);
        return review;
      },
    );
  }
  app.post(
    '/api/v1/sync/reviews/:reviewId/merge',
    {
      config: { access: ['staff'] },
      schema: {
        tags: ['sync'],
        summary: 'Merge a reviewed record into an existing customer (links it there)',
        params: reviewParams,
        body: z.strictObject({ customerNumber }),
        response: { 200: reviewSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const actor = requireActor(request);
      const review = await respond(deps.db, request, reply, 200, async (tx) =>
        presentReview(
          await resolveReview(tx, actor, request.params.reviewId, {
            action: 'merge',
            customerNumber: request.body.customerNumber,
          }),
        ),
      );
      pushAfterCommit(deps.db, actor, request.log);
      return review;
    },
  );
}
