import { findCustomer } from '../customers/customers.ts';
import type { Actor } from '../kernel/actor.ts';
import type { Cents } from '../kernel/money.ts';
import type { Db, Tx } from '../platform/db/transaction.ts';
import { type InvoiceView, listCustomerInvoices } from './invoices.ts';
import { customerBalances } from './ledger.ts';

export interface CustomerAccount {
  customerNumber: number;
  arCents: Cents;
  onAccountCents: Cents;
  invoices: InvoiceView[];
}

/** A customer's receivables, all derived from the ledger. */
export async function getCustomerAccount(db: Db | Tx, actor: Actor, customerNumber: number): Promise<CustomerAccount> {
  const customer = await findCustomer(db, actor.agencyId, customerNumber);
  const [balances, invoices] = await Promise.all([
    customerBalances(db, actor.agencyId, customer.id),
    listCustomerInvoices(db, actor.agencyId, customer.id),
  ]);
  return { customerNumber, arCents: balances.arCents, onAccountCents: balances.onAccountCents, invoices };
}
