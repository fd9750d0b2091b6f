import { agencyToday } from '../agency/agencies.ts';
import { invoiceAutopayTime } from '../autopay/rules/autopay-time.ts';
import { invoiceNumbers, nextNumber } from '../customers/counters.ts';
import { findCustomer } from '../customers/customers.ts';
import { findPolicy } from '../customers/policies.ts';
import type { Actor } from '../kernel/actor.ts';
import { isCalendarDate } from '../kernel/calendar.ts';
import { DomainError, invalid, notFound } from '../kernel/errors.ts';
import type { Cents } from '../kernel/money.ts';
import { audit } from '../platform/db/audit.ts';
import type { Invoice } from '../platform/db/schema.ts';
import { type Db, inTransaction, isUniqueViolation, type Tx } from '../platform/db/transaction.ts';
import {
  checkInstallments,
  type InstallmentInput,
  insertInvoiceInstallments,
  planAutopayTimes,
} from './installments.ts';
import { invoiceBalances, postJournalEntry } from './ledger.ts';
import { type InvoiceStatus, invoiceEntry, invoiceStatus } from './rules/ledger.ts';

export interface InvoiceInput {
  customerNumber: number;
  policyNumber?: string | undefined;
  invoiceNumber?: number | undefined;
  entitySequence?: number | undefined;
  dueDate: string;
  amountCents: Cents;
  description?: string | undefined;
  /** Imported AR whose invoice holds several installments of its policy (their amounts add up). */
  installments?: InstallmentInput[] | undefined;
}

export interface InvoiceView {
  id: string;
  invoiceNumber: number;
  /** `1234-1` for a multi-entity invoice, else the number as a string. */
  displayNumber: string;
  customerNumber: number;
  policyNumber: string | null;
  amountCents: Cents;
  balanceCents: Cents;
  dueDate: string;
  status: InvoiceStatus;
  autopayTime: Date | null;
  suppressAutopay: boolean;
  description: string | null;
}

const invoiceColumns = [
  'invoices.id',
  'invoices.invoice_number',
  'invoices.entity_sequence',
  'invoices.amount_cents',
  'invoices.due_date',
  'invoices.autopay_time',
  'invoices.suppress_autopay',
  'invoices.description',
  'customers.customer_number',
  'policies.policy_number',
] as const;

function baseQuery(db: Db | Tx, agencyId: string) {
  return db
    .selectFrom('invoices')
    .innerJoin('customers', 'customers.id', 'invoices.customer_id')
    .leftJoin('policies', 'policies.id', 'invoices.policy_id')
    .select(invoiceColumns)
    .where('invoices.agency_id', '=', agencyId);
}

type InvoiceRow = Awaited<ReturnType<ReturnType<typeof baseQuery>['executeTakeFirstOrThrow']>>;

async function toViews(db: Db | Tx, agencyId: string, rows: InvoiceRow[]): Promise<InvoiceView[]> {
  const balances = await invoiceBalances(
    db,
    agencyId,
    rows.map((r) => r.id),
  );
  return rows.map((row) => {
    const balanceCents = balances.get(row.id) ?? 0n;
    return {
      id: row.id,
      invoiceNumber: row.invoice_number,
      displayNumber: row.entity_sequence ? `${row.invoice_number}-${row.entity_sequence}` : String(row.invoice_number),
      customerNumber: row.customer_number,
      policyNumber: row.policy_number,
      amountCents: row.amount_cents,
      balanceCents,
      dueDate: row.due_date,
      status: invoiceStatus(row.amount_cents, balanceCents),
      autopayTime: row.autopay_time,
      suppressAutopay: row.suppress_autopay,
      description: row.description,
    };
  });
}

/** Inserts an invoice and its billing journal entry in the caller's transaction. */
export async function insertInvoice(
  tx: Tx,
  actor: Actor,
  values: {
    customerId: string;
    policyId: string | null;
    invoiceNumber?: number | undefined;
    entitySequence?: number | undefined;
    dueDate: string;
    amountCents: Cents;
    description?: string | undefined;
    autopayTime?: Date | null | undefined;
    revenueAccount?: 'premium' | 'fees' | 'opening_balance';
  },
  today: string,
): Promise<Invoice> {
  const invoiceNumber = values.invoiceNumber ?? (await nextNumber(tx, actor.agencyId, 'invoice', invoiceNumbers));
  let invoice: Invoice;
  try {
    invoice = await tx
      .insertInto('invoices')
      .values({
        agency_id: actor.agencyId,
        customer_id: values.customerId,
        policy_id: values.policyId,
        invoice_number: invoiceNumber,
        entity_sequence: values.entitySequence ?? null,
        due_date: values.dueDate,
        amount_cents: values.amountCents,
        description: values.description ?? null,
        autopay_time: values.autopayTime ?? null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new DomainError('already_exists', `invoiceNumber ${invoiceNumber} already exists`, {
        errors: [{ path: 'invoiceNumber', message: 'already exists' }],
      });
    }
    throw error;
  }
  await postJournalEntry(
    tx,
    actor.agencyId,
    invoiceEntry({
      customerId: values.customerId,
      invoiceId: invoice.id,
      invoiceNumber,
      amountCents: values.amountCents,
      occurredOn: today,
      revenueAccount: values.revenueAccount ?? 'premium',
    }),
  );
  await audit(tx, actor, 'invoice.created', { type: 'invoice', id: invoice.id }, { invoiceNumber });
  return invoice;
}

export async function createInvoice(
  db: Db | Tx,
  actor: Actor,
  input: InvoiceInput,
  now: Date = new Date(),
): Promise<InvoiceView> {
  if (!isCalendarDate(input.dueDate)) throw invalid('dueDate', 'must be a date YYYY-MM-DD');
  if (input.installments) {
    if (!input.policyNumber) throw invalid('installments', 'need the policyNumber they are installments of');
    checkInstallments(input.installments, input.amountCents);
  }
  return inTransaction(db, async (tx) => {
    const customer = await findCustomer(tx, actor.agencyId, input.customerNumber).catch((error) => {
      throw asUnprocessable(error, 'customerNumber', 'unknown customer');
    });
    let policyId: string | null = null;
    let planId: string | null = null;
    if (input.policyNumber) {
      const policy = await findPolicy(tx, actor.agencyId, input.policyNumber).catch((error) => {
        throw asUnprocessable(error, 'policyNumber', 'unknown policy');
      });
      if (policy.customer_id !== customer.id) {
        throw new DomainError('unprocessable', `policy ${input.policyNumber} belongs to another customer`, {
          errors: [{ path: 'policyNumber', message: 'belongs to another customer' }],
        });
      }
      policyId = policy.id;
      planId = policy.installment_plan_id;
    }
    // Socotra: installments take their autopay times from the plan's lead days, and an invoice the
    // earliest of its installments' (an invoice without installments of its own: its due date's).
    const installmentDates = input.installments?.map((i) => i.dueDate) ?? [input.dueDate];
    const times = await planAutopayTimes(tx, actor.agencyId, planId, installmentDates);
    const today = await agencyToday(tx, actor.agencyId, now);
    const invoice = await insertInvoice(
      tx,
      actor,
      {
        customerId: customer.id,
        policyId,
        invoiceNumber: input.invoiceNumber,
        entitySequence: input.entitySequence,
        dueDate: input.dueDate,
        amountCents: input.amountCents,
        description: input.description,
        autopayTime: invoiceAutopayTime(times),
      },
      today,
    );
    if (input.installments && policyId) {
      await insertInvoiceInstallments(
        tx,
        actor.agencyId,
        policyId,
        invoice.id,
        input.installments.map((item, index) => ({ ...item, autopayTime: times[index] ?? null })),
      );
    }
    return getInvoiceById(tx, actor.agencyId, invoice.id);
  });
}

function asUnprocessable(error: unknown, path: string, message: string): unknown {
  return error instanceof DomainError && error.code === 'not_found'
    ? new DomainError('unprocessable', error.message, { errors: [{ path, message }] })
    : error;
}

async function getInvoiceById(db: Db | Tx, agencyId: string, id: string): Promise<InvoiceView> {
  const row = await baseQuery(db, agencyId).where('invoices.id', '=', id).executeTakeFirstOrThrow();
  const [view] = await toViews(db, agencyId, [row]);
  return view!;
}

export async function getInvoice(db: Db | Tx, actor: Actor, invoiceNumber: number): Promise<InvoiceView> {
  const row = await baseQuery(db, actor.agencyId)
    .where('invoices.invoice_number', '=', invoiceNumber)
    .executeTakeFirst();
  if (!row) throw notFound('invoice', invoiceNumber);
  const [view] = await toViews(db, actor.agencyId, [row]);
  return view!;
}

export async function listCustomerInvoices(db: Db | Tx, agencyId: string, customerId: string): Promise<InvoiceView[]> {
  const rows = await baseQuery(db, agencyId)
    .where('invoices.customer_id', '=', customerId)
    .orderBy('invoices.due_date')
    .orderBy('invoices.invoice_number')
    .execute();
  return toViews(db, agencyId, rows);
}

/**
 * The agency's invoices with their open balances, in pages by id (keyset: a page costs the same at
 * the end of a large book as at its start; an invoice number is shared by a multi-entity invoice's parts).
 */
export async function* exportInvoices(db: Db, actor: Actor, pageSize = 1000): AsyncGenerator<InvoiceView[]> {
  let after: string | null = null;
  for (;;) {
    let query = baseQuery(db, actor.agencyId);
    if (after !== null) query = query.where('invoices.id', '>', after);
    const rows = await query.orderBy('invoices.id').limit(pageSize).execute();
    if (rows.length > 0) yield await toViews(db, actor.agencyId, rows);
    if (rows.length < pageSize) return;
    after = rows.at(-1)!.id;
  }
}

export async function updateInvoice(
  db: Db | Tx,
  actor: Actor,
  invoiceNumber: number,
  patch: { suppressAutopay?: boolean | undefined },
): Promise<InvoiceView> {
  return inTransaction(db, async (tx) => {
    const current = await getInvoice(tx, actor, invoiceNumber);
    if (patch.suppressAutopay !== undefined && patch.suppressAutopay !== current.suppressAutopay) {
      await tx
        .updateTable('invoices')
        .set({ suppress_autopay: patch.suppressAutopay })
        .where('id', '=', current.id)
        .execute();
      await audit(tx, actor, 'invoice.updated', { type: 'invoice', id: current.id }, patch);
    }
    return getInvoiceById(tx, actor.agencyId, current.id);
  });
}
