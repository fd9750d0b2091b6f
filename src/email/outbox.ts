import type { Actor } from '../kernel/actor.ts';
import { notFound } from '../kernel/errors.ts';
import { isUuid } from '../kernel/ids.ts';
import type { EmailStatus } from '../platform/db/schema.ts';
import type { Db, Tx } from '../platform/db/transaction.ts';
import type { JobQueue } from '../platform/jobs/job-queue.ts';

export const emailStatuses = ['pending', 'sent', 'failed', 'kept'] as const satisfies readonly EmailStatus[];

/**
 * One job per e-mail: the queue's `exclusive` policy keeps at most one live job per key (the
 * e-mail's id), so the sweep can re-enqueue any pending e-mail without a second sender. (Earlier
 * versions used `email.send`, which cannot change its policy; its pending e-mails are swept.)
 */
export const emailQueue = 'email.deliver';
export const emailSweepQueue = 'email.sweep';

/** Tries per e-mail before it is marked failed (the queue retries with exponential backoff). */
export const EMAIL_MAX_ATTEMPTS = 5;

export interface OutgoingEmail {
  kind: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  related?: { type: string; id: string } | undefined;
}

export interface EmailView {
  id: string;
  kind: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  status: EmailStatus;
  attempts: number;
  lastError: string | null;
  createdAt: Date;
  sentAt: Date | null;
}

/**
 * Writes an e-mail to the outbox and enqueues its sending, both in the caller's transaction: the
 * e-mail exists (and is sent) exactly when the event that caused it committed.
 */
export async function queueEmail(tx: Tx, agencyId: string, email: OutgoingEmail, jobs: JobQueue): Promise<string> {
  const row = await tx
    .insertInto('emails')
    .values({
      agency_id: agencyId,
      kind: email.kind,
      to_address: email.to,
      subject: email.subject,
      text_body: email.text,
      html_body: email.html,
      related_type: email.related?.type ?? null,
      related_id: email.related?.id ?? null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await jobs.enqueue(tx, emailQueue, { emailId: row.id }, { singletonKey: row.id });
  return row.id;
}

/**
 * E-mails still to send, oldest first: the sweep enqueues each (a no-op while its job lives), so
 * an e-mail written where no job could be enqueued, or whose job gave up while the database was
 * away, is still sent.
 */
export async function pendingEmailIds(
  db: Db,
  limit: number,
  after?: { createdAt: Date; id: string },
): Promise<{ id: string; createdAt: Date }[]> {
  let query = db.selectFrom('emails').select(['id', 'created_at']).where('status', '=', 'pending');
  if (after) {
    query = query.where((eb) =>
      eb.or([
        eb('created_at', '>', after.createdAt),
        eb.and([eb('created_at', '=', after.createdAt), eb('id', '>', after.id)]),
      ]),
    );
  }
  const rows = await query.orderBy('created_at').orderBy('id').limit(limit).execute();
  return rows.map((row) => ({ id: row.id, createdAt: row.created_at }));
}

function view(row: {
  id: string;
  kind: string;
  to_address: string;
  subject: string;
  text_body: string;
  html_body: string;
  status: EmailStatus;
  attempts: number;
  last_error: string | null;
  created_at: Date;
  sent_at: Date | null;
}): EmailView {
  return {
    id: row.id,
    kind: row.kind,
    to: row.to_address,
    subject: row.subject,
    text: row.text_body,
    html: row.html_body,
    status: row.status,
    attempts: row.attempts,
    lastError: row.last_error,
    createdAt: row.created_at,
    sentAt: row.sent_at,
  };
}

export async function listEmails(
  db: Db,
  actor: Actor,
  filter: { status?: EmailStatus | undefined; limit: number },
): Promise<EmailView[]> {
  let query = db.selectFrom('emails').selectAll().where('agency_id', '=', actor.agencyId);
  if (filter.status) query = query.where('status', '=', filter.status);
  const rows = await query.orderBy('created_at', 'desc').orderBy('id').limit(filter.limit).execute();
  return rows.map(view);
}

export async function getEmail(db: Db, actor: Actor, id: string): Promise<EmailView> {
  const row = isUuid(id)
    ? await db
        .selectFrom('emails')
        .selectAll()
        .where('agency_id', '=', actor.agencyId)
        .where('id', '=', id)
        .executeTakeFirst()
    : undefined;
  if (!row) throw notFound('e-mail', id);
  return view(row);
}

/** What sends a message: nodemailer's transport in production, anything with `sendMail` in tests. */
export interface MailTransport {
  sendMail(message: {
    from: { name: string; address: string };
    to: string;
    subject: string;
    text: string;
    html: string;
  }): Promise<unknown>;
}

export type DeliveryResult = 'sent' | 'kept' | 'already_done' | 'failed';

/**
 * Sends one outbox e-mail. Without a transport (no SMTP_URL) the message is kept in the outbox for
 * the console. A failed try records the error and throws, so the queue retries it with backoff;
 * the last allowed try marks it failed instead. The network call happens with no transaction open.
 */
export async function deliverEmail(
  db: Db,
  transport: MailTransport | null,
  emailId: string,
  options: {
    from: string;
    now?: Date;
    /** Told of each message kept for want of SMTP (the server prints its portal links; see email/jobs.ts). */
    onKept?: (email: { to: string; subject: string; text: string }) => void;
  },
): Promise<DeliveryResult> {
  const row = await db
    .selectFrom('emails')
    .innerJoin('agencies', 'agencies.id', 'emails.agency_id')
    .select(['emails.id', 'emails.status', 'emails.attempts', 'emails.to_address', 'emails.subject'])
    .select(['emails.text_body', 'emails.html_body', 'agencies.name as agency_name'])
    .where('emails.id', '=', emailId)
    .executeTakeFirst();
  if (!row || row.status === 'sent' || row.status === 'failed') return 'already_done';
  if (!transport) {
    await db.updateTable('emails').set({ status: 'kept' }).where('id', '=', emailId).execute();
    options.onKept?.({ to: row.to_address, subject: row.subject, text: row.text_body });
    return 'kept';
  }
  const attempts = row.attempts + 1;
  await db.updateTable('emails').set({ attempts }).where('id', '=', emailId).execute();
  try {
    await transport.sendMail({
      // The agency's name as the display name; nodemailer quotes and encodes it.
      from: { name: row.agency_name, address: options.from },
      to: row.to_address,
      subject: row.subject,
      text: row.text_body,
      html: row.html_body,
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const last = attempts >= EMAIL_MAX_ATTEMPTS;
    await db
      .updateTable('emails')
      .set({ last_error: message.slice(0, 1000), ...(last ? { status: 'failed' } : {}) })
      .where('id', '=', emailId)
      .execute();
    if (last) return 'failed';
    throw error;
  }
  await db
    .updateTable('emails')
    .set({ status: 'sent', sent_at: options.now ?? new Date(), last_error: null })
    .where('id', '=', emailId)
    .execute();
  return 'sent';
}
