import type { Kysely } from 'kysely';
import { runScript } from './sql-script.ts';

// The e-mail sweep reads the outbox's pending e-mails, oldest first, every minute: a partial index
// keeps that read to the few pending rows however many e-mails were ever sent.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(db, `CREATE INDEX emails_pending_idx ON emails (created_at, id) WHERE status = 'pending';`);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runScript(db, 'DROP INDEX emails_pending_idx;');
}
