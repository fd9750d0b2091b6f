import type { Insertable } from 'kysely';
import { getAgency } from '../agency/agencies.ts';
import { loadPaymentSettings } from '../agency/payment-settings.ts';
import { installmentAutopayTime, invoiceAutopayTime } from '../autopay/rules/autopay-time.ts';
import type { Actor } from '../kernel/actor.ts';
import type { CalendarDate } from '../kernel/calendar.ts';
import { type Cents, formatAmount } from '../kernel/money.ts';
import { journalEntryRows } from '../ledger/ledger.ts';
import { invoiceEntry } from '../ledger/rules/ledger.ts';
import { auditRow } from '../platform/db/audit.ts';
import type { Database } from '../platform/db/schema.ts';
import type { Tx } from '../platform/db/transaction.ts';
import type { WritablePlan } from './book-matching.ts';
import { auditColumns, type Columns, insertUnnest, orderedId } from './bulk-insert.ts';

const invoiceColumns: Columns = {
  id: 'uuid',
  agency_id: 'uuid',
  customer_id: 'uuid',
  policy_id: 'uuid',
  invoice_number: 'integer',
  due_date: 'date',
  amount_cents: 'bigint',
  description: 'text',
  autopay_time: 'timestamptz',
};
const entryColumns: Columns = {
  id: 'uuid',
  agency_id: 'uuid',
  kind: 'text',
  occurred_on: 'date',
  source_type: 'text',
  source_id: 'uuid',
  reverses_entry_id: 'uuid',
  description: 'text',
};
const lineColumns: Columns = {
  agency_id: 'uuid',
  entry_id: 'uuid',
  account: 'text',
  customer_id: 'uuid',
  invoice_id: 'uuid',
  bank_id: 'uuid',
  amount_cents: 'bigint',
};

/** An opening-AR invoice to write: one row of an invoices file, or an AMS invoice a sync brings. */
export interface OpeningInvoice {
  customerId: string;
  /** Its policy and that policy's installment plan (which sets the autopay time). */
  policy: { id: string; planId: string | null } | undefined;
  invoiceNumber: number;
  dueDate: CalendarDate;
  /** What the old system billed. */
  amountCents: Cents;
  /** What is left to collect: the invoice's amount here. */
  openBalanceCents: Cents;
  description: string | undefined;
}

/** A batch of an invoices file's planned rows, written as opening AR (`writeOpeningInvoices`). */
export async function writeInvoices(
  tx: Tx,
  actor: Actor,
  plans: readonly WritablePlan<'invoices'>[],
  today: string,
): Promise<void> {
  await writeOpeningInvoices(
    tx,
    actor,
    plans.map(({ row, customer, policy }) => ({
      customerId: customer!.id,
      policy,
      invoiceNumber: row.invoiceNumber,
      dueDate: row.dueDate,
      amountCents: row.amountCents,
      openBalanceCents: row.openBalanceCents,
      description: row.description,
    })),
    today,
  );
}

/**
 * A batch of opening-AR invoices as `insertInvoice` writes each, in three statements: the
 * invoices; their journal entries with their lines (one statement, as `postJournalEntry` writes
 * one entry; each entry is checked balanced here and again by the database's statement trigger);
 * their audit rows. The invoice's amount is what is left to collect (the open balance), a debit
 * to AR against opening_balance (not premium: that was billed in the old system), so its balance
 * is its amount. An invoice under a policy whose plan has autopay lead days takes the autopay time
 * its due date has under that plan (planAutopayTimes, read once per batch). Returns the new
 * invoices' ids, in the order given.
 */
export async function writeOpeningInvoices(
  tx: Tx,
  actor: Actor,
  batch: readonly OpeningInvoice[],
  today: string,
): Promise<string[]> {
  const agencyId = actor.agencyId;
  const autopayTime = await autopayTimes(tx, agencyId, batch);
  const invoices: Insertable<Database['invoices']>[] = [];
  const entries: Insertable<Database['journal_entries']>[] = [];
  const lines: Insertable<Database['journal_lines']>[] = [];
  const audits = [];
  for (const invoice of batch) {
    const id = orderedId();
    const partly = invoice.openBalanceCents < invoice.amountCents;
    invoices.push({
      id,
      agency_id: agencyId,
      customer_id: invoice.customerId,
      policy_id: invoice.policy?.id ?? null,
      invoice_number: invoice.invoiceNumber,
      due_date: invoice.dueDate,
      amount_cents: invoice.openBalanceCents,
      description:
        invoice.description ??
        (partly ? `Opening balance (billed ${formatAmount(invoice.amountCents)} before import)` : 'Opening balance'),
      autopay_time: autopayTime(invoice),
    });
    const draft = invoiceEntry({
      customerId: invoice.customerId,
      invoiceId: id,
      invoiceNumber: invoice.invoiceNumber,
      amountCents: invoice.openBalanceCents,
      occurredOn: today,
      revenueAccount: 'opening_balance',
    });
    // journalEntryRows checks the entry balanced; its id is replaced by an ordered one, as above.
    const written = journalEntryRows(agencyId, draft);
    const entryId = orderedId();
    entries.push({ ...written.entry, id: entryId, description: draft.description });
    lines.push(...written.lines.map((line) => ({ ...line, entry_id: entryId })));
    audits.push(auditRow(actor, 'invoice.created', { type: 'invoice', id }, { invoiceNumber: invoice.invoiceNumber }));
  }
  await insertUnnest(tx, 'invoices', invoiceColumns, invoices);
  await insertUnnest(tx, 'journal_entries', entryColumns, entries);
  await insertUnnest(tx, 'journal_lines', lineColumns, lines);
  await insertUnnest(tx, 'audit_log', auditColumns, audits);
  return invoices.map((i) => i.id as string);
}

/** Each invoice's autopay time under its policy's plan; the plans, agency and settings read once. */
async function autopayTimes(
  tx: Tx,
  agencyId: string,
  batch: readonly OpeningInvoice[],
): Promise<(invoice: OpeningInvoice) => Date | null> {
  const planIds = [...new Set(batch.flatMap((i) => (i.policy?.planId ? [i.policy.planId] : [])))];
  const leadDays = new Map(
    planIds.length === 0
      ? []
      : (
          await tx
            .selectFrom('installment_plans')
            .select(['id', 'autopay_lead_days'])
            .where('agency_id', '=', agencyId)
            .where('id', 'in', planIds)
            .execute()
        ).flatMap((p) => (p.autopay_lead_days === null ? [] : [[p.id, p.autopay_lead_days] as const])),
  );
  if (leadDays.size === 0) return () => null;
  const { timeZone } = await getAgency(tx, agencyId);
  const { autopayHour: hour } = await loadPaymentSettings(tx, agencyId);
  return (invoice) => {
    const days = invoice.policy?.planId ? leadDays.get(invoice.policy.planId) : undefined;
    if (days === undefined) return null;
    return invoiceAutopayTime([installmentAutopayTime(invoice.dueDate, { leadDays: days, hour, timeZone })]);
  };
}
