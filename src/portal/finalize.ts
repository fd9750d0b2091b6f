import { getAgency } from '../agency/agencies.ts';
import { channelDepositBank } from '../agency/bank-access.ts';
import { loadPaymentSettings } from '../agency/payment-settings.ts';
import type { PaymentChannel } from '../eligibility/rules/channels.ts';
import { mayFinalize } from '../eligibility/rules/payment-settings.ts';
import type { Actor } from '../kernel/actor.ts';
import { dateInZone } from '../kernel/calendar.ts';
import { DomainError, notFound } from '../kernel/errors.ts';
import { isUuid } from '../kernel/ids.ts';
import { type Cents, formatAmount, sum } from '../kernel/money.ts';
import { listCustomerInvoices } from '../ledger/invoices.ts';
import { postJournalEntry } from '../ledger/ledger.ts';
import { postCustomerReceipt } from '../ledger/receipt-posting.ts';
import { audit, logActivity } from '../platform/db/audit.ts';
import { type Db, inTransaction, type Tx } from '../platform/db/transaction.ts';
import { lockPaymentRequest } from './request-cancellation.ts';
import { type PaymentRequestView, paymentRequestById } from './request-views.ts';
import { proposeFinalizeApplications } from './rules/finalize-applications.ts';
import { refusalFor } from './rules/payment-requests.ts';

export interface FinalizeInput {
  /** Omitted: the agency's deposit bank for the payment's channel (`channelDepositBank`). */
  bankShortName?: string | undefined;
  applications?: { invoiceNumber?: number | undefined; amountCents: Cents }[] | undefined;
  description?: string | undefined;
}

/**
 * Finalize Payment: the money held for a paid request becomes a cash receipt, applied by the
 * receipt rules (so AR drops now), and the hold is cleared, all in one transaction.
 */
export async function finalizePaymentRequest(
  db: Db | Tx,
  actor: Actor,
  id: string,
  input: FinalizeInput,
  now = new Date(),
): Promise<PaymentRequestView> {
  return inTransaction(db, async (tx) => {
    const settings = await loadPaymentSettings(tx, actor.agencyId);
    if (!mayFinalize(actor.role, settings)) {
      throw new DomainError('forbidden', 'this agency lets only staff finalize payment requests');
    }
    const row = await lockPaymentRequest(tx, actor, id);
    const current = await paymentRequestById(tx, actor.agencyId, row.id, now);
    const refusal = refusalFor('finalize', current.state);
    if (refusal) throw new DomainError('illegal_transition', refusal);
    const payment = await tx
      .selectFrom('payments')
      .select(['id', 'type', 'channel', 'bank_id'])
      .where('id', '=', row.payment_id!)
      .executeTakeFirstOrThrow();

    // Without applications: the proposal the form shows (the request's invoices, or the customer's
    // open invoices oldest due first), the rest On Account, so AR moves either way.
    let items: { invoiceNumber?: number | undefined; amountCents: Cents }[];
    if (input.applications) {
      items = input.applications;
    } else {
      const open = await openInvoices(tx, actor.agencyId, row.customer_id);
      const proposal = proposeFinalizeApplications(row.amount_cents, current.invoices, open);
      items = [...proposal.applications];
      if (proposal.onAccountCents > 0n) items.push({ amountCents: proposal.onAccountCents });
    }
    const bankShortName =
      input.bankShortName ?? (await defaultFinalizeBank(tx, actor.agencyId, payment.channel, payment.bank_id));
    const total = sum(items.map((i) => i.amountCents));
    if (total !== row.amount_cents) {
      throw new DomainError(
        'unprocessable',
        `the applications add up to ${formatAmount(total)}, not the ${formatAmount(row.amount_cents)} paid`,
        { errors: [{ path: 'applications', message: `must add up to ${formatAmount(row.amount_cents)}` }] },
      );
    }
    const agency = await getAgency(tx, actor.agencyId);
    const receipt = await postCustomerReceipt(
      tx,
      actor,
      {
        customerNumber: current.customerNumber,
        items,
        receiptAmountCents: row.amount_cents,
        receiptDate: now.toISOString(),
        receiptDateTimeZone: agency.timeZone,
        bankShortName,
        paymentCheckType: payment.type === 'card' ? 'CreditCard' : 'EFT',
        receiptDescription: input.description || `Online payment request ${row.id}${row.note ? `: ${row.note}` : ''}`,
      },
      { source: 'payment_request' },
    );
    // The receipt debited the bank; the hold comes off: the processor's clearing and what was owed back.
    await postJournalEntry(tx, actor.agencyId, {
      kind: 'online_payment_finalized',
      description: `Payment request ${row.id} finalized as receipt ${receipt.receiptNumber}`,
      occurredOn: dateInZone(now, agency.timeZone),
      sourceType: 'payment_request',
      sourceId: row.id,
      lines: [
        { account: 'payments_held', amountCents: row.amount_cents, customerId: row.customer_id },
        { account: 'processor_clearing', amountCents: -row.amount_cents, customerId: row.customer_id },
      ],
    });
    await tx
      .updateTable('payment_requests')
      .set({ state: 'finalized', receipt_id: receipt.id, finalized_by: actor.label, finalized_at: now })
      .where('id', '=', row.id)
      .execute();
    // A later chargeback or return reverses this receipt like any posted payment's.
    await tx.updateTable('payments').set({ receipt_id: receipt.id }).where('id', '=', payment.id).execute();
    await logActivity(
      tx,
      actor,
      row.customer_id,
      'payment_request_finalized',
      `Payment finalized by ${actor.label}: receipt ${receipt.receiptNumber} for ${formatAmount(row.amount_cents)}`,
      { paymentRequestId: row.id, receiptNumber: receipt.receiptNumber },
    );
    await audit(
      tx,
      actor,
      'payment_request.finalized',
      { type: 'payment_request', id: row.id },
      { receiptNumber: receipt.receiptNumber },
    );
    return paymentRequestById(tx, actor.agencyId, row.id, now);
  });
}

export interface FinalizeProposal {
  amountCents: Cents;
  /** The bank the form preselects: the agency's deposit bank for the payment's channel. */
  bankShortName: string | null;
  /** Every open invoice of the customer, oldest due first, with what the proposal applies to it. */
  invoices: {
    invoiceNumber: number;
    policyNumber: string | null;
    dueDate: string;
    balanceCents: Cents;
    proposedCents: Cents;
  }[];
  onAccountCents: Cents;
}

/** What the Finalize Payment form starts from; finalizing without applications uses the same. */
export async function finalizeProposal(db: Db, actor: Actor, id: string, now = new Date()): Promise<FinalizeProposal> {
  return inTransaction(db, async (tx) => {
    if (!isUuid(id)) throw notFound('payment request', id);
    const current = await paymentRequestById(tx, actor.agencyId, id, now);
    const row = await tx
      .selectFrom('payment_requests')
      .innerJoin('customers', 'customers.id', 'payment_requests.customer_id')
      .leftJoin('payments', 'payments.id', 'payment_requests.payment_id')
      .select(['payment_requests.customer_id', 'payments.channel', 'payments.bank_id'])
      .where('payment_requests.agency_id', '=', actor.agencyId)
      .where('payment_requests.id', '=', current.id)
      .executeTakeFirstOrThrow();
    const open = await openInvoices(tx, actor.agencyId, row.customer_id);
    const proposal = proposeFinalizeApplications(current.amountCents, current.invoices, open);
    const proposed = new Map(proposal.applications.map((a) => [a.invoiceNumber, a.amountCents]));
    // Invoices the proposal fills first are listed first (the request's), then the rest by due date.
    const listed = [
      ...proposal.applications.map((a) => open.find((invoice) => invoice.invoiceNumber === a.invoiceNumber)!),
      ...open.filter((invoice) => !proposed.has(invoice.invoiceNumber)),
    ];
    return {
      amountCents: current.amountCents,
      bankShortName: await defaultFinalizeBank(tx, actor.agencyId, row.channel ?? 'secure_checkout', row.bank_id).catch(
        (error: unknown) => {
          if (error instanceof DomainError) return null;
          throw error;
        },
      ),
      invoices: listed.map((invoice) => ({
        invoiceNumber: invoice.invoiceNumber,
        policyNumber: invoice.policyNumber,
        dueDate: invoice.dueDate,
        balanceCents: invoice.balanceCents,
        proposedCents: proposed.get(invoice.invoiceNumber) ?? 0n,
      })),
      onAccountCents: proposal.onAccountCents,
    };
  });
}

async function openInvoices(tx: Tx, agencyId: string, customerId: string) {
  const invoices = await listCustomerInvoices(tx, agencyId, customerId);
  return invoices
    .filter((invoice) => invoice.balanceCents > 0n)
    .map((invoice) => ({
      invoiceNumber: invoice.invoiceNumber,
      policyNumber: invoice.policyNumber,
      balanceCents: invoice.balanceCents,
      dueDate: invoice.dueDate,
    }));
}

/**
 * The agency's deposit bank for the channel the client paid through; when the agency has several
 * banks and names none for that channel, the bank the payment itself was recorded against.
 */
async function defaultFinalizeBank(
  tx: Tx,
  agencyId: string,
  channel: PaymentChannel,
  paymentBankId: string | null,
): Promise<string> {
  try {
    return (await channelDepositBank(tx, agencyId, channel)).shortName;
  } catch (error) {
    if (!(error instanceof DomainError) || !paymentBankId) throw error;
    const bank = await tx
      .selectFrom('banks')
      .select('short_name')
      .where('agency_id', '=', agencyId)
      .where('id', '=', paymentBankId)
      .executeTakeFirst();
    if (!bank) throw error;
    return bank.short_name;
  }
}
