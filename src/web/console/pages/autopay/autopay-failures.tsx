// The Autopay page's failed and declined pulls: what the processor said, and Re-fire for staff.
// A re-fire is queued: the next pass takes the invoice through the autopay rules again.
import { useRef, useState } from 'react';
import { errorMessage, newIdempotencyKey, refusedByServer } from '../../api/api.ts';
import { type FailedPull, listFailedPulls, refirePull } from '../../api/autopay-api.ts';
import { formatMoney } from '../../shared/format.ts';
import { Link } from '../../shared/router.tsx';
import { TableWrap } from '../../shared/table-wrap.tsx';
import { agencyDateTime, useLoaded } from './autopay-shared.ts';

const statusLabel: Record<FailedPull['status'], { text: string; tone: string }> = {
  declined: { text: 'Declined', tone: 'red' },
  failed: { text: 'Failed', tone: 'red' },
  queued: { text: 'Re-fire queued', tone: 'blue' },
};

export function FailedPullsSection({
  reload,
  timeZone,
  canRefire,
  onRefired,
}: {
  reload: number;
  timeZone: string;
  canRefire: boolean;
  onRefired: () => void;
}) {
  const state = useLoaded<{ data: FailedPull[] }>(listFailedPulls, reload);
  const [busy, setBusy] = useState<number | null>(null);
  const [message, setMessage] = useState<{ tone: 'success' | 'error'; text: string } | null>(null);
  // One key per invoice's re-fire: a retry after a network error is the same action.
  const keys = useRef(new Map<number, string>());

  async function refire(pull: FailedPull) {
    if (busy !== null) return;
    const key = keys.current.get(pull.invoiceNumber) ?? newIdempotencyKey();
    keys.current.set(pull.invoiceNumber, key);
    setBusy(pull.invoiceNumber);
    setMessage(null);
    try {
      await refirePull(pull.invoiceNumber, key);
      keys.current.delete(pull.invoiceNumber);
      setMessage({
        tone: 'success',
        text: `Invoice ${pull.invoiceNumber} re-fired: the next autopay pass pulls it with ${pull.customerName}'s enrolled method.`,
      });
      onRefired();
    } catch (error) {
      if (refusedByServer(error)) keys.current.delete(pull.invoiceNumber);
      setMessage({ tone: 'error', text: `Invoice ${pull.invoiceNumber} was not re-fired: ${errorMessage(error)}` });
    } finally {
      setBusy(null);
    }
  }

  const columns = canRefire ? 7 : 6;
  return (
    <section className="card autopay-section" aria-labelledby="autopay-failures-heading">
      <div className="card-header">
        <h2 id="autopay-failures-heading">Failed and declined pulls</h2>
      </div>
      {state.status === 'error' && (
        <div className="alert alert-error card-alert" role="alert">
          Could not load the failed pulls: {state.message}
        </div>
      )}
      <div role="status" aria-live="polite" className="autopay-message">
        {message && <div className={`alert alert-${message.tone} card-alert`}>{message.text}</div>}
      </div>
      <TableWrap label="Failed pulls">
        <table className="data-table" aria-label="Failed pulls">
          <thead>
            <tr>
              <th scope="col">Invoice</th>
              <th scope="col">Customer</th>
              <th scope="col">Autopay time</th>
              <th scope="col" className="num">
                Amount
              </th>
              <th scope="col">Status</th>
              <th scope="col">Reason</th>
              {canRefire && (
                <th scope="col" className="actions">
                  <span className="visually-hidden">Actions</span>
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {state.status === 'loading' && (
              <tr>
                <td colSpan={columns} className="empty-cell">
                  Loading the failed pulls…
                </td>
              </tr>
            )}
            {state.status === 'ready' && state.value.data.length === 0 && (
              <tr>
                <td colSpan={columns} className="empty-cell">
                  No failed or declined pulls.
                </td>
              </tr>
            )}
            {state.status === 'ready' &&
              state.value.data.map((pull) => (
                <tr key={pull.invoiceNumber}>
                  <th scope="row">{pull.invoiceNumber}</th>
                  <td>
                    <Link to={`/app/customers/${pull.customerNumber}`}>{pull.customerName}</Link>
                  </td>
                  <td>{agencyDateTime(pull.autopayTime, timeZone)}</td>
                  <td className="num">
                    {pull.amount === null ? (
                      '—'
                    ) : pull.paymentId ? (
                      <Link to={`/app/payments/${pull.paymentId}`}>{formatMoney(pull.amount)}</Link>
                    ) : (
                      formatMoney(pull.amount)
                    )}
                  </td>
                  <td>
                    <span className={`badge badge-${statusLabel[pull.status].tone}`}>
                      {statusLabel[pull.status].text}
                    </span>
                  </td>
                  <td className="autopay-reason">
                    {pull.reasonCode && <code>{pull.reasonCode}</code>} {pull.reason ?? ''}
                  </td>
                  {canRefire && (
                    <td className="actions">
                      {pull.status !== 'queued' && (
                        <button
                          type="button"
                          className="button button-secondary"
                          aria-label={`Re-fire invoice ${pull.invoiceNumber}`}
                          disabled={busy !== null}
                          onClick={() => refire(pull)}
                        >
                          {busy === pull.invoiceNumber ? 'Re-firing…' : 'Re-fire'}
                        </button>
                      )}
                    </td>
                  )}
                </tr>
              ))}
          </tbody>
        </table>
      </TableWrap>
    </section>
  );
}
