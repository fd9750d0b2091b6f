import type { PgBoss } from 'pg-boss';
import type { DatabaseHandle } from '../db/database.ts';
import { createBoss } from './boss.ts';
import { registerMaintenance } from './maintenance.ts';

export interface Workers {
  boss: PgBoss;
  stop(): Promise<void>;
}

/** Starts pg-boss and every worker and schedule this process runs. */
export async function startWorkers(database: DatabaseHandle, options: { schema?: string } = {}): Promise<Workers> {
  const boss = createBoss(database, options);
  boss.on('error', (error) => console.error('[workers]', error.message));
  await boss.start();
  await registerMaintenance(boss, database.db);
  return {
    boss,
    async stop() {
      await boss.stop({ graceful: true, timeout: 5000 });
    },
  };
}
