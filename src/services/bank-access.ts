import { DomainError } from '../domain/errors.ts';
import type { Actor } from './actor.ts';
import type { Db, Tx } from './transaction.ts';

export interface DepositBank {
  id: string;
  shortName: string;
  division: string;
}

/**
 * The bank a receipt is deposited to. Unknown → 422; a caller limited to a bank list needs both
 * the bank and its division in its grant → 403 otherwise. Staff users and keys without a list
 * have every bank.
 */
export async function resolveDepositBank(
  db: Db | Tx,
  actor: Actor,
  shortName: string,
  path = 'bankShortName',
): Promise<DepositBank> {
  const bank = await db
    .selectFrom('banks')
    .innerJoin('bank_divisions', 'bank_divisions.id', 'banks.division_id')
    .select(['banks.id', 'banks.short_name as shortName', 'bank_divisions.name as division'])
    .where('banks.agency_id', '=', actor.agencyId)
    .where('banks.short_name', '=', shortName)
    .executeTakeFirst();
  return checkDepositBank(actor, shortName, bank, path);
}

/** The access rule of `resolveDepositBank`, for a caller that read the bank in a query of its own. */
export function checkDepositBank(
  actor: Actor,
  shortName: string,
  bank: DepositBank | undefined,
  path = 'bankShortName',
): DepositBank {
  if (!bank) {
    throw new DomainError('unprocessable', `bank "${shortName}" does not exist`, {
      errors: [{ path, message: 'unknown bank' }],
    });
  }
  if (actor.banks && !actor.banks.includes(bank.shortName)) {
    throw new DomainError('forbidden', `this caller has no access to bank ${bank.shortName}`, {
      errors: [{ path, message: 'no access to this bank' }],
    });
  }
  if (actor.divisions && !actor.divisions.includes(bank.division)) {
    throw new DomainError(
      'forbidden',
      `this caller has no access to division "${bank.division}" of bank ${bank.shortName}`,
      {
        errors: [{ path, message: 'no access to the bank division' }],
      },
    );
  }
  return { id: bank.id, shortName: bank.shortName, division: bank.division };
}
