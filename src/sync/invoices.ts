import type { Insertable } from 'kysely';
import { invoiceNumbers, reserveNumbers } from '../customers/counters.ts';
import { policiesByNumber } from '../imports/book-matching.ts';
import { writeOpeningInvoices } from '../imports/invoice-writers.ts';
import { systemActor } from '../kernel/actor.ts';
import { isCalendarDate } from '../kernel/calendar.ts';
import type { SyncLogTable } from '../platform/db/schema.ts';
import type { Tx } from '../platform/db/transaction.ts';
import { inChunks, insertChunks } from './rules/chunks.ts';
import { type CreateInvoice, decideInvoice, invoiceAmountCents } from './rules/opening-ar.ts';
import type { ExternalInvoice, SyncSystem } from './rules/records.ts';

/**
 * Brings the invoices an account record lists (the AMS's, with its own invoice numbers), in the
 * caller's transaction (which holds the agency's sync lock). Each is linked (`sync_links` entity
 * `invoice`) to the one local invoice it matches: the same customer, the policy with that number,
 * the same due date, for its amount (an invoice billed in policypay) or its open balance (opening
 * AR brought before, by a CSV import), not linked to another record of that system. An AMS invoice
 * that matches none and on which the AMS says something is still owed becomes opening AR here, as
 * the CSV import writes it (`writeOpeningInvoices`), numbered by the agency's invoice counter and
 * linked to the AMS invoice, so a re-sync finds it by its link and creates nothing twice. What to
 * do with each is `decideInvoice`'s (sync/rules/opening-ar.ts); the rest is logged and left alone.
 */
export async function applyInvoices(
  tx: Tx,
  agencyId: string,
  system: SyncSystem,
  incoming: { item: ExternalInvoice; customerId: string }[],
  log: Insertable<SyncLogTable>[],
  today: string,
): Promise<void> {
  const known = new Set(
    (
      await inChunks(
        incoming.map((i) => i.item.externalId),
        (ids) =>
          tx
            .selectFrom('sync_links')
            .select('external_id')
            .where('agency_id', '=', agencyId)
            .where('entity', '=', 'invoice')
            .where('system', '=', system)
            .where('external_id', 'in', ids)
            .execute(),
      )
    ).map((l) => l.external_id),
  );
  const fresh = incoming.filter((i) => !known.has(i.item.externalId));
  const policies = await policiesByNumber(
    tx,
    agencyId,
    fresh.flatMap((i) => (i.item.policyNumber ? [i.item.policyNumber] : [])),
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
  const creating: { item: ExternalInvoice; customerId: string; decision: CreateInvoice }[] = [];
  for (const { item, customerId } of fresh) {
    const decision = decideInvoice(system, item, {
      customerId,
      // A link made earlier in this loop is seen by the next query: one local invoice, one AMS invoice.
      matches: await matchingInvoices(tx, agencyId, system, item, customerId),
      policy: item.policyNumber ? policies.get(item.policyNumber) : undefined,
    });
    if (decision.kind === 'link') {
      await tx
        .insertInto('sync_links')
        .values({
          agency_id: agencyId,
          entity: 'invoice',
          local_id: decision.localId,
          system,
          external_id: item.externalId,
        })
        .execute();
      entry('linked', item.externalId, decision.localId, 'matched by policy, due date and amount');
    } else if (decision.kind === 'create') {
      creating.push({ item, customerId, decision });
    } else {
      entry(decision.action, item.externalId, null, decision.message);
    }
  }
  if (creating.length === 0) return;

  // policypay numbers them (AMS numbers may be taken here, or not be numbers); the AMS's stays on the link.
  const numbers = await reserveNumbers(tx, agencyId, 'invoice', invoiceNumbers, creating.length);
  const ids = await writeOpeningInvoices(
    tx,
    systemActor(agencyId, `sync:${system}`),
    creating.map(({ customerId, decision }, i) => ({
      customerId,
      policy: { id: decision.policy.id, planId: decision.policy.planId },
      invoiceNumber: numbers[i] as number,
      dueDate: decision.dueDate,
      amountCents: decision.amountCents,
      openBalanceCents: decision.openBalanceCents,
      description: undefined,
    })),
    today,
  );
  await insertChunks(
    creating.map(({ item }, i) => ({
      agency_id: agencyId,
      entity: 'invoice' as const,
      local_id: ids[i] as string,
      system,
      external_id: item.externalId,
    })),
    (rows) => tx.insertInto('sync_links').values(rows).execute(),
  );
  for (const [i, { item, decision }] of creating.entries()) {
    entry('created', item.externalId, ids[i] as string, `${decision.message}, invoice ${numbers[i]}`);
  }
}

/** Local invoices of the customer and policy due that day for the AMS amount or open balance, not yet linked. */
async function matchingInvoices(
  tx: Tx,
  agencyId: string,
  system: SyncSystem,
  item: ExternalInvoice,
  customerId: string,
): Promise<string[]> {
  const amountCents = invoiceAmountCents(item);
  if (amountCents === null || item.policyNumber === null || item.dueDate === null || !isCalendarDate(item.dueDate)) {
    return [];
  }
  const openBalanceCents = item.openBalance === null ? null : invoiceAmountCents({ ...item, amount: item.openBalance });
  const amounts = [...new Set([amountCents, ...(openBalanceCents ? [openBalanceCents] : [])])];
  const rows = await tx
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
    .where('p.policy_number', '=', item.policyNumber)
    .where('i.due_date', '=', item.dueDate)
    .where('i.amount_cents', 'in', amounts)
    .where('l.id', 'is', null)
    .limit(2)
    .execute();
  return rows.map((r) => r.id);
}
