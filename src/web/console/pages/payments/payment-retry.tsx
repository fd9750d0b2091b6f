// A payment page's two ways to try again: "Retry now" for a payment waiting for the retry its plan
// scheduled after a decline (the engine runs that attempt at once), and "Charge again" for one
// declined for good (a new payment for the same invoices with another saved method, through the
// one create path; the console then opens the new payment). A payment of a payment request is
// charged again against the same request while it is open, so its money is held for Finalize
// Payment and the client cannot pay the request a second time.
import { type FormEvent, useEffect, useRef, useState } from 'react';
import { errorMessage, isAbortError, newIdempotencyKey, type PaymentRequest } from '../../api/api.ts';
import {
  chargePaymentRequest,
  createPayment,
  getPaymentRequest,
  listSavedPaymentMethods,
  type Payment,
  retryPayment,
  type SavedPaymentMethod,
} from '../../api/payments-api.ts';
import { formatDate, formatDateTime, formatMoney, humanize } from '../../shared/format.ts';
import { navigate } from '../../shared/router.tsx';

export function RetryNowButton({ payment, onDone }: { payment: Payment; onDone: () => void }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const key = useRef(newIdempotencyKey());
  return (
    <section className="card" aria-labelledby="retry-heading">
      <div className="card-header">
        <h2 id="retry-heading">Scheduled retry</h2>
      </div>
      <div className="card-body">
        <p className="muted">
          Attempt {payment.attempts + 1} is scheduled for{' '}
          {payment.nextAttemptAt ? formatDateTime(payment.nextAttemptAt) : 'now'}.
        </p>
        {error && (
          <div className="alert alert-error" role="alert">
            {error}
          </div>
        )}
        <button
          type="button"
          className="button button-primary"
          disabled={busy}
          onClick={async () => {
            setBusy(true);
            setError(null);
            try {
              await retryPayment(payment.id, key.current);
              key.current = newIdempotencyKey();
              setBusy(false);
              onDone();
            } catch (caught) {
              setError(errorMessage(caught));
              key.current = newIdempotencyKey();
              setBusy(false);
            }
          }}
        >
          Retry now
        </button>
      </div>
    </section>
  );
}

const methodLabel = (m: SavedPaymentMethod) =>
  `${m.kind === 'card' ? (m.brand ?? 'Card') : (m.bankName ?? 'Bank account')} ending ${m.last4}${m.isDefault ? ' (default)' : ''}`;

export function ChargeAgainForm({ payment }: { payment: Payment }) {
  const [methods, setMethods] = useState<SavedPaymentMethod[] | null>(null);
  const [request, setRequest] = useState<PaymentRequest | null>(null);
  const [methodId, setMethodId] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const key = useRef(newIdempotencyKey());

  useEffect(() => {
    const controller = new AbortController();
    listSavedPaymentMethods(payment.customerNumber, controller.signal).then(
      (all) => {
        const usable = all.filter((m) => !m.disabled);
        setMethods(usable);
        // The declined method is offered too, but another one is chosen first.
        setMethodId((usable.find((m) => m.id !== payment.paymentMethodId) ?? usable[0])?.id ?? '');
      },
      (caught: unknown) => {
        if (!isAbortError(caught)) setError(errorMessage(caught));
      },
    );
    if (payment.paymentRequestId) {
      getPaymentRequest(payment.paymentRequestId, controller.signal).then(setRequest, (caught: unknown) => {
        if (!isAbortError(caught)) setError(errorMessage(caught));
      });
    }
    return () => controller.abort();
  }, [payment.customerNumber, payment.paymentMethodId, payment.paymentRequestId]);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const method = methods?.find((m) => m.id === methodId);
    if (busy || !method) return;
    setBusy(true);
    setError(null);
    try {
      const created = payment.paymentRequestId
        ? await chargePaymentRequest(payment.paymentRequestId, method.id, key.current)
        : await createPayment(
            {
              customerNumber: payment.customerNumber,
              type: method.kind,
              amount: payment.amount,
              paymentMethodId: method.id,
              targets: payment.targets,
              channel: 'agent_sweep',
            },
            key.current,
          );
      navigate(`/app/payments/${created.id}`);
    } catch (caught) {
      setError(errorMessage(caught));
      key.current = newIdempotencyKey();
      setBusy(false);
    }
  }

  return (
    <form className="card" onSubmit={submit} aria-labelledby="charge-again-heading" noValidate>
      <div className="card-header">
        <h2 id="charge-again-heading">Charge again</h2>
      </div>
      <div className="card-body">
        <p className="muted">{chargeAgainSubject(payment, request)}</p>
        {error && (
          <div className="alert alert-error" role="alert">
            {error}
          </div>
        )}
        {request && requestClosed(request) ? (
          <p className="muted">{requestClosed(request)}</p>
        ) : methods && methods.length === 0 ? (
          <p className="muted">The customer has no usable saved payment method.</p>
        ) : (
          <div className="field">
            <label htmlFor="charge-again-method">Saved payment method</label>
            <select
              id="charge-again-method"
              value={methodId}
              disabled={!methods}
              onChange={(event) => setMethodId(event.target.value)}
            >
              {(methods ?? []).map((m) => (
                <option key={m.id} value={m.id}>
                  {methodLabel(m)}
                </option>
              ))}
            </select>
          </div>
        )}
        {!(request && requestClosed(request)) && (
          <button
            type="submit"
            className="button button-primary"
            disabled={busy || !methodId || (payment.paymentRequestId !== null && !request)}
          >
            Charge again
          </button>
        )}
      </div>
    </form>
  );
}

/** What Charge again pays: the same invoices, or the same payment request. */
function chargeAgainSubject(payment: Payment, request: PaymentRequest | null): string {
  if (payment.paymentRequestId) {
    const to = request ? ` to ${request.contact.name}, due ${formatDate(request.dueDate)}` : '';
    return `A new payment of ${formatMoney(payment.amount)} for the payment request${to}: its money is held for Finalize Payment, as the client's would be.`;
  }
  const plural = payment.targets.length === 1 ? '' : 's';
  return `A new payment of ${formatMoney(payment.amount)} for invoice${plural} ${payment.targets.map((t) => t.invoiceNumber).join(', ')}.`;
}

/** Why a request's payment cannot be charged again (paid meanwhile, cancelled, expired, another in flight), or null. */
function requestClosed(request: PaymentRequest): string | null {
  if (request.state !== 'requested')
    return `The payment request is ${humanize(request.state)}: there is nothing to charge.`;
  if (request.payment) return 'Another payment of this payment request is in progress.';
  return null;
}
