import type { Kysely } from 'kysely';
import { runScript } from './sql-script.ts';

// An Idempotency-Key is taken over only when its owner provably did not commit and is not
// running (no timer): `owner` is the claiming request's token, checked under the row's lock by
// the transaction that commits the effect, so an owner whose key was taken over cannot commit.
// `committed`: a use case that calls the processor commits its effect (and `response_ref`, what
// the answer is about) before the network call; its final answer, when it gets one, comes after.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    ALTER TABLE idempotency_keys ADD COLUMN owner uuid;
    ALTER TABLE idempotency_keys ADD COLUMN response_ref text;
    ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_state_check;
    ALTER TABLE idempotency_keys ADD CONSTRAINT idempotency_keys_state_check
      CHECK (state IN ('in_progress', 'committed', 'completed'));
    `,
  );
}
