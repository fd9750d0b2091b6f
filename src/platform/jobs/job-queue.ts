import type { Tx } from '../db/transaction.ts';

/**
 * The port through which a use case asks for follow-up work. Jobs are enqueued inside the use
 * case's transaction (pg-boss through the same connection), so they exist exactly when the change
 * that asked for them committed.
 */
export interface JobQueue {
  enqueue(
    tx: Tx,
    queue: string,
    data: object,
    /** `singletonKey`: no second job while one with this key is queued or running (exclusive queues). */
    options?: { startAfter?: Date | undefined; singletonKey?: string | undefined },
  ): Promise<void>;
  /** Many jobs of one queue in one statement (the autopay pass queues a page's payments at once). */
  enqueueMany(tx: Tx, queue: string, jobs: { data: object; startAfter?: Date | undefined }[]): Promise<void>;
}

/** For callers without workers (tests, CLI): scheduled sweeps pick the work up instead. */
export const noJobQueue: JobQueue = {
  async enqueue() {},
  async enqueueMany() {},
};

/** The autopay pass (every agency with work); the schedule sends it every minute, a re-fire at once. */
export const autopayQueues = {
  pass: 'autopay.pass',
} as const;

/**
 * `payments.charge` is an exclusive queue (one queued or running job per key) keyed by payment
 * and attempt count, so a sweep or a second enqueue never doubles a payment's job, while the
 * retry a running job schedules (the next attempt) gets a key of its own. It replaced
 * `payments.execute`, whose policy pg-boss cannot change; the sweep re-finds anything left there.
 */
export const paymentQueues = {
  execute: 'payments.charge',
} as const;

/** The job key of a payment's next attempt: its id and the attempts it has made so far. */
export function paymentJobKey(paymentId: string, attempts = 0): string {
  return `${paymentId}#${attempts}`;
}

/** A queue's job key derived from its data (payments are keyed by attempt; others by the caller). */
export function derivedSingletonKey(queue: string, data: object): string | undefined {
  if (queue !== paymentQueues.execute || !('paymentId' in data) || typeof data.paymentId !== 'string') return undefined;
  const attempts = 'attempts' in data && typeof data.attempts === 'number' ? data.attempts : 0;
  return paymentJobKey(data.paymentId, attempts);
}
