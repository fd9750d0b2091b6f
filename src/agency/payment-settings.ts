import { sql } from 'kysely';
import { paymentChannels } from '../eligibility/rules/channels.ts';
import {
  applyPaymentSettingsPatch,
  changedPaymentSettings,
  type PaymentSettings,
  type PaymentSettingsChange,
  paymentSettingsFromStored,
  storedPaymentSettings,
  validatePaymentSettingsPatch,
} from '../eligibility/rules/payment-settings.ts';
import type { Actor } from '../kernel/actor.ts';
import { DomainError, notFound } from '../kernel/errors.ts';
import { isUuid } from '../kernel/ids.ts';
import { audit } from '../platform/db/audit.ts';
import { type Db, inTransaction, type Tx } from '../platform/db/transaction.ts';

/** Where the payment settings live inside `agencies.settings`. */
const PAYMENT_SETTINGS_KEY = 'payments';

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
  patch: PaymentSettingsChange,
): Promise<PaymentSettings> {
  if (actor.role !== 'staff') throw new DomainError('forbidden', 'only agency staff may change payment settings');
  const checked = validatePaymentSettingsPatch(patch);
  return inTransaction(db, async (tx) => {
    const clean = await resolveDepositBankNames(tx, actor.agencyId, checked);
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

/**
 * Each default deposit bank named by short name or id must be a bank of the agency; it is stored
 * by short name (what receipts and exports show). Every unknown one is named in the refusal.
 */
async function resolveDepositBankNames(
  tx: Tx,
  agencyId: string,
  patch: PaymentSettingsChange,
): Promise<PaymentSettingsChange> {
  const wanted = patch.defaultDepositBanks;
  if (!wanted) return patch;
  const names = Object.values(wanted).filter((v): v is string => typeof v === 'string');
  if (names.length === 0) return patch;
  const ids = names.filter(isUuid);
  const banks = await tx
    .selectFrom('banks')
    .select(['id', 'short_name'])
    .where('agency_id', '=', agencyId)
    .where((eb) => eb.or([eb('short_name', 'in', names), ...(ids.length ? [eb('id', 'in', ids)] : [])]))
    .execute();
  const resolved: Record<string, string | null> = {};
  const errors: { path: string; message: string }[] = [];
  for (const channel of paymentChannels) {
    const value = wanted[channel];
    if (value === undefined) continue;
    if (value === null) {
      resolved[channel] = null;
      continue;
    }
    const bank = banks.find((b) => b.short_name === value) ?? banks.find((b) => b.id === value);
    if (bank) resolved[channel] = bank.short_name;
    else errors.push({ path: `defaultDepositBanks/${channel}`, message: `unknown bank "${value}"` });
  }
  if (errors.length > 0) {
    throw new DomainError('unprocessable', errors.map((e) => `${e.path}: ${e.message}`).join('; '), { errors });
  }
  return { ...patch, defaultDepositBanks: resolved };
}
