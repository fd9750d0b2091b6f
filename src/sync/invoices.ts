import type { Insertable } from 'kysely';
import { parseAmount } from '../kernel/money.ts';
import type { SyncLogTable } from '../platform/db/schema.ts';
import type { Tx } from '../platform/db/transaction.ts';
import type { ExternalInvoice, SyncSystem } from './rules/records.ts';

/**
 * Links the invoices an account record lists (the AMS's, with its own invoice numbers) to local
 * invoices: the same customer, the policy with that number, the same due date and amount, and not
 * linked to another record of that system. Exactly one candidate is linked; none or several are
 * logged and left alone (a receipt for such an invoice keeps waiting for its AMS number). Invoices
 * are billed in policypay: nothing is created or changed here, only the cross-reference.
 */
export async function linkInvoices(
  tx: Tx,
  agencyId: string,
  system: SyncSystem,
  incoming: { item: ExternalInvoice; customerId: string }[],
  log: Insertable<SyncLogTable>[],
): Promise<void> {
  const known = new Set(
    (
      await tx
        .selectFrom('sync_links')
        .select('external_id')
        .where('agency_id', '=', agencyId)
        .where('entity', '=', 'invoice')
        .where('system', '=', system)
        .where(
          'external_id',
          'in',
          incoming.map((i) => i.item.externalId),
        )
        .execute()
    ).map((l) => l.external_id),
  );
  const entry = (action: string, externalId: string, localId: string | null, message: string) =>
    log.push({
      agency_id: agencyId,
      system,
      direction: 'inbound',
      entity: 'invoice',
      local_id: localId,
      external_id: externalId,
      action,
      message,
    });
  for (const { item, customerId } of incoming) {
    if (known.has(item.externalId)) continue;
    let amountCents: bigint;
    try {
      amountCents = parseAmount(item.amount, 'amount', { allowZero: true });
    } catch {
      entry('invalid', item.externalId, null, `the amount ${JSON.stringify(item.amount)} is not an amount`);
      continue;
    }
    const candidates = await tx
      .selectFrom('invoices as i')
      .innerJoin('policies as p', 'p.id', 'i.policy_id')
      .leftJoin('sync_links as l', (join) =>
        join
          .onRef('l.local_id', '=', 'i.id')
          .on('l.entity', '=', 'invoice')
          .on('l.system', '=', system)
          .on('l.agency_id', '=', agencyId),
      )
      .select('i.id')
      .where('i.agency_id', '=', agencyId)
      .where('i.customer_id', '=', customerId)
      .where('p.policy_number', '=', item.policyNumber ?? '')
      .where('i.due_date', '=', item.dueDate ?? '')
      .where('i.amount_cents', '=', amountCents)
      .where('l.id', 'is', null)
      .limit(2)
      .execute();
    if (candidates.length !== 1) {
      entry(
        candidates.length === 0 ? 'unmatched' : 'review',
        item.externalId,
        null,
        `${candidates.length === 0 ? 'no' : 'several'} local invoices of policy ${item.policyNumber} due ${item.dueDate} for ${item.amount}`,
      );
      continue;
    }
    const localId = (candidates[0] as { id: string }).id;
    await tx
      .insertInto('sync_links')
      .values({ agency_id: agencyId, entity: 'invoice', local_id: localId, system, external_id: item.externalId })
      .execute();
    known.add(item.externalId);
    entry('linked', item.externalId, localId, 'matched by policy, due date and amount');
  }
}
