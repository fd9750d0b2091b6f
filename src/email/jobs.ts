import nodemailer from 'nodemailer';
import type { PgBoss } from 'pg-boss';
import { z } from 'zod';
import type { Db } from '../platform/db/transaction.ts';
import { defaultLogger, type Logger } from '../platform/log/logger.ts';
import {
  deliverEmail,
  EMAIL_MAX_ATTEMPTS,
  emailQueue,
  emailSweepQueue,
  type MailTransport,
  pendingEmailIds,
} from './outbox.ts';

export interface EmailWorkerOptions {
  /** `SMTP_URL`, e.g. smtp://user:pass@mail.example.com:587; without it e-mails stay in the outbox. */
  smtpUrl?: string | undefined;
  /** The sender address (`EMAIL_FROM`); the agency's name is its display name. */
  from?: string | undefined;
  /** First retry delay in seconds; later ones double (pg-boss backoff). */
  retryDelaySeconds?: number;
  /** How often an idle worker asks for the next e-mail (`EMAIL_POLLING_INTERVAL_SECONDS`). */
  pollingIntervalSeconds?: number;
  /** E-mails sent at once by this process (`WORKER_EMAIL_CONCURRENCY`). */
  concurrency?: number;
  /** When the sweep looks for pending e-mails (`SWEEP_CRON`); null: never (tests that run it by hand). */
  sweepCron?: string | null;
  /**
   * Where a kept e-mail's portal links are printed without SMTP: `serve` and `worker` print them in
   * the operator's terminal. Default: only a log line naming the e-mail (links hold sign-in tokens).
   */
  printLine?: (line: string) => void;
  /** Default: warnings and errors on stderr. */
  logger?: Logger;
}

const PORTAL_LINK = /https?:\/\/\S+?\/(?:portal\/(?:enroll|sign-in)|set-password)\?\S+/g;

/**
 * Without SMTP nobody receives a client's sign-in or enrollment link (or a console user's
 * set-password link), and the console's Email page hides its token; so the operator's terminal
 * shows it (`npm start`'s output), which is how the demo's client reaches the portal.
 */
function keptEmailNotice(email: { to: string; subject: string; text: string }): string | undefined {
  const links = email.text.match(PORTAL_LINK);
  if (!links) return undefined;
  return `e-mail kept (no SMTP_URL) for ${email.to}, "${email.subject}": ${[...new Set(links)].join(' ')}`;
}

const DEFAULT_EMAIL_FROM = 'no-reply@policypay.localhost';

const sendJob = z.object({ emailId: z.uuid() });

function smtpTransport(smtpUrl: string): MailTransport {
  return nodemailer.createTransport(smtpUrl);
}

/**
 * The outbox's sender. The queue always exists (use cases enqueue into it in their transaction);
 * without SMTP the worker marks each message "kept" so the console shows it as not sent.
 */
export async function registerEmailWorkers(boss: PgBoss, db: Db, options: EmailWorkerOptions = {}): Promise<void> {
  await createEmailQueues(boss, options);
  const transport = options.smtpUrl ? smtpTransport(options.smtpUrl) : null;
  const from = options.from ?? DEFAULT_EMAIL_FROM;
  const logger = options.logger ?? defaultLogger();
  const onKept = (email: { to: string; subject: string; text: string }) => {
    const notice = keptEmailNotice(email);
    if (!notice) return;
    if (options.printLine) options.printLine(notice);
    else logger.info({ to: email.to, subject: email.subject }, 'e-mail kept (no SMTP_URL) with a portal link');
  };
  // One message per job so a failure retries only that message; a short poll keeps a burst of
  // notifications (a payment tells four people) from queueing for seconds each.
  await boss.work(
    emailQueue,
    {
      batchSize: 1,
      localConcurrency: options.concurrency ?? 1,
      pollingIntervalSeconds: options.pollingIntervalSeconds ?? 0.5,
    },
    async ([job]) => {
      const { emailId } = sendJob.parse(job?.data);
      return { result: await deliverEmail(db, transport, emailId, { from, onKept }) };
    },
  );
  // Whatever process wrote an e-mail (an API process without workers, one whose job was lost or
  // gave up while the database was away), a worker's sweep enqueues it; the queue's exclusive
  // policy makes that a no-op for an e-mail whose job still lives, so it is never sent twice.
  if (options.sweepCron === null) await boss.unschedule(emailSweepQueue);
  else await boss.schedule(emailSweepQueue, options.sweepCron ?? '* * * * *');
  await boss.work(emailSweepQueue, async () => ({ enqueued: await sweepEmails(boss, db) }));
}

/** The e-mail queues, created by whichever process first sends or works them. */
export async function createEmailQueues(
  boss: PgBoss,
  options: Pick<EmailWorkerOptions, 'retryDelaySeconds'> = {},
): Promise<void> {
  await boss.createQueue(emailQueue, {
    policy: 'exclusive',
    retryLimit: EMAIL_MAX_ATTEMPTS - 1,
    retryDelay: options.retryDelaySeconds ?? 30,
    retryBackoff: true,
    retryDelayMax: 3600,
  });
  await boss.createQueue(emailSweepQueue);
}

/** Enqueues every pending e-mail (one job per e-mail at most); answers how many were enqueued. */
export async function sweepEmails(boss: PgBoss, db: Db): Promise<number> {
  let enqueued = 0;
  let after: { id: string; createdAt: Date } | undefined;
  for (;;) {
    const page = await pendingEmailIds(db, 500, after);
    for (const { id } of page) {
      if (await boss.send(emailQueue, { emailId: id }, { singletonKey: id })) enqueued++;
    }
    if (page.length < 500) return enqueued;
    after = page.at(-1);
  }
}
