import type { PaymentChannel } from '../eligibility/rules/channels.ts';
import type { PaymentSettings } from '../eligibility/rules/payment-settings.ts';
import type { Actor } from '../kernel/actor.ts';
import { DomainError } from '../kernel/errors.ts';
import type { Db, Tx } from '../platform/db/transaction.ts';
import { loadPaymentSettings } from './payment-settings.ts';

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

/**
 * The agency's bank when it has exactly one — where card, ACH and autopay money goes when the
 * caller names none. Otherwise a 422 on `bankShortName` whose detail is `detail`.
 */
async function onlyBank(
  db: Db | Tx,
  agencyId: string,
  detail: string,
  severalMessage = 'is required when the agency has several banks',
): Promise<{ id: string; shortName: string }> {
  const banks = await db
    .selectFrom('banks')
    .select(['id', 'short_name'])
    .where('agency_id', '=', agencyId)
    .limit(2)
    .execute();
  if (banks.length !== 1) {
    throw new DomainError('unprocessable', banks.length ? detail : 'the agency has no bank to deposit to', {
      errors: [
        {
          path: 'bankShortName',
          message: banks.length ? severalMessage : 'the agency has no bank',
        },
      ],
    });
  }
  return { id: banks[0]!.id, shortName: banks[0]!.short_name };
}

/**
 * Where a channel's money goes when the payment names no bank: the agency's default for the
 * channel (payment setting `defaultDepositBanks`), else its only bank. With several banks and no
 * default it is refused, naming the setting — never a guess.
 */
export async function channelDepositBank(
  db: Db | Tx,
  agencyId: string,
  channel: PaymentChannel,
  settings?: PaymentSettings,
): Promise<{ id: string; shortName: string }> {
  const configured = (settings ?? (await loadPaymentSettings(db, agencyId))).defaultDepositBanks[channel];
  if (configured) {
    const bank = await db
      .selectFrom('banks')
      .select(['id', 'short_name'])
      .where('agency_id', '=', agencyId)
      .where('short_name', '=', configured)
      .executeTakeFirst();
    if (!bank) {
      throw new DomainError('unprocessable', `the default ${channel} deposit bank "${configured}" does not exist`, {
        errors: [{ path: `defaultDepositBanks/${channel}`, message: 'unknown bank' }],
      });
    }
    return { id: bank.id, shortName: bank.short_name };
  }
  return onlyBank(
    db,
    agencyId,
    `name the bank the payment is deposited to (bankShortName), or set the payment setting defaultDepositBanks.${channel}: the agency has several banks`,
    `is required when the agency has several banks and no defaultDepositBanks.${channel}`,
  );
}
