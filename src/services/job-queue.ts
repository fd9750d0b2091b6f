import type { Tx } from './transaction.ts';

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

export const paymentQueues = {
  execute: 'payments.execute',
} as const;
