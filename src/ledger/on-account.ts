import { agencyToday } from '../agency/agencies.ts';
import { findCustomer, lockCustomer } from '../customers/customers.ts';
import type { Actor } from '../kernel/actor.ts';
import { DomainError } from '../kernel/errors.ts';
import { type Cents, formatAmount } from '../kernel/money.ts';
import { audit, logActivity } from '../platform/db/audit.ts';
import { type Db, inTransaction, type Tx } from '../platform/db/transaction.ts';
import { customerBalances, invoiceBalances, postJournalEntry } from './ledger.ts';
import { onAccountApplicationEntry } from './rules/receipt-application.ts';

export interface OnAccountApplication {
  customerNumber: number;
  invoiceNumber: number;
  appliedCents: Cents;
  invoiceBalanceCents: Cents;
  onAccountCents: Cents;
}

/** Pays an open invoice from the customer's On Account credit (no new cash). */
export async function applyOnAccountCredit(
  db: Db | Tx,
  actor: Actor,
  customerNumber: number,
  input: { invoiceNumber: number; amountCents: Cents },
  now: Date = new Date(),
): Promise<OnAccountApplication> {
  return inTransaction(db, async (tx) => {
    const customer = await findCustomer(tx, actor.agencyId, customerNumber);
    await lockCustomer(tx, actor.agencyId, customer.id);
    const invoice = await tx
      .selectFrom('invoices')
      .select(['id', 'customer_id', 'invoice_number'])
      .where('agency_id', '=', actor.agencyId)
      .where('invoice_number', '=', input.invoiceNumber)
      .executeTakeFirst();
    if (!invoice || invoice.customer_id !== customer.id) {
      throw new DomainError(
        'unprocessable',
        invoice
          ? `invoice ${input.invoiceNumber} does not belong to customer ${customerNumber}`
          : `invoice ${input.invoiceNumber} does not exist`,
        { errors: [{ path: 'invoiceNumber', message: invoice ? 'belongs to another customer' : 'unknown invoice' }] },
      );
    }
    const { onAccountCents } = await customerBalances(tx, actor.agencyId, customer.id);
    const balance = (await invoiceBalances(tx, actor.agencyId, [invoice.id])).get(invoice.id) ?? 0n;
    if (input.amountCents > onAccountCents) {
      throw new DomainError(
        'unprocessable',
        `customer ${customerNumber} has ${formatAmount(onAccountCents)} On Account, less than ${formatAmount(input.amountCents)}`,
        { errors: [{ path: 'amount', message: `exceeds the On Account credit of ${formatAmount(onAccountCents)}` }] },
      );
    }
    if (input.amountCents > balance) {
      throw new DomainError(
        'unprocessable',
        `invoice ${input.invoiceNumber} has an open balance of ${formatAmount(balance)}, less than ${formatAmount(input.amountCents)}`,
        { errors: [{ path: 'amount', message: `exceeds the invoice's open balance of ${formatAmount(balance)}` }] },
      );
    }
    await postJournalEntry(
      tx,
      actor.agencyId,
      onAccountApplicationEntry({
        customerId: customer.id,
        invoiceId: invoice.id,
        invoiceNumber: invoice.invoice_number,
        amountCents: input.amountCents,
        occurredOn: await agencyToday(tx, actor.agencyId, now),
      }),
    );
    await logActivity(
      tx,
      actor,
      customer.id,
      'on_account_applied',
      `${formatAmount(input.amountCents)} of On Account credit applied to invoice ${input.invoiceNumber}`,
      { invoiceNumber: input.invoiceNumber, amountCents: input.amountCents },
    );
    await audit(
      tx,
      actor,
      'on_account.applied',
      { type: 'invoice', id: invoice.id },
      { amountCents: input.amountCents },
    );
    return {
      customerNumber,
      invoiceNumber: input.invoiceNumber,
      appliedCents: input.amountCents,
      invoiceBalanceCents: balance - input.amountCents,
      onAccountCents: onAccountCents - input.amountCents,
    };
  });
}
