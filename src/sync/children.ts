import type { Insertable } from 'kysely';
import type { SyncLogTable } from '../platform/db/schema.ts';
import type { Tx } from '../platform/db/transaction.ts';
import { releaseHeldAmsReceiptExports } from './ams360-receipts/outbox.ts';
import { applyContacts } from './contacts.ts';
import { applyInvoices } from './invoices.ts';
import { applyPolicies } from './policies.ts';
import {
  type AppliedAccount,
  contactsOf,
  customersWithPolicies,
  invoicesOf,
  policiesOf,
} from './rules/account-children.ts';
import { inChunks } from './rules/chunks.ts';
import type { SyncSystem } from './rules/records.ts';
import type { SyncRules } from './rules/rules.ts';

/**
 * Brings the contacts, policies and invoices carried by a page of applied account records into
 * policypay, in the caller's transaction (which holds the agency's sync lock). Set-based: a
 * handful of reads per page, inserts in bulk; only records that really changed are updated one by
 * one. Invoices come after policies: an AMS invoice opens AR only under a policy known here.
 */
export async function applyContactsAndPolicies(
  tx: Tx,
  agencyId: string,
  system: SyncSystem,
  accounts: AppliedAccount[],
  rules: SyncRules,
  log: Insertable<SyncLogTable>[],
  today: string,
): Promise<void> {
  const contacts = contactsOf(accounts);
  const amsKnown =
    system === 'ams'
      ? new Set<string>()
      : new Set(
          (
            await inChunks(customersWithPolicies(accounts), (ids) =>
              tx
                .selectFrom('sync_links')
                .select('local_id')
                .where('agency_id', '=', agencyId)
                .where('entity', '=', 'customer')
                .where('system', '=', 'ams')
                .where('local_id', 'in', ids)
                .execute(),
            )
          ).map((l) => l.local_id),
        );
  const policies = policiesOf(system, accounts, amsKnown);
  if (contacts.length > 0) await applyContacts(tx, agencyId, system, contacts, rules, log);
  if (policies.length > 0) await applyPolicies(tx, agencyId, system, policies, log, today);
  const invoices = invoicesOf(accounts);
  if (invoices.length > 0) await applyInvoices(tx, agencyId, system, invoices, log, today);
  // Receipts held for want of an AMS identity go out once these accounts brought it.
  if (accounts.length > 0) {
    await releaseHeldAmsReceiptExports(tx, agencyId, { customerIds: [...new Set(accounts.map((a) => a.customerId))] });
  }
}
