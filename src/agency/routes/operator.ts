import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { DomainError } from '../../kernel/errors.ts';
import { respond } from '../../platform/http/idempotency.ts';
import { errorResponses } from '../../platform/http/schemas.ts';
import type { App, RouteDeps } from '../../platform/http/types.ts';
import { hasOperatorToken } from '../../platform/metrics/operator-token.ts';
import { type AgencySetUp, listAgencies, setUpAgency } from '../onboarding.ts';

const text = (max: number) => z.string().max(max);

const agencyProfileSchema = z
  .object({
    id: z.string(),
    slug: z.string(),
    name: z.string(),
    timeZone: z.string(),
    addressLine1: z.string().nullable(),
    city: z.string().nullable(),
    state: z.string().nullable(),
    postalCode: z.string().nullable(),
    backupEmail: z.string(),
    createdAt: z.string(),
  })
  .meta({ id: 'OperatorAgency' });

const createdSchema = z
  .object({
    agency: agencyProfileSchema,
    staff: z.object({ email: z.string() }),
    staffPassword: z.string().optional().meta({
      description: 'Only when none was sent and one was generated; sent once, never replayed or stored',
    }),
  })
  .meta({ id: 'OperatorAgencyCreated' });

const listItemSchema = z
  .object({ id: z.string(), slug: z.string(), name: z.string(), createdAt: z.string() })
  .meta({ id: 'OperatorAgencyListItem' });

type Created = z.infer<typeof createdSchema>;

function present(setUp: AgencySetUp): Created {
  return {
    agency: { ...setUp.agency, createdAt: setUp.agency.createdAt.toISOString() },
    staff: { email: setUp.staff.email },
    ...(setUp.generatedPassword ? { staffPassword: setUp.generatedPassword } : {}),
  };
}

/** A replay answers the same agency but not the generated password: no password rests in the key table. */
function withoutPassword({ staffPassword: _password, ...rest }: Created): Created {
  return rest;
}

/**
 * Only the operator's bearer token opens these routes; without POLICYPAY_OPERATOR_TOKEN they are
 * not there (404), as /metrics is not.
 */
export function operatorOnly(operatorToken: string | undefined) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (!operatorToken) throw new DomainError('not_found', `no route ${request.method} ${request.url}`);
    if (!hasOperatorToken(request.headers.authorization, operatorToken)) {
      reply.header('www-authenticate', 'Bearer realm="policypay operator"');
      throw new DomainError(
        'unauthenticated',
        'send the operator token (POLICYPAY_OPERATOR_TOKEN) as "Authorization: Bearer <token>"',
      );
    }
    request.operator = true;
  };
}

/** The operator hosting many agencies: set one up, and list them. */
export function operatorRoutes(app: App, deps: RouteDeps, operatorToken: string | undefined): void {
  const onRequest = operatorOnly(operatorToken);

  app.post(
    '/api/v1/operator/agencies',
    {
      config: { access: 'operator' },
      onRequest,
      schema: {
        tags: ['operator'],
        summary: 'Set an agency up: the agency, its backup e-mail and its first staff user (operator token only)',
        body: z.strictObject({
          name: text(200),
          slug: text(63),
          timeZone: text(100),
          addressLine1: text(200).optional(),
          city: text(100).optional(),
          state: text(100).optional(),
          postalCode: text(20).optional(),
          backupEmail: text(320),
          staffEmail: text(320),
          staffName: text(200),
          staffPassword: z
            .string()
            .max(1000)
            .optional()
            .meta({ description: 'Generated (and answered once) when absent' }),
        }),
        response: { 201: createdSchema, ...errorResponses },
      },
    },
    async (request, reply) =>
      respond(
        deps.db,
        request,
        reply,
        201,
        async (tx) => present(await setUpAgency(tx, request.body)),
        withoutPassword,
      ),
  );

  app.get(
    '/api/v1/operator/agencies',
    {
      config: { access: 'operator' },
      onRequest,
      schema: {
        tags: ['operator'],
        summary: 'List the agencies this deployment hosts (operator token only)',
        response: { 200: z.object({ data: z.array(listItemSchema) }), ...errorResponses },
      },
    },
    async () => ({
      data: (await listAgencies(deps.db)).map((agency) => ({ ...agency, createdAt: agency.createdAt.toISOString() })),
    }),
  );
}
