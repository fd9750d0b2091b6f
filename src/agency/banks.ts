import type { Actor } from '../kernel/actor.ts';
import { DomainError, notFound } from '../kernel/errors.ts';
import { isUuid } from '../kernel/ids.ts';
import { audit } from '../platform/db/audit.ts';
import { type Db, inTransaction, isUniqueViolation, type Tx } from '../platform/db/transaction.ts';

export interface BankInput {
  shortName: string;
  name: string;
  /** The division's name; created on first use. */
  division: string;
}

export interface BankView {
  id: string;
  shortName: string;
  name: string;
  division: string;
}

export async function createBank(db: Db | Tx, actor: Actor, input: BankInput): Promise<BankView> {
  return inTransaction(db, async (tx) => {
    await tx
      .insertInto('bank_divisions')
      .values({ agency_id: actor.agencyId, name: input.division })
      .onConflict((oc) => oc.columns(['agency_id', 'name']).doNothing())
      .execute();
    const division = await tx
      .selectFrom('bank_divisions')
      .select('id')
      .where('agency_id', '=', actor.agencyId)
      .where('name', '=', input.division)
      .executeTakeFirstOrThrow();
    try {
      const row = await tx
        .insertInto('banks')
        .values({
          agency_id: actor.agencyId,
          short_name: input.shortName,
          name: input.name,
          division_id: division.id,
        })
        .returning(['id', 'short_name', 'name'])
        .executeTakeFirstOrThrow();
      await audit(tx, actor, 'bank.created', { type: 'bank', id: row.id }, { ...input });
      return { id: row.id, shortName: row.short_name, name: row.name, division: input.division };
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new DomainError('already_exists', `bank ${input.shortName} already exists`, {
          errors: [{ path: 'shortName', message: 'already exists' }],
        });
      }
      throw error;
    }
  });
}

export async function listBanks(db: Db, actor: Actor): Promise<BankView[]> {
  const rows = await db
    .selectFrom('banks')
    .innerJoin('bank_divisions', 'bank_divisions.id', 'banks.division_id')
    .select(['banks.id', 'banks.short_name', 'banks.name', 'bank_divisions.name as division'])
    .where('banks.agency_id', '=', actor.agencyId)
    .orderBy('banks.short_name')
    .execute();
  return rows.map((r) => ({ id: r.id, shortName: r.short_name, name: r.name, division: r.division }));
}

export interface BankChange {
  name?: string | undefined;
  division?: string | undefined;
}

/**
 * Renames a bank or moves it to another division (created on first use). The short name stays:
 * receipts, the AMS360 export, API keys' bank lists and the default deposit banks refer to it.
 */
export async function updateBank(db: Db | Tx, actor: Actor, id: string, change: BankChange): Promise<BankView> {
  if (actor.role !== 'staff') throw new DomainError('forbidden', 'only agency staff may change banks');
  if (!isUuid(id)) throw notFound('bank', id);
  return inTransaction(db, async (tx) => {
    const current = await tx
      .selectFrom('banks')
      .innerJoin('bank_divisions', 'bank_divisions.id', 'banks.division_id')
      .select(['banks.id', 'banks.short_name', 'banks.name', 'bank_divisions.name as division'])
      .where('banks.agency_id', '=', actor.agencyId)
      .where('banks.id', '=', id)
      .forUpdate()
      .executeTakeFirst();
    if (!current) throw notFound('bank', id);
    const division = change.division ?? current.division;
    const values: { name?: string; division_id?: string } = {};
    if (change.name !== undefined) values.name = change.name;
    if (division !== current.division) {
      await tx
        .insertInto('bank_divisions')
        .values({ agency_id: actor.agencyId, name: division })
        .onConflict((oc) => oc.columns(['agency_id', 'name']).doNothing())
        .execute();
      const row = await tx
        .selectFrom('bank_divisions')
        .select('id')
        .where('agency_id', '=', actor.agencyId)
        .where('name', '=', division)
        .executeTakeFirstOrThrow();
      values.division_id = row.id;
    }
    if (values.division_id) await moveKeyGrants(tx, actor.agencyId, current.short_name, current.id, values.division_id);
    if (Object.keys(values).length > 0) {
      await tx.updateTable('banks').set(values).where('id', '=', current.id).execute();
      await audit(tx, actor, 'bank.updated', { type: 'bank', id: current.id }, { ...change });
    }
    return { id: current.id, shortName: current.short_name, name: change.name ?? current.name, division };
  });
}

/**
 * A key limited to some banks is also limited to their divisions (bank-access.ts checks both), so
 * a bank moved to another division keeps working for the keys that name it: their division lists
 * are recomputed from their banks.
 */
async function moveKeyGrants(tx: Tx, agencyId: string, shortName: string, bankId: string, divisionId: string) {
  await tx.updateTable('banks').set({ division_id: divisionId }).where('id', '=', bankId).execute();
  const keys = await tx
    .selectFrom('api_keys')
    .select(['id', 'banks'])
    .where('agency_id', '=', agencyId)
    .where('banks', 'is not', null)
    .execute();
  for (const key of keys.filter((k) => k.banks?.includes(shortName))) {
    const rows = await tx
      .selectFrom('banks')
      .innerJoin('bank_divisions', 'bank_divisions.id', 'banks.division_id')
      .select('bank_divisions.name')
      .where('banks.agency_id', '=', agencyId)
      .where('banks.short_name', 'in', key.banks ?? [])
      .execute();
    const divisions = [...new Set(rows.map((r) => r.name))].sort();
    await tx.updateTable('api_keys').set({ divisions }).where('id', '=', key.id).execute();
  }
}
