import { z } from 'zod';
import { DomainError } from '../../kernel/errors.ts';
import { agencyProcessorStatus } from '../../payments/agency-processors.ts';
import type { App, RouteDeps } from '../http/types.ts';
import { checkReadiness, type WorkersState } from './readiness.ts';

export function healthRoutes(
  app: App,
  deps: RouteDeps,
  options: { workers?: (() => WorkersState) | undefined } = {},
): void {
  app.get(
    '/api/v1/health',
    {
      config: { access: 'public' },
      schema: {
        tags: ['system'],
        summary: 'Liveness: the process answers (no database call; readiness is GET /api/v1/ready)',
        response: { 200: z.object({ status: z.literal('ok'), database: z.enum(['pglite', 'postgres']) }) },
      },
    },
    // A liveness probe that called the database would restart every process during a database outage.
    async () => ({ status: 'ok' as const, database: deps.databaseKind }),
  );

  app.get(
    '/api/v1/ready',
    {
      config: { access: 'public' },
      schema: {
        tags: ['system'],
        summary:
          'Readiness: the database answers, its migrations are current and the workers run (when this process runs workers); 503 names what failed',
        response: {
          200: z.object({
            status: z.literal('ready'),
            checks: z.object({
              database: z.literal('ok'),
              migrations: z.literal('ok'),
              workers: z
                .enum(['ok', 'not-run'])
                .meta({ description: '`not-run` for a process started without workers (`serve --no-workers`)' }),
            }),
          }),
        },
      },
    },
    async () => {
      const readiness = await checkReadiness(deps.db, options);
      const { database, migrations, workers } = readiness.checks;
      if (!readiness.ready || database !== 'ok' || migrations !== 'ok' || workers === 'failed') {
        throw new DomainError('not_ready', `not ready: ${readiness.failures.join('; ')}`, {
          extensions: { checks: readiness.checks },
        });
      }
      return { status: 'ready' as const, checks: { database, migrations, workers } };
    },
  );

  app.get(
    '/api/v1/system',
    {
      config: { access: 'public' },
      schema: {
        tags: ['system'],
        summary:
          "Which payment processor serves payments, and whether it is test mode (the console shows a badge): the signed-in agency's, else this server's default",
        response: {
          200: z.object({
            processor: z.string().nullable(),
            testMode: z.boolean().meta({
              description: 'true when the sandbox or a Stripe test key (sk_test_) serves payments: nothing is charged',
            }),
          }),
        },
      },
    },
    async (request) => {
      // Signed in (the console), the agency's own processor when it chose one: test mode is per agency.
      const { processor, testMode } = await agencyProcessorStatus(deps.db, deps.processors, request.actor?.agencyId);
      return { processor: processor?.name ?? null, testMode };
    },
  );
}
