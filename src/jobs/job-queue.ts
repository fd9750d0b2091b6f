import { fromKysely, type PgBoss } from 'pg-boss';
import type { JobQueue } from '../services/job-queue.ts';

/** pg-boss behind the services' JobQueue port: jobs are inserted through the use case's transaction. */
export function bossJobQueue(boss: PgBoss): JobQueue {
  return {
    async enqueue(tx, queue, data, options) {
      await boss.send(queue, data, {
        db: fromKysely(tx),
        ...(options?.startAfter ? { startAfter: options.startAfter } : {}),
        ...(options?.singletonKey ? { singletonKey: options.singletonKey } : {}),
      });
    },
    async enqueueMany(tx, queue, jobs) {
      if (jobs.length === 0) return;
      await boss.insert(
        queue,
        jobs.map((job) => ({ data: job.data, ...(job.startAfter ? { startAfter: job.startAfter } : {}) })),
        { db: fromKysely(tx) },
      );
    },
  };
}
