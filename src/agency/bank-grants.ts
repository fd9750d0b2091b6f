import type { Actor } from '../kernel/actor.ts';
import type { Db } from '../platform/db/transaction.ts';

export interface BankGrant {
  keyId: string;
  keyName: string;
  keyPrefix: string;
  role: 'staff' | 'agent';
  /** Bank short names the key may deposit to; null = every bank. */
  banks: string[] | null;
}

/**
 * Who may deposit to which bank: the agency's live API keys and their bank lists (bank-access.ts
 * enforces them). Signed-in users are not limited to banks, so they are not listed.
 */
export async function listBankGrants(db: Db, actor: Actor): Promise<BankGrant[]> {
  const rows = await db
    .selectFrom('api_keys')
    .select(['id', 'name', 'key_prefix', 'role', 'banks'])
    .where('agency_id', '=', actor.agencyId)
    .where('revoked_at', 'is', null)
    .orderBy('name')
    .orderBy('id')
    .execute();
  return rows.map((r) => ({ keyId: r.id, keyName: r.name, keyPrefix: r.key_prefix, role: r.role, banks: r.banks }));
}
