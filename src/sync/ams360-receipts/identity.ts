import type { Tx } from '../../platform/db/transaction.ts';

/** The numbers a receipt is sent to the AMS with, or why it must wait. */
export type AmsIdentity =
  | { ok: true; customerNumber: number; invoiceNumbers: Map<string, number> }
  | { ok: false; reason: string };

/**
 * The AMS's own numbers for a receipt's customer and invoices, from the sync cross-reference.
 * An agency that syncs with an AMS (it has an AMS sync connector, or the customer is linked to one)
 * must send the AMS's numbers: a customer or invoice without an AMS identity makes the receipt
 * wait, never go out with a guessed number. An agency that does not sync keeps policypay's numbers
 * (it imported them from its AMS).
 */
export async function resolveAmsIdentity(
  tx: Tx,
  agencyId: string,
  customer: { id: string; customerNumber: number },
  invoices: { id: string; invoiceNumber: number }[],
): Promise<AmsIdentity> {
  const links = await tx
    .selectFrom('sync_links')
    .select(['system', 'ams_customer_number'])
    .where('agency_id', '=', agencyId)
    .where('entity', '=', 'customer')
    .where('local_id', '=', customer.id)
    .orderBy('system')
    .execute();
  const syncsWithAms =
    links.some((l) => l.system === 'ams') ||
    (await tx
      .selectFrom('sync_connectors')
      .select('system')
      .where('agency_id', '=', agencyId)
      .where('system', '=', 'ams')
      .executeTakeFirst()) !== undefined;
  if (!syncsWithAms) {
    return {
      ok: true,
      customerNumber: customer.customerNumber,
      invoiceNumbers: new Map(invoices.map((i) => [i.id, i.invoiceNumber])),
    };
  }
  // The AMS link's number first; a benefits link carries the AMS's number too.
  const amsNumber =
    links.find((l) => l.system === 'ams')?.ams_customer_number ??
    links.find((l) => l.ams_customer_number)?.ams_customer_number;
  if (!amsNumber) {
    return {
      ok: false,
      reason: `customer ${customer.customerNumber} has no AMS customer number yet (not linked to an AMS customer)`,
    };
  }
  if (!/^\d{1,15}$/.test(amsNumber)) {
    return {
      ok: false,
      reason: `customer ${customer.customerNumber}'s AMS customer number "${amsNumber}" is not a number`,
    };
  }
  const invoiceNumbers = new Map<string, number>();
  if (invoices.length > 0) {
    const invoiceLinks = await tx
      .selectFrom('sync_links')
      .select(['local_id', 'external_id'])
      .where('agency_id', '=', agencyId)
      .where('entity', '=', 'invoice')
      .where('system', '=', 'ams')
      .where(
        'local_id',
        'in',
        invoices.map((i) => i.id),
      )
      .execute();
    const byId = new Map(invoiceLinks.map((l) => [l.local_id, l.external_id]));
    const missing: number[] = [];
    for (const invoice of invoices) {
      const external = byId.get(invoice.id);
      if (external && /^\d{1,15}$/.test(external)) invoiceNumbers.set(invoice.id, Number(external));
      else missing.push(invoice.invoiceNumber);
    }
    if (missing.length > 0) {
      return {
        ok: false,
        reason: `invoice${missing.length > 1 ? 's' : ''} ${missing.join(', ')} ha${missing.length > 1 ? 've' : 's'} no AMS invoice number yet (not linked to an AMS invoice)`,
      };
    }
  }
  return { ok: true, customerNumber: Number(amsNumber), invoiceNumbers };
}
