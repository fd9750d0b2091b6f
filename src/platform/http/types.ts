import type {
  FastifyBaseLogger,
  FastifyInstance,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Processors } from '../../payments/processors/processor.ts';
import type { DatabaseKind } from '../db/database.ts';
import type { Db } from '../db/transaction.ts';
import type { JobQueue } from '../jobs/job-queue.ts';

export type App = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  ZodTypeProvider
>;

/** What routes need from the process: the database and which driver it is. */
export interface RouteDeps {
  db: Db;
  databaseKind: DatabaseKind;
  /** Cookies are Secure when the server is reached over HTTPS. */
  secureCookies: boolean;
  /** Card/ACH processors by name ('sandbox', 'stripe'). */
  processors: Processors;
  /** Where use cases enqueue follow-up work (pg-boss when workers run, else the sweeps catch up). */
  jobs: JobQueue;
  /** The server's public base URL for links in e-mails (POLICYPAY_PUBLIC_URL); else the request's own host. */
  publicUrl?: string | undefined;
  /** The server's "now" (AppOptions.clock): date windows such as a receipt date's. */
  clock: () => Date;
}
