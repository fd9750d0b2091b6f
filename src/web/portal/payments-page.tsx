// /portal/payments, "My Payments": all payment activity (requested and paid), saved payment methods
// (add, remove, set default), autopay enrollment and a way to make a one-time payment.
import { useCallback, useEffect, useState } from 'react';
import { errorMessage, isAbortError, type PaymentRequest } from '../console/api/api.ts';
import { formatDate, formatDateTime, formatMoney } from '../console/shared/format.ts';
import { Link } from '../console/shared/router.tsx';
import {
  type Autopay,
  cancelAutopay,
  enrollAutopay,
  getAutopay,
  getPortalConfig,
  listPortalMethods,
  listPortalPayments,
  listPortalRequests,
  type PaymentMethod,
  type PortalPayment,
  removeMethod,
  setDefaultMethod,
} from './api.ts';
import { MethodForm, methodLabel } from './method-form.tsx';
import { paymentStatusWords, requestStatusWords } from './payment-words.ts';
import { ScrollTable } from './scroll-table.tsx';

type Data = {
  payments: PortalPayment[];
  requests: PaymentRequest[];
  methods: PaymentMethod[];
  autopay: Autopay;
  tokenizeUrl: string | null;
};

type ActivityRow = {
  key: string;
  date: string;
  what: string;
  amount: number;
  status: string;
  /** An open request the client can pay now. */
  payRequestId?: string;
};

const capitalize = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/** Requests not yet paid and every payment, newest first: one list of "payment activity". */
function activityRows(data: Data): ActivityRow[] {
  const rows: ActivityRow[] = [
    ...data.requests
      .filter(
        (request) => request.state === 'requested' || request.state === 'expired' || request.state === 'cancelled',
      )
      .map((request) => ({
        key: `r-${request.id}`,
        date: request.requestedAt,
        what: `Requested${request.note ? `: ${request.note}` : ''} (due ${formatDate(request.dueDate)})`,
        amount: request.amount,
        status: requestStatusWords(request.state),
        ...(request.state === 'requested' && !request.payment ? { payRequestId: request.id } : {}),
      })),
    ...data.payments.map((payment) => ({
      key: `p-${payment.id}`,
      date: payment.createdAt,
      what: `${payment.type === 'ach' ? 'Bank account' : capitalize(payment.brand ?? 'card')} ending ${payment.last4 ?? '—'}${
        payment.paymentRequestId ? ' · payment request' : ''
      }`,
      amount: payment.amount,
      status:
        paymentStatusWords(payment) + (payment.declined && payment.failureMessage ? `: ${payment.failureMessage}` : ''),
    })),
  ];
  return rows.sort((a, b) => b.date.localeCompare(a.date));
}

function autopayWith(data: Data): string {
  const method = data.methods.find((item) => item.id === data.autopay.paymentMethodId);
  return method ? ` with ${methodLabel(method)}` : '';
}

export function PaymentsPage() {
  const [data, setData] = useState<Data | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [adding, setAdding] = useState(false);
  const [autopayMethod, setAutopayMethod] = useState('');
  const [busy, setBusy] = useState(false);

  const load = useCallback((signal?: AbortSignal) => {
    return Promise.all([
      listPortalPayments(signal),
      listPortalRequests(undefined, signal),
      listPortalMethods(signal),
      getAutopay(signal),
      getPortalConfig(signal),
    ]).then(
      ([payments, requests, methods, autopay, config]) => {
        setData({
          payments: payments.data,
          requests: requests.data,
          methods: methods.data,
          autopay,
          tokenizeUrl: config.tokenizeUrl,
        });
        const usable = methods.data.filter((method) => !method.disabled);
        setAutopayMethod(autopay.paymentMethodId ?? (usable.find((method) => method.isDefault) ?? usable[0])?.id ?? '');
      },
      (caught: unknown) => {
        if (!isAbortError(caught)) setError(errorMessage(caught));
      },
    );
  }, []);

  useEffect(() => {
    document.title = 'My Payments · Client portal';
    const controller = new AbortController();
    void load(controller.signal);
    return () => controller.abort();
  }, [load]);

  async function act(action: () => Promise<unknown>, done: string) {
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      await action();
      await load();
      setNotice(done);
    } catch (caught) {
      setError(errorMessage(caught));
    }
    setBusy(false);
  }

  const rows = data ? activityRows(data) : [];

  return (
    <>
      <div className="page-header">
        <div>
          <h1>My Payments</h1>
        </div>
        <Link to="/portal/pay" className="button button-primary">
          Make a One-Time Payment
        </Link>
      </div>
      {error && (
        <div className="alert alert-error" role="alert">
          {error}
        </div>
      )}
      {notice && <output className="alert alert-success">{notice}</output>}
      {!data && !error && <p className="loading">Loading…</p>}
      {data && (
        <>
          <section className="card" aria-labelledby="activity-heading">
            <div className="card-header">
              <h2 id="activity-heading">Payment activity</h2>
            </div>
            <ScrollTable label="Payment activity">
              <table className="data-table" data-testid="payment-activity">
                <thead>
                  <tr>
                    <th scope="col">Date</th>
                    <th scope="col">Payment</th>
                    <th scope="col" className="num">
                      Amount
                    </th>
                    <th scope="col">Status</th>
                    <th scope="col" className="actions">
                      <span className="visually-hidden">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map((row) => (
                    <tr key={row.key}>
                      <td>{formatDateTime(row.date)}</td>
                      <td className="wrap">{row.what}</td>
                      <td className="num money">{formatMoney(row.amount)}</td>
                      <td className="wrap">{row.status}</td>
                      <td className="actions">
                        {row.payRequestId && (
                          <Link
                            to={`/portal/pay/${row.payRequestId}`}
                            className="button button-primary"
                            aria-label={`Pay ${formatMoney(row.amount)}`}
                          >
                            Pay
                          </Link>
                        )}
                      </td>
                    </tr>
                  ))}
                  {rows.length === 0 && (
                    <tr>
                      <td colSpan={5} className="empty-cell">
                        No payments yet.
                      </td>
                    </tr>
                  )}
                </tbody>
              </table>
            </ScrollTable>
          </section>

          <section className="card" aria-labelledby="methods-heading">
            <div className="card-header">
              <h2 id="methods-heading">Saved payment methods</h2>
              {!adding && (
                <button type="button" className="button button-secondary" onClick={() => setAdding(true)}>
                  Add payment method
                </button>
              )}
            </div>
            <ul className="method-list">
              {data.methods.map((method) => (
                <li key={method.id}>
                  <span>
                    {methodLabel(method)}
                    {method.isDefault && <span className="badge badge-gray badge-inline">Default</span>}
                    {method.disabled && (
                      <span className="badge badge-red badge-inline">{method.disabledReason ?? 'Disabled'}</span>
                    )}
                  </span>
                  <span className="form-actions">
                    {!method.isDefault && !method.disabled && (
                      <button
                        type="button"
                        className="button button-secondary"
                        disabled={busy}
                        onClick={() =>
                          act(() => setDefaultMethod(method.id), `${methodLabel(method)} is now your default.`)
                        }
                      >
                        Set as default
                      </button>
                    )}
                    <button
                      type="button"
                      className="button button-secondary"
                      disabled={busy}
                      aria-label={`Remove ${methodLabel(method)}`}
                      onClick={() => act(() => removeMethod(method.id), `${methodLabel(method)} removed.`)}
                    >
                      Remove
                    </button>
                  </span>
                </li>
              ))}
              {data.methods.length === 0 && <li className="muted">No saved payment methods.</li>}
            </ul>
            {adding && (
              <div className="card-body">
                <MethodForm
                  tokenizeUrl={data.tokenizeUrl}
                  makeDefault={data.methods.length === 0}
                  onCancel={() => setAdding(false)}
                  onSaved={async (method) => {
                    setAdding(false);
                    await load();
                    setNotice(`${methodLabel(method)} saved.`);
                  }}
                />
              </div>
            )}
          </section>

          <section className="card" aria-labelledby="autopay-heading">
            <div className="card-header">
              <h2 id="autopay-heading">Autopay</h2>
            </div>
            <div className="card-body">
              <p data-testid="autopay-status">
                {data.autopay.enrolled
                  ? `On: installments are paid automatically${autopayWith(data)}.`
                  : 'Off: you pay each installment yourself.'}
              </p>
              {data.methods.length > 0 ? (
                <div className="form-actions">
                  <label htmlFor="autopay-method" className="visually-hidden">
                    Autopay payment method
                  </label>
                  <select
                    id="autopay-method"
                    value={autopayMethod}
                    onChange={(event) => setAutopayMethod(event.target.value)}
                  >
                    {data.methods
                      .filter((method) => !method.disabled)
                      .map((method) => (
                        <option key={method.id} value={method.id}>
                          {methodLabel(method)}
                        </option>
                      ))}
                  </select>
                  <button
                    type="button"
                    className="button button-primary"
                    disabled={busy || !autopayMethod}
                    onClick={() => act(() => enrollAutopay(autopayMethod), 'Autopay is on.')}
                  >
                    {data.autopay.enrolled ? 'Update autopay' : 'Turn on autopay'}
                  </button>
                  {data.autopay.enrolled && (
                    <button
                      type="button"
                      className="button button-secondary"
                      disabled={busy}
                      onClick={() => act(() => cancelAutopay(), 'Autopay is off.')}
                    >
                      Turn off autopay
                    </button>
                  )}
                </div>
              ) : (
                <p className="muted">Save a payment method to turn on autopay.</p>
              )}
            </div>
          </section>
        </>
      )}
    </>
  );
}
