// /app/payments/finalize: every paid payment request waiting for Finalize Payment, across
// customers, oldest paid first; each finalized here with the same form as on the customer's page.
import { useEffect, useState } from 'react';
import { errorMessage, isAbortError, type PaymentRequest } from '../../api/api.ts';
import { listAwaitingFinalize } from '../../api/payments-api.ts';
import { FinalizeForm } from '../../forms/finalize-form.tsx';
import { notifyFinalizeQueueChanged } from '../../shared/finalize-count.ts';
import { formatDateTime, formatMoney } from '../../shared/format.ts';
import { Link } from '../../shared/router.tsx';
import { TableWrap } from '../../shared/table-wrap.tsx';

type State =
  | { status: 'loading' }
  | { status: 'ready'; requests: PaymentRequest[] }
  | { status: 'error'; message: string };

/** `canFinalize`: the agency's who-may-finalize setting for this user; otherwise the queue is read-only. */
export function FinalizeQueuePage({ canFinalize }: { canFinalize: boolean }) {
  const [state, setState] = useState<State>({ status: 'loading' });
  const [open, setOpen] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);

  useEffect(() => {
    document.title = 'Awaiting finalize · policypay';
    const controller = new AbortController();
    listAwaitingFinalize(controller.signal).then(
      (requests) => setState({ status: 'ready', requests }),
      (error: unknown) => {
        if (!isAbortError(error)) setState({ status: 'error', message: errorMessage(error) });
      },
    );
    return () => controller.abort();
  }, []);

  const requests = state.status === 'ready' ? state.requests : [];
  const opened = requests.find((r) => r.id === open);

  return (
    <>
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <ol>
          <li>
            <Link to="/app/payments">Payments</Link>
          </li>
          <li aria-current="page">Awaiting finalize</li>
        </ol>
      </nav>
      <div className="page-header">
        <div>
          <h1>Awaiting finalize</h1>
          <p className="page-subtitle">
            Paid payment requests: finalize each into a cash receipt at the bank the money went to.
          </p>
        </div>
      </div>
      {done && <output className="alert alert-success">{done}</output>}
      {!canFinalize && <p className="alert alert-warning">This agency lets only staff finalize payment requests.</p>}
      {state.status === 'error' && (
        <div className="alert alert-error" role="alert">
          Could not load the queue: {state.message}
        </div>
      )}
      {opened && canFinalize && (
        <FinalizeForm
          request={opened}
          onCancel={() => setOpen(null)}
          onFinalized={(finalized) => {
            setOpen(null);
            setDone(
              `Finalized ${formatMoney(finalized.amount)} from ${finalized.customerName} into receipt ${finalized.receiptNumber}.`,
            );
            setState({ status: 'ready', requests: requests.filter((r) => r.id !== finalized.id) });
            notifyFinalizeQueueChanged();
          }}
        />
      )}
      <section className="card" aria-labelledby="queue-caption">
        <TableWrap label="Awaiting finalize">
          <table className="data-table" aria-label="Awaiting finalize">
            <caption id="queue-caption" className="visually-hidden">
              Paid requests awaiting finalize
            </caption>
            <thead>
              <tr>
                <th scope="col">Paid</th>
                <th scope="col">Customer</th>
                <th scope="col">Paid by</th>
                <th scope="col" className="num">
                  Amount
                </th>
                <th scope="col" className="actions">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {requests.map((r) => (
                <tr key={r.id}>
                  <td>{r.payment?.paidAt ? formatDateTime(r.payment.paidAt) : '—'}</td>
                  <td>
                    <Link to={`/app/customers/${r.customerNumber}`}>{r.customerName}</Link>
                  </td>
                  <td>
                    {r.contact.name}
                    {r.payment
                      ? ` · ${r.payment.type === 'ach' ? 'account' : 'card'} ending ${r.payment.last4 ?? '—'}`
                      : ''}
                  </td>
                  <td className="num">{formatMoney(r.amount)}</td>
                  <td className="actions">
                    {canFinalize ? (
                      <button
                        type="button"
                        className="button button-primary"
                        onClick={() => {
                          setDone(null);
                          setOpen(r.id);
                        }}
                        aria-label={`Finalize ${formatMoney(r.amount)} from ${r.customerName}`}
                      >
                        Finalize
                      </button>
                    ) : (
                      <span className="muted">Staff finalize</span>
                    )}
                  </td>
                </tr>
              ))}
              {state.status === 'loading' && (
                <tr>
                  <td colSpan={5} className="empty-cell">
                    Loading…
                  </td>
                </tr>
              )}
              {state.status === 'ready' && requests.length === 0 && (
                <tr>
                  <td colSpan={5} className="empty-cell">
                    Nothing to finalize: every paid request is a receipt.
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
