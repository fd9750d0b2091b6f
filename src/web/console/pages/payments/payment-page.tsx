// /app/payments/<id>: one payment — what it pays, how it moved, each attempt at the processor and
// what the processor said, its refunds and receipt — with Refund (posted), Cancel (not sent), Retry
// now (a scheduled retry) and Charge again (declined for good): staff only, as the API's refunds;
// Cancel for staff and agents, as the API's cancel.
import { type FormEvent, useEffect, useRef, useState } from 'react';
import { errorMessage, isAbortError, newIdempotencyKey } from '../../api/api.ts';
import {
  cancelPayment,
  getPayment,
  getPaymentHistory,
  type Payment,
  type PaymentHistory,
  refundPayment,
} from '../../api/payments-api.ts';
import { FieldErrorText } from '../../shared/field-errors.tsx';
import { formatDateTime, formatMoney, humanize, parseAmountInput } from '../../shared/format.ts';
import { fieldErrorsOf } from '../../shared/problem-fields.ts';
import { Link } from '../../shared/router.tsx';
import { TableWrap } from '../../shared/table-wrap.tsx';
import { ChargeAgainForm, RetryNowButton } from './payment-retry.tsx';
import { stateTone } from './payments-page.tsx';

type State =
  | { status: 'loading' }
  | { status: 'ready'; payment: Payment; history: PaymentHistory }
  | { status: 'error'; message: string };

export function PaymentPage({ id, canRefund }: { id: string; canRefund: boolean }) {
  const [state, setState] = useState<State>({ status: 'loading' });
  const [reload, setReload] = useState(0);

  // biome-ignore lint/correctness/useExhaustiveDependencies: reload is a deliberate re-fetch trigger.
  useEffect(() => {
    document.title = 'Payment · policypay';
    const controller = new AbortController();
    Promise.all([getPayment(id, controller.signal), getPaymentHistory(id, controller.signal)]).then(
      ([payment, history]) => setState({ status: 'ready', payment, history }),
      (error: unknown) => {
        if (!isAbortError(error)) setState({ status: 'error', message: errorMessage(error) });
      },
    );
    return () => controller.abort();
  }, [id, reload]);

  if (state.status === 'loading') return <p className="loading">Loading payment…</p>;
  if (state.status === 'error') {
    return (
      <div className="card empty-state">
        <h1>Payment</h1>
        <p className="muted">{state.message}</p>
        <Link to="/app/payments" className="button button-secondary">
          Back to payments
        </Link>
      </div>
    );
  }
  const { payment, history } = state;
  const refunded = history.refunds.filter((r) => r.status === 'succeeded').reduce((sum, r) => sum + r.amount, 0);

  return (
    <>
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <ol>
          <li>
            <Link to="/app/payments">Payments</Link>
          </li>
          <li aria-current="page">{formatDateTime(payment.createdAt)}</li>
        </ol>
      </nav>
      <div className="page-header">
        <div>
          <h1>
            Payment of {formatMoney(payment.amount)}{' '}
            <span className={`badge badge-${stateTone[payment.state] ?? 'gray'}`}>{humanize(payment.state)}</span>
          </h1>
          <p className="page-subtitle">
            {payment.type === 'ach' ? 'Bank account' : 'Card'} · {humanize(payment.channel)} · customer{' '}
            <Link to={`/app/customers/${payment.customerNumber}`}>{payment.customerNumber}</Link>
            {/* The customer's page lists its payment requests (there is no page per request). */}
            {payment.paymentRequestId && ' · for a payment request'}
            {payment.receiptNumber && (
              <>
                {' '}
                · receipt <Link to={`/app/receipts/${payment.receiptNumber}`}>{payment.receiptNumber}</Link>
              </>
            )}
          </p>
        </div>
      </div>
      {payment.failureMessage && (
        <div className="alert alert-error" role="status">
          {payment.failureCode ? `${payment.failureCode}: ` : ''}
          {payment.failureMessage}
        </div>
      )}

      <section className="card" aria-labelledby="payment-attempts">
        <div className="card-header">
          <h2 id="payment-attempts">Attempts at the processor</h2>
        </div>
        <TableWrap label="Attempts">
          <table className="data-table" aria-label="Attempts">
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">Started</th>
                <th scope="col">Processor</th>
                <th scope="col">Outcome</th>
                <th scope="col">What the processor said</th>
              </tr>
            </thead>
            <tbody>
              {history.attempts.map((attempt) => (
                <tr key={attempt.number}>
                  <td className="mono">{attempt.number}</td>
                  <td>{formatDateTime(attempt.startedAt)}</td>
                  <td>
                    {attempt.processor}
                    {attempt.processorReference ? (
                      <span className="muted mono"> {attempt.processorReference}</span>
                    ) : null}
                  </td>
                  <td>
                    {humanize(attempt.status)}
                    {attempt.declineCode ? ` (${attempt.declineCode})` : ''}
                  </td>
                  <td>
                    {[attempt.message, ...attempt.events.map((e) => `${e.type} at ${formatDateTime(e.receivedAt)}`)]
                      .filter(Boolean)
                      .join('; ') || '—'}
                  </td>
                </tr>
              ))}
              {history.attempts.length === 0 && (
                <tr>
                  <td colSpan={5} className="empty-cell">
                    Not sent to the processor yet.
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        </TableWrap>
      </section>

      <section className="card" aria-labelledby="payment-timeline">
        <div className="card-header">
          <h2 id="payment-timeline">History</h2>
        </div>
        <TableWrap label="History">
          <table className="data-table" aria-label="History">
            <tbody>
              {payment.transitions.map((t, i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: transitions keep their order.
                <tr key={i}>
                  <td>{formatDateTime(t.at)}</td>
                  <td>
                    {t.from ? `${humanize(t.from)} → ` : ''}
                    {humanize(t.to)}
                  </td>
                  <td className="muted">{[t.actor, t.reason].filter(Boolean).join(': ')}</td>
                </tr>
              ))}
              {history.refunds.map((r, i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: refunds keep their order.
                <tr key={`refund-${i}`}>
                  <td>{formatDateTime(r.createdAt)}</td>
                  <td>
                    Refund of {formatMoney(r.amount)}: {humanize(r.status)}
                  </td>
                  <td className="muted">{[r.createdBy, r.reason].filter(Boolean).join(': ')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      </section>

      {canRefund && payment.state === 'posted' && payment.type === 'card' && refunded < payment.amount && (
        <RefundForm id={payment.id} left={payment.amount - refunded} onDone={() => setReload((n) => n + 1)} />
      )}
      {canRefund && payment.state === 'requested' && payment.attempts > 0 && (
        <RetryNowButton payment={payment} onDone={() => setReload((n) => n + 1)} />
      )}
      {canRefund && payment.state === 'failed' && (payment.targets.length > 0 || payment.paymentRequestId) && (
        <ChargeAgainForm payment={payment} />
      )}
      {/* Cancel is for agents too, as the API's cancel. */}
      {['draft', 'validated', 'requested'].includes(payment.state) && (
        <CancelButton id={payment.id} onDone={() => setReload((n) => n + 1)} />
      )}
    </>
  );
}

function RefundForm({ id, left, onDone }: { id: string; left: number; onDone: () => void }) {
  const [amount, setAmount] = useState('');
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const key = useRef(newIdempotencyKey());

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (busy) return;
    const value = amount.trim() ? parseAmountInput(amount) : null;
    if (amount.trim() && value === null) return setFieldErrors({ amount: 'Enter an amount with at most 2 decimals.' });
    setBusy(true);
    setError(null);
    setFieldErrors({});
    try {
      await refundPayment(
        id,
        { ...(value ? { amount: value } : {}), ...(reason.trim() ? { reason: reason.trim() } : {}) },
        key.current,
      );
      key.current = newIdempotencyKey();
      setAmount('');
      setReason('');
      setBusy(false);
      onDone();
    } catch (caught) {
      setError(errorMessage(caught));
      setFieldErrors(fieldErrorsOf(caught));
      key.current = newIdempotencyKey();
      setBusy(false);
    }
  }

  return (
    <form className="card" onSubmit={submit} aria-labelledby="refund-heading" noValidate>
      <div className="card-header">
        <h2 id="refund-heading">Refund</h2>
      </div>
      <div className="card-body">
        {error && (
          <div className="alert alert-error" role="alert">
            {error}
          </div>
        )}
        <div className="field-row">
          <div className="field">
            <label htmlFor="refund-amount">Amount (empty: the {formatMoney(left)} not yet refunded)</label>
            <input
              id="refund-amount"
              inputMode="decimal"
              value={amount}
              onChange={(event) => setAmount(event.target.value)}
            />
            <FieldErrorText id="refund-amount-error" message={fieldErrors.amount} />
          </div>
          <div className="field">
            <label htmlFor="refund-reason">Reason (optional)</label>
            <input id="refund-reason" value={reason} onChange={(event) => setReason(event.target.value)} />
          </div>
        </div>
        <button type="submit" className="button button-danger" disabled={busy}>
          Refund to the card
        </button>
      </div>
    </form>
  );
}

function CancelButton({ id, onDone }: { id: string; onDone: () => void }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const key = useRef(newIdempotencyKey());
  return (
    <div className="card">
      <div className="card-body">
        {error && (
          <div className="alert alert-error" role="alert">
            {error}
          </div>
        )}
        <button
          type="button"
          className="button button-secondary"
          disabled={busy}
          onClick={async () => {
            setBusy(true);
            try {
              await cancelPayment(id, key.current);
              onDone();
            } catch (caught) {
              setError(errorMessage(caught));
              key.current = newIdempotencyKey();
              setBusy(false);
            }
          }}
        >
          Cancel this payment
        </button>
      </div>
    </div>
  );
}
