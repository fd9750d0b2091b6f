import type { CustomerView } from '../../customers/customers.ts';
import type { PolicyView } from '../../customers/policies.ts';
import { allowedTransitions } from '../../customers/rules/policy-lifecycle.ts';
import { toAmount } from '../../kernel/money.ts';
import type { CustomerAccount } from '../accounts.ts';
import type { InvoiceView } from '../invoices.ts';

// Services speak cents; the API speaks decimal amounts. These turn views into JSON bodies.

export function presentCustomer(c: CustomerView) {
  return {
    customerNumber: c.customerNumber,
    type: c.type,
    name: c.name,
    email: c.email,
    phone: c.phone,
    address: c.address,
    producerUserId: c.producerUserId,
    csrUserId: c.csrUserId,
    createdAt: c.createdAt.toISOString(),
  };
}

export function presentInvoice(i: InvoiceView) {
  return {
    invoiceNumber: i.invoiceNumber,
    displayNumber: i.displayNumber,
    customerNumber: i.customerNumber,
    policyNumber: i.policyNumber,
    amount: toAmount(i.amountCents),
    balance: toAmount(i.balanceCents),
    dueDate: i.dueDate,
    status: i.status,
    autopayTime: i.autopayTime ? i.autopayTime.toISOString() : null,
    suppressAutopay: i.suppressAutopay,
    description: i.description,
  };
}

export function presentAccount(a: CustomerAccount) {
  return {
    customerNumber: a.customerNumber,
    arBalance: toAmount(a.arCents),
    onAccount: toAmount(a.onAccountCents),
    invoices: a.invoices.map((i) => ({
      invoiceNumber: i.invoiceNumber,
      amount: toAmount(i.amountCents),
      balance: toAmount(i.balanceCents),
      dueDate: i.dueDate,
      status: i.status,
    })),
  };
}

export function presentPolicy(p: PolicyView) {
  return {
    policyNumber: p.policyNumber,
    customerNumber: p.customerNumber,
    lineOfBusiness: p.lineOfBusiness,
    effectiveDate: p.effectiveDate,
    expirationDate: p.expirationDate,
    premium: toAmount(p.premiumCents),
    installmentPlan: p.installmentPlan,
    status: p.status,
    cancellationReason: p.cancellationReason,
    cancellationEffectiveDate: p.cancellationEffectiveDate,
    tags: p.tags,
    allowedTransitions: [...allowedTransitions(p.status)],
  };
}
