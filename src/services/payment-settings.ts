import { sql } from 'kysely';
import { DomainError, notFound } from '../domain/errors.ts';
import {
  applyPaymentSettingsPatch,
  changedPaymentSettings,
  type PaymentSettings,
  type PaymentSettingsPatch,
  paymentSettingsFromStored,
  storedPaymentSettings,
  validatePaymentSettingsPatch,
} from '../domain/payment-settings.ts';
import type { Actor } from './actor.ts';
import { audit } from './audit.ts';
import { type Db, inTransaction, type Tx } from './transaction.ts';

/** Where the payment settings live inside `agencies.settings`. */
export const PAYMENT_SETTINGS_KEY = 'payments';

async function storedSettings(db: Db | Tx, agencyId: string, lock = false): Promise<unknown> {
  let query = db.selectFrom('agencies').select('settings').where('id', '=', agencyId);
  if (lock) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  if (!row) throw notFound('agency', agencyId);
  return row.settings?.[PAYMENT_SETTINGS_KEY];
}

/** An agency's payment settings, defaults applied. For payment paths that run inside their own transaction. */
export async function loadPaymentSettings(db: Db | Tx, agencyId: string): Promise<PaymentSettings> {
  return paymentSettingsFromStored(await storedSettings(db, agencyId));
}

export async function getPaymentSettings(db: Db | Tx, actor: Actor): Promise<PaymentSettings> {
  return loadPaymentSettings(db, actor.agencyId);
}

/**
 * Changes some payment settings. Only staff may; the whole result is validated before anything
 * is written, and only the settings the agency sets explicitly are stored (the rest follow the
 * defaults).
 */
export async function updatePaymentSettings(
  db: Db | Tx,
  actor: Actor,
  patch: PaymentSettingsPatch,
): Promise<PaymentSettings> {
  if (actor.role !== 'staff') throw new DomainError('forbidden', 'only agency staff may change payment settings');
  const clean = validatePaymentSettingsPatch(patch);
  return inTransaction(db, async (tx) => {
    const stored = await storedSettings(tx, actor.agencyId, true);
    const current = paymentSettingsFromStored(stored);
    const next = applyPaymentSettingsPatch(current, clean);
    const changes = changedPaymentSettings(current, next);
    if (Object.keys(changes).length === 0) return current;
    const explicit = JSON.stringify(storedPaymentSettings(stored, clean));
    // Merge into the jsonb so that other features' settings in the same column stay as they are.
    await tx
      .updateTable('agencies')
      .set({ settings: sql<string>`settings || jsonb_build_object(${PAYMENT_SETTINGS_KEY}::text, ${explicit}::jsonb)` })
      .where('id', '=', actor.agencyId)
      .execute();
    await audit(tx, actor, 'payment_settings.updated', { type: 'agency', id: actor.agencyId }, { changes });
    return next;
  });
}
