// /portal: a highlighted banner for every outstanding payment request, then balance and invoices.
import { useEffect, useState } from 'react';
import { errorMessage, isAbortError, type PaymentRequest } from '../console/api/api.ts';
import { formatDate, formatMoney, invoiceStatusLabel } from '../console/shared/format.ts';
import { Link } from '../console/shared/router.tsx';
import { getPortalAccount, listPortalRequests, type PortalAccount, type PortalSession } from './api.ts';
import { ScrollTable } from './scroll-table.tsx';

type State =
  | { status: 'loading' }
  | { status: 'error'; message: string }
  | { status: 'ready'; requests: PaymentRequest[]; account: PortalAccount };

function RequestBanner({ request }: { request: PaymentRequest }) {
  return (
    <section className="request-banner" aria-labelledby={`banner-${request.id}`}>
      <div>
        <h2 id={`banner-${request.id}`}>Payment requested: {formatMoney(request.amount)}</h2>
        <p>
          Due {formatDate(request.dueDate)}
          {request.note ? ` · ${request.note}` : ''}
        </p>
      </div>
      {request.payment ? (
        // An ACH debit waiting to settle: paying again would pay twice.
        <span className="badge badge-blue">Payment in progress</span>
      ) : (
        <Link to={`/portal/pay/${request.id}`} className="button button-primary">
          Pay {formatMoney(request.amount)}
        </Link>
      )}
    </section>
  );
}

export function DashboardPage({ session }: { session: PortalSession }) {
  const [state, setState] = useState<State>({ status: 'loading' });

  useEffect(() => {
    document.title = `${session.agency.name} · Client portal`;
    const controller = new AbortController();
    Promise.all([listPortalRequests('requested', controller.signal), getPortalAccount(controller.signal)]).then(
      ([requests, account]) => setState({ status: 'ready', requests: requests.data, account }),
      (error: unknown) => {
        if (!isAbortError(error)) setState({ status: 'error', message: errorMessage(error) });
      },
    );
    return () => controller.abort();
  }, [session.agency.name]);

  return (
    <>
      <div className="page-header">
        <div>
          <h1>Welcome, {session.contact.name}</h1>
          <p className="page-subtitle">{session.customer.name}</p>
        </div>
        <Link to="/portal/pay" className="button button-secondary">
          Make a One-Time Payment
        </Link>
      </div>
      {state.status === 'loading' && <p className="loading">Loading…</p>}
      {state.status === 'error' && (
        <div className="alert alert-error" role="alert">
          {state.message}
        </div>
      )}
      {state.status === 'ready' && (
        <>
          {state.requests.map((request) => (
            <RequestBanner key={request.id} request={request} />
          ))}
          <dl className="stats">
            <div className="stat">
              <dt>Balance</dt>
              <dd className="money" data-testid="portal-balance">
                {formatMoney(state.account.arBalance)}
              </dd>
            </div>
            <div className="stat">
              <dt>Credit on account</dt>
              <dd className="money">{formatMoney(state.account.onAccount)}</dd>
            </div>
          </dl>
          <section className="card" aria-labelledby="portal-invoices">
            <div className="card-header">
              <h2 id="portal-invoices">Invoices</h2>
            </div>
            <ScrollTable label="Invoices">
              <table className="data-table">
                <thead>
                  <tr>
                    <th scope="col">Invoice</th>
                    <th scope="col">Due</th>
                    <th scope="col" className="num">
                      Balance
                    </th>
                    <th scope="col">Status</th>
                  </tr>
                </thead>
                <tbody>
                  {state.account.invoices.map((invoice) => (
                    <tr key={invoice.invoiceNumber}>
                      <td className="mono">{invoice.invoiceNumber}</td>
                      <td>{formatDate(invoice.dueDate)}</td>
                      <td className="num money">{formatMoney(invoice.balance)}</td>
                      <td>{invoiceStatusLabel(invoice.status)}</td>
                    </tr>
                  ))}
                  {state.account.invoices.length === 0 && (
                    <tr>
                      <td colSpan={4} className="empty-cell">
                        No invoices.
                      </td>
                    </tr>
                  )}
                </tbody>
              </table>
            </ScrollTable>
          </section>
        </>
      )}
    </>
  );
}
