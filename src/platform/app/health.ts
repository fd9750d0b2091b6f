import { sql } from 'kysely';
import { z } from 'zod';
import { isTestMode } from '../../payments/processor-registry.ts';
import type { App, RouteDeps } from '../http/types.ts';

export function healthRoutes(app: App, deps: RouteDeps): void {
  app.get(
    '/api/v1/health',
    {
      config: { access: 'public' },
      schema: {
        tags: ['system'],
        summary: 'Liveness and database check',
        response: { 200: z.object({ status: z.literal('ok'), database: z.enum(['pglite', 'postgres']) }) },
      },
    },
    async () => {
      await sql`select 1`.execute(deps.db);
      return { status: 'ok' as const, database: deps.databaseKind };
    },
  );

  app.get(
    '/api/v1/system',
    {
      config: { access: 'public' },
      schema: {
        tags: ['system'],
        summary: 'Which payment processor this server runs, and whether it is test mode (the console shows a badge)',
        response: {
          200: z.object({
            processor: z.string().nullable(),
            testMode: z
              .boolean()
              .meta({ description: 'true when the sandbox processor serves payments: nothing is charged' }),
          }),
        },
      },
    },
    async () => ({ processor: [...deps.processors.keys()][0] ?? null, testMode: isTestMode(deps.processors) }),
  );
}
