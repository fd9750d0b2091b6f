// /app/customers/{customerNumber}: customer header, balances and invoices.
import { useEffect, useState } from 'react';
import {
  ApiError,
  type Customer,
  type CustomerAccount,
  errorMessage,
  getCustomer,
  getCustomerAccount,
  type InvoiceSummary,
  isAbortError,
} from './api.ts';
import { CustomerSyncPanel } from './customer-sync-panel.tsx';
import { customerTypeLabel, formatDate, formatMoney, invoiceStatusLabel, todayIn } from './format.ts';
import { Link } from './router.tsx';

type CustomerAccountPageProps = { customerNumber: number; timeZone: string };

type PageState =
  | { status: 'loading' }
  | { status: 'not-found' }
  | { status: 'error'; message: string }
  | { status: 'ready'; customer: Customer; account: CustomerAccount };

function statusTone(status: string): string {
  if (status === 'paid') return 'green';
  if (status === 'partially_paid') return 'amber';
  if (status === 'open') return 'blue';
  return 'gray';
}

function isPastDue(invoice: InvoiceSummary, today: string): boolean {
  return invoice.balance > 0 && invoice.dueDate < today;
}

export function CustomerAccountPage({ customerNumber, timeZone }: CustomerAccountPageProps) {
  const [state, setState] = useState<PageState>({ status: 'loading' });
  const [reloadKey, setReloadKey] = useState(0);

  // biome-ignore lint/correctness/useExhaustiveDependencies: reloadKey is a deliberate re-fetch trigger.
  useEffect(() => {
    const controller = new AbortController();
    setState({ status: 'loading' });
    Promise.all([
      getCustomer(customerNumber, controller.signal),
      getCustomerAccount(customerNumber, controller.signal),
    ]).then(
      ([customer, account]) => setState({ status: 'ready', customer, account }),
      (error: unknown) => {
        if (isAbortError(error)) return;
        if (error instanceof ApiError && error.status === 404) setState({ status: 'not-found' });
        else setState({ status: 'error', message: errorMessage(error) });
      },
    );
    return () => controller.abort();
  }, [customerNumber, reloadKey]);

  const customerName = state.status === 'ready' ? state.customer.name : null;
  useEffect(() => {
    document.title = `${customerName ?? `Customer ${customerNumber}`} · policypay`;
  }, [customerName, customerNumber]);

  const breadcrumb = (
    <nav aria-label="Breadcrumb" className="breadcrumb">
      <ol>
        <li>
          <Link to="/app/customers">Customers</Link>
        </li>
        <li aria-current="page">{customerName ?? `#${customerNumber}`}</li>
      </ol>
    </nav>
  );

  if (state.status === 'loading') {
    return (
      <>
        {breadcrumb}
        <p className="loading" aria-live="polite">
          Loading account…
        </p>
      </>
    );
  }

  if (state.status === 'not-found') {
    return (
      <>
        {breadcrumb}
        <div className="card empty-state">
          <h1>Customer not found</h1>
          <p className="muted">There is no customer #{customerNumber} in this agency.</p>
          <Link to="/app/customers" className="button button-secondary">
            Back to customers
          </Link>
        </div>
      </>
    );
  }

  if (state.status === 'error') {
    return (
      <>
        {breadcrumb}
        <div className="alert alert-error" role="alert">
          <span>Could not load this account: {state.message}</span>
          <button type="button" className="button button-secondary" onClick={() => setReloadKey((k) => k + 1)}>
            Try again
          </button>
        </div>
      </>
    );
  }

  const { customer, account } = state;
  const today = todayIn(timeZone);
  const openInvoices = account.invoices.filter((invoice) => invoice.balance > 0);
  const pastDue = openInvoices.filter((invoice) => isPastDue(invoice, today));
  const pastDueTotal = pastDue.reduce((sum, invoice) => sum + invoice.balance, 0);
  const contact = [customer.email, customer.phone].filter((value): value is string => Boolean(value));

  return (
    <>
      {breadcrumb}
      <div className="page-header">
        <div>
          <h1>{customer.name}</h1>
          <p className="page-subtitle">
            <span className="mono">Customer #{customer.customerNumber}</span>
            <span className={`badge badge-${customer.type === 'group' ? 'violet' : 'gray'}`}>
              {customerTypeLabel(customer.type)}
            </span>
            {contact.map((item) => (
              <span key={item}>{item}</span>
            ))}
          </p>
        </div>
      </div>

      <dl className="stats">
        <div className="stat">
          <dt>AR balance</dt>
          <dd className="money" data-testid="ar-balance">
            {formatMoney(account.arBalance)}
          </dd>
        </div>
        <div className="stat">
          <dt>On Account credit</dt>
          <dd className="money" data-testid="on-account">
            {formatMoney(account.onAccount)}
          </dd>
        </div>
        <div className="stat">
          <dt>Open invoices</dt>
          <dd>{openInvoices.length}</dd>
        </div>
        <div className="stat">
          <dt>Past due</dt>
          <dd className={`money${pastDueTotal > 0 ? ' text-danger' : ''}`}>{formatMoney(pastDueTotal)}</dd>
        </div>
      </dl>

      <section className="card" aria-labelledby="invoices-heading">
        <div className="card-header">
          <h2 id="invoices-heading">Invoices</h2>
        </div>
        <div className="table-wrap">
          <table className="data-table">
            <thead>
              <tr>
                <th scope="col">Invoice</th>
                <th scope="col">Due date</th>
                <th scope="col" className="num">
                  Amount
                </th>
                <th scope="col" className="num">
                  Balance
                </th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {account.invoices.map((invoice) => (
                <tr key={invoice.invoiceNumber}>
                  <td className="mono">{invoice.invoiceNumber}</td>
                  <td>
                    <time dateTime={invoice.dueDate}>{formatDate(invoice.dueDate)}</time>
                    {isPastDue(invoice, today) && <span className="badge badge-red badge-inline">Past due</span>}
                  </td>
                  <td className="num money">{formatMoney(invoice.amount)}</td>
                  <td className="num money">{formatMoney(invoice.balance)}</td>
                  <td>
                    <span className={`badge badge-${statusTone(invoice.status)}`}>
                      {invoiceStatusLabel(invoice.status)}
                    </span>
                  </td>
                </tr>
              ))}
              {account.invoices.length === 0 && (
                <tr>
                  <td colSpan={5} className="empty-cell">
                    No invoices for this customer yet.
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        </div>
      </section>

      <CustomerSyncPanel customerNumber={customer.customerNumber} />
    </>
  );
}
