import { fromKysely, type PgBoss } from 'pg-boss';
import { derivedSingletonKey, type JobQueue } from './job-queue.ts';

/** pg-boss behind the services' JobQueue port: jobs are inserted through the use case's transaction. */
export function bossJobQueue(boss: PgBoss): JobQueue {
  return {
    async enqueue(tx, queue, data, options) {
      const singletonKey = options?.singletonKey ?? derivedSingletonKey(queue, data);
      await boss.send(queue, data, {
        db: fromKysely(tx),
        ...(options?.startAfter ? { startAfter: options.startAfter } : {}),
        ...(singletonKey ? { singletonKey } : {}),
      });
    },
    async enqueueMany(tx, queue, jobs) {
      if (jobs.length === 0) return;
      await boss.insert(
        queue,
        jobs.map((job) => {
          const singletonKey = derivedSingletonKey(queue, job.data);
          return {
            data: job.data,
            ...(job.startAfter ? { startAfter: job.startAfter } : {}),
            ...(singletonKey ? { singletonKey } : {}),
          };
        }),
        { db: fromKysely(tx) },
      );
    },
  };
}
