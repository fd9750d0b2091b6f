import { sql } from 'kysely';
import { systemActor } from '../kernel/actor.ts';
import { DomainError } from '../kernel/errors.ts';
import type { Db, Tx } from '../platform/db/transaction.ts';
import { createBank } from './banks.ts';
import { type AgencySetUp, setUpAgency } from './onboarding.ts';
import { updatePaymentSettings } from './payment-settings.ts';
import { checkFirstRun, type FirstRunInput } from './rules/first-run.ts';

/** Keeps two first-run submissions from both finding the database empty. */
const FIRST_RUN_LOCK = 0x66727374; // 'frst'

/** True while the database holds no agency: the first run is still to be done. */
export async function firstRunNeeded(db: Db | Tx): Promise<boolean> {
  const agency = await db.selectFrom('agencies').select('id').limit(1).executeTakeFirst();
  return agency === undefined;
}

/**
 * The first run, in the caller's transaction: the agency and its first staff user (as
 * `policypay agency create` sets them up), then its banks, the first of them the default deposit
 * bank of every channel (so autopay and the portal deposit somewhere without another step).
 * Refused once any agency exists: a first run happens once per database.
 */
export async function completeFirstRun(tx: Tx, raw: FirstRunInput): Promise<AgencySetUp> {
  const input = checkFirstRun(raw);
  await sql`SELECT pg_advisory_xact_lock(${FIRST_RUN_LOCK}::int, 0)`.execute(tx);
  if (!(await firstRunNeeded(tx))) {
    throw new DomainError('conflict', 'policypay is already set up: sign in instead');
  }
  const setUp = await setUpAgency(tx, input, 'first-run');
  const actor = systemActor(setUp.agency.id, 'first-run');
  for (const bank of input.banks) await createBank(tx, actor, bank);
  const first = input.banks[0]!.shortName;
  await updatePaymentSettings(tx, actor, {
    defaultDepositBanks: { autopay: first, secure_checkout: first, agent_sweep: first },
  });
  return setUp;
}
