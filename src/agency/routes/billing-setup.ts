import { z } from 'zod';
import { requireActor } from '../../platform/http/auth.ts';
import { respond } from '../../platform/http/idempotency.ts';
import { errorResponses, nonEmpty } from '../../platform/http/schemas.ts';
import type { App, RouteDeps } from '../../platform/http/types.ts';
import { createApiKey, listApiKeys, revokeApiKey } from '../api-keys.ts';
import { createBank, listBanks } from '../banks.ts';
import { createInstallmentPlan, listInstallmentPlans } from '../installment-plans.ts';
import { frequencies } from '../rules/installments.ts';

const planSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    installments: z.number().int(),
    frequency: z.enum(frequencies),
    autopayLeadDays: z.number().int().nullable(),
  })
  .meta({ id: 'InstallmentPlan' });

const bankSchema = z
  .object({ id: z.string(), shortName: z.string(), name: z.string(), division: z.string() })
  .meta({ id: 'Bank' });

const shortName = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9_.-]{1,20}$/, { error: 'must be 1–20 letters, digits, _ . or -' });

const staffOnly = { access: ['staff'] as const };

/** Agency set-up: installment plans, banks and API keys. */
export function agencySetupRoutes(app: App, deps: RouteDeps): void {
  app.post(
    '/api/v1/installment-plans',
    {
      config: staffOnly,
      schema: {
        tags: ['billing'],
        summary: 'Create an installment plan',
        body: z.strictObject({
          name: nonEmpty(100),
          installments: z.number().int().min(1).max(366),
          frequency: z.enum(frequencies),
          autopayLeadDays: z.number().int().min(0).max(365).optional(),
        }),
        response: { 201: planSchema, ...errorResponses },
      },
    },
    async (request, reply) =>
      respond(deps.db, request, reply, 201, (tx) => createInstallmentPlan(tx, requireActor(request), request.body)),
  );

  app.get(
    '/api/v1/installment-plans',
    {
      schema: {
        tags: ['billing'],
        summary: 'List installment plans',
        response: { 200: z.object({ data: z.array(planSchema) }), ...errorResponses },
      },
    },
    async (request) => ({ data: await listInstallmentPlans(deps.db, requireActor(request)) }),
  );

  app.post(
    '/api/v1/banks',
    {
      config: staffOnly,
      schema: {
        tags: ['banks'],
        summary: 'Create a deposit bank in a division (the division is created on first use)',
        body: z.strictObject({ shortName, name: nonEmpty(200), division: nonEmpty(100) }),
        response: { 201: bankSchema, ...errorResponses },
      },
    },
    async (request, reply) =>
      respond(deps.db, request, reply, 201, (tx) => createBank(tx, requireActor(request), request.body)),
  );

  app.get(
    '/api/v1/banks',
    {
      schema: {
        tags: ['banks'],
        summary: 'List banks',
        response: { 200: z.object({ data: z.array(bankSchema) }), ...errorResponses },
      },
    },
    async (request) => ({ data: await listBanks(deps.db, requireActor(request)) }),
  );

  app.post(
    '/api/v1/api-keys',
    {
      config: staffOnly,
      schema: {
        tags: ['api keys'],
        summary: 'Create an API key (the key is shown once)',
        body: z.strictObject({
          name: nonEmpty(100),
          role: z.enum(['staff', 'agent']),
          banks: z.array(shortName).min(1).max(100).optional(),
        }),
        response: {
          201: z.object({
            id: z.string(),
            key: z.string(),
            name: z.string(),
            role: z.enum(['staff', 'agent']),
            banks: z.array(z.string()).nullable(),
          }),
          ...errorResponses,
        },
      },
    },
    async (request, reply) =>
      respond(deps.db, request, reply, 201, (tx) => createApiKey(tx, requireActor(request), request.body)),
  );

  app.get(
    '/api/v1/api-keys',
    {
      config: staffOnly,
      schema: {
        tags: ['api keys'],
        summary: "List the agency's API keys (never their secrets), revoked ones included",
        response: {
          200: z.object({
            data: z.array(
              z.object({
                id: z.string(),
                name: z.string(),
                role: z.enum(['staff', 'agent']),
                banks: z.array(z.string()).nullable().meta({ description: 'null: every bank' }),
                prefix: z.string(),
                createdAt: z.string(),
                lastUsedAt: z.string().nullable().meta({ description: 'Written at most once a minute per key' }),
                revokedAt: z.string().nullable(),
              }),
            ),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => ({
      data: (await listApiKeys(deps.db, requireActor(request))).map((key) => ({
        ...key,
        createdAt: key.createdAt.toISOString(),
        lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
        revokedAt: key.revokedAt?.toISOString() ?? null,
      })),
    }),
  );

  app.delete(
    '/api/v1/api-keys/:id',
    {
      config: staffOnly,
      schema: {
        tags: ['api keys'],
        summary: 'Revoke an API key',
        params: z.strictObject({ id: z.string().max(64) }),
        response: { 204: z.null().meta({ description: 'Revoked' }), ...errorResponses },
      },
    },
    async (request, reply) => {
      await revokeApiKey(deps.db, requireActor(request), request.params.id);
      return reply.status(204).send(null);
    },
  );
}
