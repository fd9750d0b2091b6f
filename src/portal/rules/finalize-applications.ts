// How Finalize Payment proposes to apply the money a client paid for a request: to the invoices the
// request named, or, when it named none, to the customer's open invoices oldest due first; what is
// left goes On Account. Staff can change the proposal; the receipt rules apply whatever they send.
import type { Cents } from '../../kernel/money.ts';

export interface OpenInvoice {
  invoiceNumber: number;
  balanceCents: Cents;
  dueDate: string;
}

export interface ProposedApplications {
  applications: { invoiceNumber: number; amountCents: Cents }[];
  onAccountCents: Cents;
}

export function proposeFinalizeApplications(
  amountCents: Cents,
  requested: readonly { invoiceNumber: number; amountCents: Cents }[],
  open: readonly OpenInvoice[],
): ProposedApplications {
  const balances = new Map(open.map((invoice) => [invoice.invoiceNumber, invoice.balanceCents]));
  const wanted =
    requested.length > 0
      ? requested.map((item) => ({ invoiceNumber: item.invoiceNumber, upTo: item.amountCents }))
      : [...open]
          .sort((a, b) => a.dueDate.localeCompare(b.dueDate) || a.invoiceNumber - b.invoiceNumber)
          .map((invoice) => ({ invoiceNumber: invoice.invoiceNumber, upTo: invoice.balanceCents }));
  const applications: ProposedApplications['applications'] = [];
  let left = amountCents;
  for (const item of wanted) {
    // An invoice paid in full since the request was sent takes nothing (its share goes On Account).
    const take = min(left, item.upTo, balances.get(item.invoiceNumber) ?? 0n);
    if (take <= 0n) continue;
    applications.push({ invoiceNumber: item.invoiceNumber, amountCents: take });
    balances.set(item.invoiceNumber, (balances.get(item.invoiceNumber) ?? 0n) - take);
    left -= take;
  }
  return { applications, onAccountCents: left };
}

function min(...values: Cents[]): Cents {
  return values.reduce((a, b) => (b < a ? b : a));
}
