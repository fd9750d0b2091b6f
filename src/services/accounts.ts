import type { Cents } from '../domain/money.ts';
import type { Actor } from './actor.ts';
import { findCustomer } from './customers.ts';
import { type InvoiceView, listCustomerInvoices } from './invoices.ts';
import { customerBalances } from './ledger.ts';
import type { Db, Tx } from './transaction.ts';

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
