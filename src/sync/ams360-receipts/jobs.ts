import type { PgBoss } from 'pg-boss';
import type { DatabaseKind } from '../../platform/db/database.ts';
import type { Db } from '../../platform/db/transaction.ts';
import { amsReceiptQueues } from './outbox.ts';
import { sendDueAmsReceipts } from './sender.ts';

/**
 * AMS360 receipt export workers. A `send` job is enqueued with each export (in the receipt's
 * transaction) so it goes out at once; the every-minute sweep sends retries whose time came and
 * exports whose job was lost or whose sender died. Both just run the sender over what is due: the
 * export rows, not the jobs, are the truth.
 */
export async function registerAmsReceiptWorkers(
  boss: PgBoss,
  db: Db,
  options: { databaseKind: DatabaseKind; settings: { amsReceiptConcurrency: number; sweepCron: string } },
): Promise<void> {
  for (const queue of [amsReceiptQueues.send, amsReceiptQueues.sweep]) await boss.createQueue(queue);
  const concurrency = options.databaseKind === 'postgres' ? options.settings.amsReceiptConcurrency : 1;
  await boss.work(amsReceiptQueues.send, { localConcurrency: 1, batchSize: 10 }, async () =>
    sendDueAmsReceipts(db, { limit: 20, concurrency }),
  );
  await boss.schedule(amsReceiptQueues.sweep, options.settings.sweepCron);
  await boss.work(amsReceiptQueues.sweep, async () => {
    let total = 0;
    // Drain what is due, a page at a time.
    for (;;) {
      const report = await sendDueAmsReceipts(db, { limit: 50, concurrency });
      total += report.claimed;
      if (report.claimed < 50) return { claimed: total };
    }
  });
}
