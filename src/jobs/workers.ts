import type { PgBoss } from 'pg-boss';
import type { DatabaseHandle } from '../db/database.ts';
import type { Processors } from '../services/payment-methods.ts';
import { registerAmsReceiptWorkers } from './ams-receipts.ts';
import { registerAutopayWorkers } from './autopay.ts';
import { createBoss } from './boss.ts';
import { type EmailWorkerOptions, registerEmailWorkers } from './email.ts';
import { registerMaintenance } from './maintenance.ts';
import { registerPaymentWorkers } from './payments.ts';
import { registerPortalWorkers } from './portal.ts';
import { registerSyncWorkers } from './sync.ts';

export interface Workers {
  boss: PgBoss;
  stop(): Promise<void>;
}

/** Starts pg-boss and every worker and schedule this process runs. */
export async function startWorkers(
  database: DatabaseHandle,
  options: { schema?: string; processors?: Processors; email?: EmailWorkerOptions } = {},
): Promise<Workers> {
  const boss = createBoss(database, options);
  boss.on('error', (error) => console.error('[workers]', error.message));
  await boss.start();
  await registerMaintenance(boss, database.db, { databaseKind: database.kind });
  await registerEmailWorkers(boss, database.db, options.email);
  await registerPortalWorkers(boss, database.db);
  await registerSyncWorkers(boss, database.db);
  await registerAmsReceiptWorkers(boss, database.db, { databaseKind: database.kind });
  if (options.processors) {
    await registerPaymentWorkers(boss, database.db, options.processors, { databaseKind: database.kind });
    await registerAutopayWorkers(boss, database.db, { databaseKind: database.kind });
  }
  return {
    boss,
    async stop() {
      await boss.stop({ graceful: true, timeout: 5000 });
    },
  };
}
