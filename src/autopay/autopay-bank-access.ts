import { channelDepositBank } from '../agency/bank-access.ts';
import type { Actor } from '../kernel/actor.ts';
import type { Db, Tx } from '../platform/db/transaction.ts';

/**
 * Whether a caller limited to some banks (or divisions) may see the money autopay has not yet
 * taken: pulls go to the agency's autopay deposit bank, so the grant that limits where a caller
 * may deposit limits which pulls it sees (as `visibleReceipts` does for receipts). A caller
 * without a list sees everything; with one, nothing when the agency names no single autopay bank.
 */
export async function seesAutopayBank(db: Db | Tx, actor: Actor): Promise<boolean> {
  if (!actor.banks && !actor.divisions) return true;
  const bank = await channelDepositBank(db, actor.agencyId, 'autopay').catch(() => null);
  if (!bank) return false;
  const row = await db
    .selectFrom('banks')
    .innerJoin('bank_divisions', 'bank_divisions.id', 'banks.division_id')
    .select(['banks.short_name', 'bank_divisions.name as division'])
    .where('banks.id', '=', bank.id)
    .executeTakeFirstOrThrow();
  return (
    (!actor.banks || actor.banks.includes(row.short_name)) &&
    (!actor.divisions || actor.divisions.includes(row.division))
  );
}
