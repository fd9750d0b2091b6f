// /app/payments: the agency's card and ACH payments by state, newest first; and the paid
// requests waiting for Finalize Payment (/app/payments/finalize), across customers.
import { useEffect, useState } from 'react';
import { errorMessage, isAbortError } from '../../api/api.ts';
import { listPayments, type Payment, type PaymentState, paymentStates } from '../../api/payments-api.ts';
import { formatDateTime, formatMoney, humanize } from '../../shared/format.ts';
import { Link, navigate } from '../../shared/router.tsx';
import { TableWrap } from '../../shared/table-wrap.tsx';

type State = { status: 'loading' } | { status: 'ready'; payments: Payment[] } | { status: 'error'; message: string };

export const stateTone: Record<string, string> = {
  posted: 'green',
  failed: 'red',
  reversed: 'red',
  cancelled: 'gray',
  requested: 'blue',
  executing: 'blue',
};

export function PaymentsPage({ state: filter }: { state: PaymentState | null }) {
  const [state, setState] = useState<State>({ status: 'loading' });

  useEffect(() => {
    document.title = 'Payments · policypay';
    const controller = new AbortController();
    setState({ status: 'loading' });
    listPayments(filter, controller.signal).then(
      (result) => setState({ status: 'ready', payments: result.data }),
      (error: unknown) => {
        if (!isAbortError(error)) setState({ status: 'error', message: errorMessage(error) });
      },
    );
    return () => controller.abort();
  }, [filter]);

  return (
    <>
      <div className="page-header">
        <div>
          <h1>Payments</h1>
          <p className="page-subtitle">Card and bank payments from the portal, autopay and the console.</p>
        </div>
        <div className="filter-actions">
          <Link to="/app/payments/finalize" className="button button-secondary">
            Awaiting finalize
          </Link>
          <a
            className="button button-secondary"
            href={`/api/v1/payments/export.csv${filter ? `?state=${filter}` : ''}`}
            download
          >
            Export CSV
          </a>
        </div>
      </div>
      <div className="card filter-bar">
        <div className="field">
          <label htmlFor="payments-state">State</label>
          <select
            id="payments-state"
            value={filter ?? ''}
            onChange={(event) =>
              navigate(event.target.value ? `/app/payments?state=${event.target.value}` : '/app/payments')
            }
          >
            <option value="">Every state</option>
            {paymentStates.map((s) => (
              <option key={s} value={s}>
                {humanize(s)}
              </option>
            ))}
          </select>
        </div>
      </div>
      <section className="card" aria-labelledby="payments-caption">
        {state.status === 'error' && (
          <div className="alert alert-error card-alert" role="alert">
            Could not load payments: {state.message}
          </div>
        )}
        <TableWrap label="Payments">
          <table className="data-table" aria-label="Payments">
            <caption id="payments-caption" className="visually-hidden">
              Payments
            </caption>
            <thead>
              <tr>
                <th scope="col">Created</th>
                <th scope="col">Customer</th>
                <th scope="col">Method</th>
                <th scope="col">Channel</th>
                <th scope="col" className="num">
                  Amount
                </th>
                <th scope="col">State</th>
                <th scope="col">Receipt</th>
              </tr>
            </thead>
            <tbody>
              {state.status === 'ready' &&
                state.payments.map((payment) => (
                  <tr key={payment.id}>
                    <td>
                      <Link to={`/app/payments/${payment.id}`} className="row-link">
                        {formatDateTime(payment.createdAt)}
                      </Link>
                    </td>
                    <td>
                      <Link to={`/app/customers/${payment.customerNumber}`}>{payment.customerNumber}</Link>
                    </td>
                    <td>{payment.type === 'ach' ? 'Bank account' : 'Card'}</td>
                    <td>{humanize(payment.channel)}</td>
                    <td className="num">{formatMoney(payment.amount)}</td>
                    <td>
                      <span className={`badge badge-${stateTone[payment.state] ?? 'gray'}`}>
                        {humanize(payment.state)}
                      </span>
                      {payment.failureMessage ? <span className="muted"> {payment.failureMessage}</span> : null}
                    </td>
                    <td>
                      {payment.receiptNumber ? (
                        <Link to={`/app/receipts/${payment.receiptNumber}`}>{payment.receiptNumber}</Link>
                      ) : (
                        '—'
                      )}
                    </td>
                  </tr>
                ))}
              {state.status === 'loading' && (
                <tr>
                  <td colSpan={7} className="empty-cell">
                    Loading payments…
                  </td>
                </tr>
              )}
              {state.status === 'ready' && state.payments.length === 0 && (
                <tr>
                  <td colSpan={7} className="empty-cell">
                    {filter ? `No ${humanize(filter).toLowerCase()} payments.` : 'No payments yet.'}
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        </TableWrap>
      </section>
    </>
  );
}
