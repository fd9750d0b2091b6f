import { queueEmail } from '../email/outbox.ts';
import { testEmail } from '../email/rules/templates.ts';
import type { Actor } from '../kernel/actor.ts';
import { DomainError } from '../kernel/errors.ts';
import { type Db, inTransaction, type Tx } from '../platform/db/transaction.ts';
import type { JobQueue } from '../platform/jobs/job-queue.ts';
import { loadEmailSender } from './branding.ts';

/**
 * Writes a test e-mail to the outbox, in the caller's transaction, for the worker to send as it
 * sends every other: what arrives shows the outbox and SMTP work end to end.
 */
export async function sendTestEmail(
  db: Db | Tx,
  actor: Actor,
  jobs: JobQueue,
  to: string,
): Promise<{ id: string; to: string }> {
  if (actor.role !== 'staff') throw new DomainError('forbidden', 'only agency staff may send a test e-mail');
  return inTransaction(db, async (tx) => {
    const user = actor.userId
      ? await tx
          .selectFrom('users')
          .select('name')
          .where('agency_id', '=', actor.agencyId)
          .where('id', '=', actor.userId)
          .executeTakeFirst()
      : undefined;
    const sender = await loadEmailSender(tx, actor.agencyId);
    const rendered = testEmail({ ...sender, requestedBy: user?.name ?? 'Agency staff' });
    const id = await queueEmail(tx, actor.agencyId, { kind: 'test', to, ...rendered }, jobs);
    return { id, to };
  });
}
