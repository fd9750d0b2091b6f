import type { PgBoss } from 'pg-boss';
import { z } from 'zod';
import type { Db } from '../platform/db/transaction.ts';
import { bossJobQueue } from '../platform/jobs/boss-job-queue.ts';
import { portalLinkQueue, requestPortalSignInLink } from './auth.ts';

const linkJob = z.object({ agencySlug: z.string(), email: z.string(), portalUrl: z.string() });

/** Writes the sign-in or enrollment e-mail a client asked for on the portal (off the request path). */
export async function registerPortalWorkers(boss: PgBoss, db: Db): Promise<void> {
  await createPortalQueues(boss);
  const jobs = bossJobQueue(boss);
  // A client waits for this e-mail: poll as often as the e-mail queue does.
  await boss.work(portalLinkQueue, { batchSize: 1, pollingIntervalSeconds: 0.5 }, async ([job]) => {
    await requestPortalSignInLink(db, { ...linkJob.parse(job?.data), jobs });
  });
}

/** The link queue, created by whichever process first sends or works it (`serve --no-workers` sends). */
export async function createPortalQueues(boss: PgBoss): Promise<void> {
  await boss.createQueue(portalLinkQueue, { retryLimit: 3, retryDelay: 5, retryBackoff: true });
}
