import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { DomainError } from '../../kernel/errors.ts';
import { respond } from '../../platform/http/idempotency.ts';
import { errorResponses } from '../../platform/http/schemas.ts';
import type { App, RouteDeps } from '../../platform/http/types.ts';
import { hasOperatorToken } from '../../platform/metrics/operator-token.ts';
import { completeFirstRun, firstRunNeeded } from '../first-run.ts';

const text = (max: number) => z.string().max(max);

const statusSchema = z
  .object({
    needed: z.boolean().meta({ description: 'No agency exists yet' }),
    open: z.boolean().meta({ description: 'This process accepts the first run (it printed a setup link)' }),
  })
  .meta({ id: 'FirstRunStatus' });

const doneSchema = z
  .object({
    agency: z.object({ slug: z.string(), name: z.string() }),
    staff: z.object({ email: z.string() }),
  })
  .meta({ id: 'FirstRunDone' });

/**
 * The setup link's token (printed by `serve --no-demo` on an empty database) is the only key to
 * the first run: whoever reaches the port first must not be able to claim the deployment.
 */
function setupTokenOnly(token: string | undefined) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (!token) {
      throw new DomainError(
        'conflict',
        'first-run setup is not open on this process: start it with --no-demo on an empty database, or use `policypay agency create`',
      );
    }
    if (!hasOperatorToken(request.headers.authorization, token)) {
      reply.header('www-authenticate', 'Bearer realm="policypay setup"');
      throw new DomainError(
        'unauthenticated',
        'send the setup code from the start-up banner\'s setup link as "Authorization: Bearer <code>"',
      );
    }
    // Its Idempotency-Key is kept with the operator's: there is no agency yet to keep it under.
    request.operator = true;
  };
}

/** The first run of an empty deployment: is it needed, and do it. */
export function firstRunRoutes(app: App, deps: RouteDeps, setupToken: string | undefined): void {
  app.get(
    '/api/v1/setup',
    {
      config: { access: 'public' },
      schema: {
        tags: ['setup'],
        summary: 'Whether this deployment still needs its first run',
        response: { 200: statusSchema, ...errorResponses },
      },
    },
    async () => {
      const needed = await firstRunNeeded(deps.db);
      return { needed, open: needed && setupToken !== undefined };
    },
  );

  app.post(
    '/api/v1/setup',
    {
      config: { access: 'setup' },
      onRequest: setupTokenOnly(setupToken),
      schema: {
        tags: ['setup'],
        summary: 'First run: the agency, its banks and its first staff user (the setup code only)',
        body: z.strictObject({
          name: text(200),
          slug: text(63),
          timeZone: text(100),
          addressLine1: text(200).optional(),
          city: text(100).optional(),
          state: text(100).optional(),
          postalCode: text(20).optional(),
          backupEmail: text(320),
          staffName: text(200),
          staffEmail: text(320),
          staffPassword: text(1000),
          banks: z
            .array(z.strictObject({ shortName: text(100), name: text(200), division: text(200).default('Main') }))
            .max(100),
        }),
        response: { 201: doneSchema, ...errorResponses },
      },
    },
    async (request, reply) =>
      respond(deps.db, request, reply, 201, async (tx) => {
        const done = await completeFirstRun(tx, request.body);
        return { agency: { slug: done.agency.slug, name: done.agency.name }, staff: { email: done.staff.email } };
      }),
  );
}
