// A payment page's two ways to try again: "Retry now" for a payment waiting for the retry its plan
// scheduled after a decline (the engine runs that attempt at once), and "Charge again" for one
// declined for good (a new payment for the same invoices with another saved method, through the
// one create path; the console then opens the new payment).
import { type FormEvent, useEffect, useRef, useState } from 'react';
import { errorMessage, isAbortError, newIdempotencyKey } from '../../api/api.ts';
import {
  createPayment,
  listSavedPaymentMethods,
  type Payment,
  retryPayment,
  type SavedPaymentMethod,
} from '../../api/payments-api.ts';
import { formatDateTime, formatMoney } from '../../shared/format.ts';
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
    return () => controller.abort();
  }, [payment.customerNumber, payment.paymentMethodId]);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const method = methods?.find((m) => m.id === methodId);
    if (busy || !method) return;
    setBusy(true);
    setError(null);
    try {
      const created = await createPayment(
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
        <p className="muted">
          A new payment of {formatMoney(payment.amount)} for invoice
          {payment.targets.length === 1 ? '' : 's'} {payment.targets.map((t) => t.invoiceNumber).join(', ')}.
        </p>
        {error && (
          <div className="alert alert-error" role="alert">
            {error}
          </div>
        )}
        {methods && methods.length === 0 ? (
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
        <button type="submit" className="button button-primary" disabled={busy || !methodId}>
          Charge again
        </button>
      </div>
    </form>
  );
}
