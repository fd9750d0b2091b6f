import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { checkDepositBank, type DepositBank } from '../agency/bank-access.ts';
import { ensureNumberSequence, numberSequence } from '../customers/counters.ts';
import type { Actor } from '../kernel/actor.ts';
import { dateInZone } from '../kernel/calendar.ts';
import { DomainError, invalid } from '../kernel/errors.ts';
import { type Cents, formatAmount, sum } from '../kernel/money.ts';
import { resolveTimeZone } from '../kernel/time-zones.ts';
import { activityRow, auditRow } from '../platform/db/audit.ts';
import { pipelined } from '../platform/db/pipeline.ts';
import { prepared } from '../platform/db/prepared-statements.ts';
import type { Customer } from '../platform/db/schema.ts';
import { type Db, inTransaction, type Tx } from '../platform/db/transaction.ts';
import type { JobQueue } from '../platform/jobs/job-queue.ts';
import { queueAmsReceiptExport } from '../sync/ams360-receipts/outbox.ts';
import { journalEntryRows } from './ledger.ts';
import type { ReceiptView } from './receipt-views.ts';
import {
  applyPayment,
  defaultReceiptDescription,
  type OpenInvoice,
  receiptEntryLines,
} from './rules/receipt-application.ts';
import {
  checkFields,
  checkReceiptDateWindow,
  maskAccountNumber,
  parsePaymentCheckType,
  parseReceiptDate,
} from './rules/receipt-input.ts';
import { receiptEntryDescription, receiptPostedSummary } from './rules/receipt-texts.ts';

/** A customer cash receipt as AMS360's `CustomerCashReceiptPostRequest` describes it, amounts in cents. */
export interface ReceiptRequest {
  customerNumber: number;
  items: { invoiceNumber?: number | undefined; amountCents: Cents; description?: string | undefined }[];
  receiptAmountCents: Cents;
  receiptDate: string;
  receiptDateTimeZone: string;
  bankShortName: string;
  receiptDescription?: string | undefined;
  paymentCheckType: string;
  /** Read only for a Check (any value is ignored for other types, as AMS360 documents). */
  payerBankAccountNumber?: unknown;
  payerCheckNumber?: unknown;
  /**
   * A convenience fee collected with the payment (issue 20.3; payments only, not the receipts
   * API): cash beyond `receiptAmountCents`, never applied to an invoice.
   */
  feeCents?: Cents | undefined;
}

/**
 * Posts a customer cash receipt and applies it to invoices, the rest On Account. Everything is
 * validated before anything is written; the whole receipt is one transaction and one journal entry.
 */
export async function postCustomerReceipt(
  db: Db | Tx,
  actor: Actor,
  request: ReceiptRequest,
  options: {
    source?: string;
    jobs?: JobQueue | undefined;
    /**
     * The API's clock: the receipt date must lie in the window around this instant's date in the
     * receipt's zone. Internal paths (payments, autopay, finalize) date their receipts today.
     */
    now?: Date | undefined;
  } = {},
): Promise<ReceiptView> {
  const timeZone = resolveTimeZone(request.receiptDateTimeZone);
  if (!timeZone) {
    throw invalid(
      'receiptDateTimeZone',
      'must be an IANA time zone (America/Chicago) or a Windows one (Central Standard Time)',
    );
  }
  const paymentCheckType = parsePaymentCheckType(request.paymentCheckType);
  const receiptDate = parseReceiptDate(request.receiptDate, timeZone);
  if (options.now) checkReceiptDateWindow(receiptDate, dateInZone(options.now, timeZone));
  const payer = checkFields(paymentCheckType, request);
  if (request.items.length === 0) throw invalid('invoiceInformations', 'must contain at least one item');
  const itemsTotal = sum(request.items.map((i) => i.amountCents));
  if (itemsTotal !== request.receiptAmountCents) {
    throw new DomainError(
      'unprocessable',
      `receiptAmount ${formatAmount(request.receiptAmountCents)} does not equal the sum of the paymentAmounts ${formatAmount(itemsTotal)}`,
      {
        errors: [
          { path: 'receiptAmount', message: `must equal the sum of the paymentAmounts (${formatAmount(itemsTotal)})` },
        ],
      },
    );
  }

  return inTransaction(db, async (tx) => {
    const { customer, bank, amsSources, invoices } = await lockCustomerAndReadInvoices(tx, actor, request);

    const result = applyPayment(
      request.items.map((item) => ({
        invoice: item.invoiceNumber === undefined ? undefined : invoices.get(item.invoiceNumber),
        amountCents: item.amountCents,
        description: item.description,
      })),
    );
    const checkNumber = payer.payerCheckNumber ?? null;
    const description =
      request.receiptDescription?.trim() ||
      defaultReceiptDescription({
        type: paymentCheckType,
        customerName: customer.name,
        checkNumber,
        invoiceNumbers: request.items.flatMap((i) => (i.invoiceNumber === undefined ? [] : [i.invoiceNumber])),
      });
    const receiptId = randomUUID();
    const sequence = numberSequence(actor.agencyId, 'receipt');
    if (!customer.hasNumberSequence) {
      await ensureNumberSequence(tx, sequence, async () => {
        const row = await tx
          .selectFrom('receipts')
          .select((eb) => eb.fn.max('receipt_number').as('max'))
          .where('agency_id', '=', actor.agencyId)
          .executeTakeFirst();
        return Number(row?.max ?? 0);
      });
    }
    const journal = journalEntryRows(actor.agencyId, {
      kind: 'receipt',
      occurredOn: receiptDate,
      sourceType: 'receipt',
      sourceId: receiptId,
      lines: receiptEntryLines({
        customerId: customer.id,
        bankId: bank.id,
        amountCents: request.receiptAmountCents,
        result,
        feeCents: request.feeCents,
      }),
    });
    // The texts naming the receipt number, which the write below takes and puts between their parts.
    const entryText = receiptEntryDescription(description);
    const summary = receiptPostedSummary({
      amountCents: request.receiptAmountCents,
      paymentCheckType,
      bankShortName: bank.shortName,
    });
    const source = options.source ?? 'api';
    const payerBankAccountLast4 = payer.payerBankAccountNumber ? maskAccountNumber(payer.payerBankAccountNumber) : null;
    const applications = result.applications.map((application, index) => ({ ...application, sequence: index + 1 }));
    const activity = activityRow(actor, customer.id, 'receipt_posted', '', {
      amountCents: request.receiptAmountCents,
      onAccountCents: result.onAccountCents,
    });
    const audit = auditRow(actor, 'receipt.posted', { type: 'receipt', id: receiptId });
    const { entry } = journal;
    // One statement, one round trip: the receipt number (taken here, after every check that can
    // refuse the receipt, so a refused one burns none), the journal entry and its lines, the
    // receipt, its applications, the customer's activity and the audit row. Foreign keys are
    // checked at the statement's end, so the order inside does not matter. The texts that name the
    // number are finished here, from their parts (ledger/rules/receipt-texts.ts).
    // Written as SQL rather than with the query builder: building the three statements of a
    // receipt was a third of its Node CPU (see docs/architecture.md, Receipts).
    const write = sql<{ receipt_number: number; created_at: Date }>`
      WITH receipt_number AS (SELECT nextval(${sequence}::regclass)::int AS value),
      journal_entry AS (
        INSERT INTO journal_entries (id, agency_id, kind, description, occurred_on, source_type, source_id)
        SELECT ${entry.id}::uuid, ${entry.agency_id}::uuid, ${entry.kind}::text,
               concat(${entryText.before}::text, value, ${entryText.after}::text), ${entry.occurred_on}::date,
               ${entry.source_type}::text, ${entry.source_id}::uuid
          FROM receipt_number
        RETURNING id
      ),
      journal_lines AS (
        INSERT INTO journal_lines (agency_id, entry_id, account, customer_id, invoice_id, bank_id, amount_cents)
        VALUES ${sql.join(
          journal.lines.map(
            (line) =>
              sql`(${line.agency_id}, ${line.entry_id}, ${line.account}, ${line.customer_id}, ${line.invoice_id}, ${line.bank_id}, ${line.amount_cents})`,
          ),
        )}
        RETURNING id
      ),
      applications AS (
        INSERT INTO receipt_applications
          (agency_id, receipt_id, sequence, invoice_id, applied_cents, on_account_cents, description, note)
        VALUES ${sql.join(
          applications.map(
            (application) =>
              sql`(${actor.agencyId}, ${receiptId}, ${application.sequence}, ${application.invoiceId}, ${application.appliedCents}, ${application.onAccountCents}, ${application.description}, ${application.note ?? null})`,
          ),
        )}
        RETURNING id
      ),
      activity AS (
        INSERT INTO activities (agency_id, customer_id, kind, summary, data, actor)
        SELECT ${activity.agency_id}::uuid, ${activity.customer_id}::uuid, ${activity.kind}::text,
               concat(${summary.before}::text, value, ${summary.after}::text),
               ${activity.data}::jsonb || jsonb_build_object('receiptNumber', value), ${activity.actor}::text
          FROM receipt_number
        RETURNING id
      ),
      audit AS (
        INSERT INTO audit_log (agency_id, actor, action, entity_type, entity_id, data)
        SELECT ${audit.agency_id}::uuid, ${audit.actor}::text, ${audit.action}::text, ${audit.entity_type}::text,
               ${audit.entity_id}::text, jsonb_build_object('receiptNumber', value)
          FROM receipt_number
        RETURNING id
      )
      INSERT INTO receipts (id, agency_id, receipt_number, customer_id, bank_id, amount_cents, on_account_cents,
                            fee_cents, receipt_date, receipt_time_zone, payment_check_type, description,
                            payer_bank_account_last4, payer_check_number, source, journal_entry_id, created_by)
      SELECT ${receiptId}::uuid, ${actor.agencyId}::uuid, value, ${customer.id}::uuid, ${bank.id}::uuid,
             ${request.receiptAmountCents}::int8, ${result.onAccountCents}::int8, ${request.feeCents ?? 0n}::int8,
             ${receiptDate}::date, ${timeZone}::text,
             ${paymentCheckType}::text, ${description}::text, ${payerBankAccountLast4}::text, ${checkNumber}::text,
             ${source}::text, ${entry.id}::uuid, ${actor.label}::text
        FROM receipt_number
      RETURNING receipt_number, created_at ${prepared}`;
    const inserted = (await write.execute(tx)).rows[0];
    if (!inserted) throw new Error('the receipt was not written');
    const receiptNumber = inserted.receipt_number;
    // Outbox: the AMS360 export (when the agency's connector exports this source) commits with the receipt.
    if (amsSources.includes(source)) await queueAmsReceiptExport(tx, actor.agencyId, receiptId, options.jobs);
    // Everything the view shows was just written: built here rather than read back.
    return {
      id: receiptId,
      receiptNumber,
      customerNumber: customer.customer_number,
      amountCents: request.receiptAmountCents,
      receiptDate,
      receiptDateTimeZone: timeZone,
      bankShortName: bank.shortName,
      paymentCheckType,
      description,
      payerBankAccountLast4,
      payerCheckNumber: checkNumber,
      applications,
      onAccountCents: result.onAccountCents,
      feeCents: request.feeCents ?? 0n,
      status: 'posted',
      reversal: null,
      source,
      createdAt: inserted.created_at,
    };
  });
}

type LockedCustomer = Pick<Customer, 'id' | 'name' | 'customer_number'> & { hasNumberSequence: boolean };

interface CustomerWithBankRow {
  id: string;
  name: string;
  customer_number: number;
  bank_id: string | null;
  bank_short_name: string | null;
  bank_division: string | null;
  has_number_sequence: boolean;
  ams_sources: string[] | null;
}

/**
 * The customer, locked (every money movement of one customer is serialised on its row), with the
 * deposit bank, whether the agency's number sequence exists and which receipt sources its enabled
 * AMS360 connector exports (null: none).
 */
function customerWithBankStatement(actor: Actor, customerNumber: number, bankShortName: string) {
  return sql<CustomerWithBankRow>`
    SELECT c.id, c.name, c.customer_number,
           b.id AS bank_id, b.short_name AS bank_short_name, d.name AS bank_division,
           to_regclass(${numberSequence(actor.agencyId, 'receipt')}::text) IS NOT NULL AS has_number_sequence,
           (SELECT x.sources FROM ams_receipt_connectors x WHERE x.agency_id = c.agency_id AND x.enabled) AS ams_sources
      FROM customers c
      LEFT JOIN (banks b JOIN bank_divisions d ON d.id = b.division_id)
        ON b.agency_id = c.agency_id AND b.short_name = ${bankShortName}::text
     WHERE c.agency_id = ${actor.agencyId}::uuid AND c.customer_number = ${customerNumber}::int
       FOR UPDATE OF c ${prepared}`;
}

/** Unknown customer → 422; the bank with the caller's access to it checked. */
function lockedCustomerWithBank(
  actor: Actor,
  customerNumber: number,
  bankShortName: string,
  row: CustomerWithBankRow | undefined,
): { customer: LockedCustomer; bank: DepositBank; amsSources: string[] } {
  if (!row) {
    throw new DomainError('unprocessable', `customer ${customerNumber} does not exist`, {
      errors: [{ path: 'customerNumber', message: 'unknown customer' }],
    });
  }
  const { bank_id, bank_short_name, bank_division, has_number_sequence, ams_sources, ...customer } = row;
  const bank = checkDepositBank(
    actor,
    bankShortName,
    bank_id && bank_short_name && bank_division
      ? { id: bank_id, shortName: bank_short_name, division: bank_division }
      : undefined,
  );
  return { customer: { ...customer, hasNumberSequence: has_number_sequence }, bank, amsSources: ams_sources ?? [] };
}

interface InvoiceBalanceRow {
  id: string;
  invoice_number: number;
  customer_id: string;
  balance: bigint;
}

/** The named invoices with their open balances, summed from the ledger's AR lines. */
function invoiceBalancesStatement(agencyId: string, invoiceNumbers: number[]) {
  // A parameter per invoice number, not `= ANY(array)`: PostgreSQL's generic plan for an array
  // parameter assumes ten elements, costs more than the custom plan for the actual two, and so
  // the statement was planned afresh on every execution. With one parameter per number the
  // generic plan costs the same and is kept after the fifth (one prepared text per item count).
  return sql<InvoiceBalanceRow>`
    SELECT i.id, i.invoice_number, i.customer_id, coalesce(sum(l.amount_cents), 0)::int8 AS balance
      FROM invoices i
      LEFT JOIN journal_lines l
        ON l.agency_id = i.agency_id AND l.invoice_id = i.id AND l.account = 'accounts_receivable'
     WHERE i.agency_id = ${agencyId}::uuid
       AND i.invoice_number IN (${sql.join(invoiceNumbers.map((n) => sql`${n}::int`))})
     GROUP BY i.id ${prepared}`;
}

/**
 * The customer locked and the named invoices' balances read under the lock, in one round trip:
 * the balances are a statement of their own after the lock's, so a receipt that waited for the
 * lock reads what the one before it committed (a single statement would read balances from
 * before the wait).
 */
async function lockCustomerAndReadInvoices(tx: Tx, actor: Actor, request: ReceiptRequest) {
  const numbers = [...new Set(request.items.flatMap((i) => (i.invoiceNumber === undefined ? [] : [i.invoiceNumber])))];
  const lock = customerWithBankStatement(actor, request.customerNumber, request.bankShortName);
  const [customerRows, invoiceRows] =
    numbers.length === 0
      ? [(await lock.execute(tx)).rows, []]
      : await pipelined(tx, [lock, invoiceBalancesStatement(actor.agencyId, numbers)]);
  const locked = lockedCustomerWithBank(actor, request.customerNumber, request.bankShortName, customerRows[0]);
  return { ...locked, invoices: openInvoices(invoiceRows, locked.customer, request.items) };
}

/** The items' invoices by number; unknown ones and other customers' are refused with their item's path. */
function openInvoices(
  rows: InvoiceBalanceRow[],
  customer: Pick<Customer, 'id' | 'customer_number'>,
  items: ReceiptRequest['items'],
): Map<number, OpenInvoice> {
  const byNumber = new Map(rows.map((r) => [r.invoice_number, r]));
  items.forEach((item, index) => {
    if (item.invoiceNumber === undefined) return;
    const row = byNumber.get(item.invoiceNumber);
    const path = `invoiceInformations/${index}/invoiceNumber`;
    if (!row) {
      throw new DomainError('unprocessable', `invoice ${item.invoiceNumber} does not exist`, {
        errors: [{ path, message: 'unknown invoice' }],
      });
    }
    if (row.customer_id !== customer.id) {
      throw new DomainError(
        'unprocessable',
        `invoice ${item.invoiceNumber} does not belong to customer ${customer.customer_number}`,
        { errors: [{ path, message: `belongs to another customer than ${customer.customer_number}` }] },
      );
    }
  });
  return new Map(
    rows.map((r) => [r.invoice_number, { id: r.id, invoiceNumber: r.invoice_number, balanceCents: r.balance }]),
  );
}
