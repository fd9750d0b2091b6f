import type { Actor } from '../kernel/actor.ts';
import { DomainError } from '../kernel/errors.ts';
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
