import { sql } from 'kysely';
import type { Actor } from '../../kernel/actor.ts';
import { DomainError, notFound } from '../../kernel/errors.ts';
import { audit } from '../../platform/db/audit.ts';
import { type Db, inTransaction, type Tx } from '../../platform/db/transaction.ts';
import {
  type ConvenienceFees,
  checkConvenienceFees,
  convenienceFeesFromStored,
  storedConvenienceFees,
} from '../rules/fee-settings.ts';

/** Where the fees live inside `agencies.settings`, beside the payment settings. */
const KEY = 'convenienceFees';

async function stored(db: Db | Tx, agencyId: string, lock = false): Promise<unknown> {
  let query = db.selectFrom('agencies').select('settings').where('id', '=', agencyId);
  if (lock) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  if (!row) throw notFound('agency', agencyId);
  return row.settings?.[KEY];
}

/** The agency's convenience fees (off unless set). */
export async function loadConvenienceFees(db: Db | Tx, agencyId: string): Promise<ConvenienceFees> {
  return convenienceFeesFromStored(await stored(db, agencyId));
}

/** Replaces both fee settings (staff only); checked whole before anything is written. */
export async function updateConvenienceFees(
  db: Db | Tx,
  actor: Actor,
  fees: ConvenienceFees,
): Promise<ConvenienceFees> {
  if (actor.role !== 'staff') throw new DomainError('forbidden', 'only agency staff may change convenience fees');
  const checked = checkConvenienceFees(fees);
  return inTransaction(db, async (tx) => {
    const before = convenienceFeesFromStored(await stored(tx, actor.agencyId, true));
    const json = JSON.stringify(storedConvenienceFees(checked));
    await tx
      .updateTable('agencies')
      .set({ settings: sql<string>`settings || jsonb_build_object(${KEY}::text, ${json}::jsonb)` })
      .where('id', '=', actor.agencyId)
      .execute();
    await audit(
      tx,
      actor,
      'convenience_fees.updated',
      { type: 'agency', id: actor.agencyId },
      { from: storedConvenienceFees(before), to: storedConvenienceFees(checked) },
    );
    return checked;
  });
}
