import { z } from 'zod';
import { requireActor } from '../../platform/http/auth.ts';
import { respond } from '../../platform/http/idempotency.ts';
import { errorResponses, nonEmpty } from '../../platform/http/schemas.ts';
import type { App, RouteDeps } from '../../platform/http/types.ts';
import { createApiKey, listApiKeys, revokeApiKey } from '../api-keys.ts';
import { listBankGrants } from '../bank-grants.ts';
import { createBank, listBanks, updateBank } from '../banks.ts';
import { createInstallmentPlan, listInstallmentPlans, updateInstallmentPlan } from '../installment-plans.ts';
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

const between = (min: number, max: number) => {
  const error = `must be a whole number from ${min} to ${max}`;
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
};
const planFields = {
  name: nonEmpty(100),
  installments: between(1, 366),
  frequency: z.enum(frequencies, { error: `must be one of ${frequencies.join(', ')}` }),
  autopayLeadDays: between(0, 365).meta({
    description: 'Days before an installment is due that autopay takes it; absent or null = no autopay',
  }),
};
const idParams = z.strictObject({ id: z.string().max(64) });

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
          name: planFields.name,
          installments: planFields.installments,
          frequency: planFields.frequency,
          autopayLeadDays: planFields.autopayLeadDays.optional(),
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

  app.patch(
    '/api/v1/installment-plans/:id',
    {
      config: staffOnly,
      schema: {
        tags: ['billing'],
        summary: 'Change an installment plan (applies to policies billed from now on); omitted fields stay',
        params: idParams,
        body: z.strictObject({
          name: planFields.name.optional(),
          installments: planFields.installments.optional(),
          frequency: planFields.frequency.optional(),
          autopayLeadDays: planFields.autopayLeadDays.nullable().optional(),
        }),
        response: { 200: planSchema, ...errorResponses },
      },
    },
    async (request) => updateInstallmentPlan(deps.db, requireActor(request), request.params.id, request.body),
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

  app.patch(
    '/api/v1/banks/:id',
    {
      config: staffOnly,
      schema: {
        tags: ['banks'],
        summary:
          "Rename a bank or move it to another division (created on first use); the short name can't change: receipts and exports name it",
        params: idParams,
        body: z.strictObject({ name: nonEmpty(200).optional(), division: nonEmpty(100).optional() }),
        response: { 200: bankSchema, ...errorResponses },
      },
    },
    async (request) => updateBank(deps.db, requireActor(request), request.params.id, request.body),
  );

  app.get(
    '/api/v1/banks/access',
    {
      config: staffOnly,
      schema: {
        tags: ['banks'],
        summary: 'Which API keys may deposit to which banks (users are not limited to banks)',
        response: {
          200: z.object({
            data: z.array(
              z.object({
                keyId: z.string(),
                keyName: z.string(),
                keyPrefix: z.string(),
                role: z.enum(['staff', 'agent']),
                banks: z.array(z.string()).nullable().meta({ description: 'null = every bank' }),
              }),
            ),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => ({ data: await listBankGrants(deps.db, requireActor(request)) }),
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
