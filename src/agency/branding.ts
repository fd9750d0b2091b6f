import { sql } from 'kysely';
import type { Actor } from '../kernel/actor.ts';
import { DomainError, notFound } from '../kernel/errors.ts';
import { audit } from '../platform/db/audit.ts';
import { type Db, inTransaction, type Tx } from '../platform/db/transaction.ts';
import {
  type Branding,
  type BrandingPatch,
  brandingFromStored,
  type EmailSender,
  emailSender,
  validateBrandingPatch,
} from './rules/branding.ts';

/** Where the branding lives inside `agencies.settings`. */
const BRANDING_KEY = 'branding';

async function agencyRow(db: Db | Tx, agencyId: string, lock = false) {
  let query = db.selectFrom('agencies').select(['name', 'settings']).where('id', '=', agencyId);
  if (lock) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  if (!row) throw notFound('agency', agencyId);
  return { name: row.name, branding: brandingFromStored(row.settings?.[BRANDING_KEY]) };
}

/** The agency's branding and its own name (what an unset display name falls back to). */
export async function getBranding(db: Db | Tx, actor: Actor): Promise<Branding & { agencyName: string }> {
  const row = await agencyRow(db, actor.agencyId);
  return { ...row.branding, agencyName: row.name };
}

/** Who the agency's e-mails are from: its display name, colour and logo. For senders inside their own transaction. */
export async function loadEmailSender(db: Db | Tx, agencyId: string): Promise<EmailSender> {
  return emailSender(await agencyRow(db, agencyId));
}

/** Changes the branding (staff only); omitted fields stay, null restores a default. */
export async function updateBranding(
  db: Db | Tx,
  actor: Actor,
  patch: BrandingPatch,
): Promise<Branding & { agencyName: string }> {
  if (actor.role !== 'staff') throw new DomainError('forbidden', 'only agency staff may change the branding');
  const clean = validateBrandingPatch(patch);
  return inTransaction(db, async (tx) => {
    const current = await agencyRow(tx, actor.agencyId, true);
    const next: Branding = { ...current.branding, ...clean };
    // Merged into the jsonb so that other features' settings in the same column stay as they are.
    await tx
      .updateTable('agencies')
      .set({
        settings: sql<string>`settings || jsonb_build_object(${BRANDING_KEY}::text, ${JSON.stringify(next)}::jsonb)`,
      })
      .where('id', '=', actor.agencyId)
      .execute();
    await audit(tx, actor, 'branding.updated', { type: 'agency', id: actor.agencyId }, { ...clean });
    return { ...next, agencyName: current.name };
  });
}
