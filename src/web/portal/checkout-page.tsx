// /portal/pay/{requestId} (pay a request) and /portal/pay (a one-time payment): choose or add a
// payment method, the amount (min/max when the agency enforces them), then pay. A refusal (card
// declined, policy not eligible for payment) is shown with the server's message. A one-time
// payment shows its convenience fee and total before the client confirms, or why there is none
// (issue 20.3): the quote is asked again whenever the method or the amount changes, and the
// payment sends the fee shown.
import { type FormEvent, useEffect, useRef, useState } from 'react';
import { ApiError, errorMessage, isAbortError, newIdempotencyKey, type PaymentRequest } from '../console/api/api.ts';
import { formatDate, formatMoney, parseAmountInput } from '../console/shared/format.ts';
import { Link } from '../console/shared/router.tsx';
import {
  type CheckoutLimits,
  type FeeQuote,
  getFeeQuote,
  getPortalAccount,
  getPortalConfig,
  getPortalRequest,
  listPortalMethods,
  type PaymentMethod,
  type PortalPayment,
  payOneTime,
  payRequest,
} from './api.ts';
import { MethodForm, methodLabel } from './method-form.tsx';

type Loaded = {
  request: PaymentRequest | null;
  methods: PaymentMethod[];
  tokenizeUrl: string | null;
  limits: CheckoutLimits | null;
  balance: number;
};

type State =
  | { status: 'loading' }
  | { status: 'error'; message: string; notFound: boolean }
  | { status: 'ready'; data: Loaded };

const NEW = 'new';

/** The agency's bounds for a one-time payment, when it enforces them (the server decides either way). */
function limitsText(limits: CheckoutLimits | null): string | null {
  if (!limits?.enforced) return null;
  const min = limits.minAmount !== null && limits.minAmount > 0 ? limits.minAmount : null;
  const max = limits.maxAmount;
  if (min !== null && max !== null) {
    return `Between ${formatMoney(min)} (currently due) and ${formatMoney(max)} (payoff).`;
  }
  if (min !== null) return `At least ${formatMoney(min)} (currently due).`;
  if (max !== null) return `At most ${formatMoney(max)} (your payoff amount).`;
  return null;
}

export function CheckoutPage({ requestId }: { requestId: string | null }) {
  const [state, setState] = useState<State>({ status: 'loading' });
  const [methodId, setMethodId] = useState<string>('');
  const [amount, setAmount] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [paid, setPaid] = useState<PortalPayment | null>(null);
  const idempotencyKey = useRef(newIdempotencyKey());
  const errorRef = useRef<HTMLDivElement>(null);
  // A one-time payment's fee is quoted before the client confirms; a request's amount has none.
  const oneTime = state.status === 'ready' && state.data.request === null;
  const quoteAmount = oneTime ? parseAmountInput(amount) : null;
  const fee = useFeeQuote(oneTime && methodId !== NEW ? methodId : null, quoteAmount);

  useEffect(() => {
    document.title = `${requestId ? 'Pay request' : 'One-time payment'} · Client portal`;
    const controller = new AbortController();
    const { signal } = controller;
    Promise.all([
      requestId ? getPortalRequest(requestId, signal) : Promise.resolve(null),
      listPortalMethods(signal),
      getPortalConfig(signal),
      getPortalAccount(signal),
    ]).then(
      ([request, methods, config, account]) => {
        const usable = methods.data.filter((method) => !method.disabled);
        setMethodId((usable.find((method) => method.isDefault) ?? usable[0])?.id ?? NEW);
        setAmount(request ? request.amount.toFixed(2) : '');
        setState({
          status: 'ready',
          data: {
            request,
            methods: usable,
            tokenizeUrl: config.tokenizeUrl,
            limits: account.checkout ?? null,
            balance: account.arBalance,
          },
        });
      },
      (caught: unknown) => {
        if (isAbortError(caught)) return;
        const notFound = caught instanceof ApiError && caught.status === 404;
        setState({ status: 'error', message: errorMessage(caught), notFound });
      },
    );
    return () => controller.abort();
  }, [requestId]);

  useEffect(() => {
    if (error) errorRef.current?.focus();
  }, [error]);

  if (state.status === 'loading') return <p className="loading">Loading checkout…</p>;
  if (state.status === 'error') {
    return (
      <div className="card empty-state">
        <h1>{state.notFound ? 'Payment request not found' : 'Checkout unavailable'}</h1>
        <p className="muted">{state.notFound ? 'There is no such payment request on your account.' : state.message}</p>
        <Link to="/portal" className="button button-secondary">
          Back to home
        </Link>
      </div>
    );
  }

  const { request, methods, tokenizeUrl, limits } = state.data;

  if (paid) {
    const pending = paid.state !== 'posted';
    return (
      <section className="card confirmation" aria-labelledby="paid-heading">
        <h1 id="paid-heading" tabIndex={-1}>
          {pending ? 'Payment submitted' : 'Payment received'}
        </h1>
        <p data-testid="payment-confirmation">
          {formatMoney(paid.amount)}
          {paid.fee > 0 ? ` and a ${formatMoney(paid.fee)} convenience fee` : ''} from{' '}
          {paid.type === 'ach' ? 'the account' : 'the card'} ending {paid.last4 ?? '—'}. Thank you! Your agency has been
          notified and a receipt is on its way by email.
        </p>
        <div className="form-actions">
          <Link to="/portal" className="button button-primary">
            Back to home
          </Link>
          <Link to="/portal/payments" className="button button-secondary">
            My Payments
          </Link>
        </div>
      </section>
    );
  }

  if (request?.state === 'requested' && request.payment) {
    return (
      <div className="card empty-state">
        <h1>Payment in progress</h1>
        <p className="muted">
          Your payment of {formatMoney(request.amount)} from the account ending {request.payment.last4 ?? '—'} is on its
          way; bank payments take a few days to settle.
        </p>
        <Link to="/portal" className="button button-secondary">
          Back to home
        </Link>
      </div>
    );
  }

  if (request && request.state !== 'requested') {
    return (
      <div className="card empty-state">
        <h1>Nothing to pay</h1>
        <p className="muted">
          This request for {formatMoney(request.amount)} is{' '}
          {request.state === 'expired' ? 'expired' : 'already settled'}.
        </p>
        <Link to="/portal" className="button button-secondary">
          Back to home
        </Link>
      </div>
    );
  }

  async function pay(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (busy || methodId === NEW || !methodId) return;
    const value = request ? request.amount : parseAmountInput(amount);
    if (value === null) return setError('Enter an amount greater than zero with at most 2 decimals.');
    setBusy(true);
    setError(null);
    try {
      const payment = request
        ? await payRequest(request.id, methodId, idempotencyKey.current)
        : await payOneTime(value, methodId, idempotencyKey.current, fee.quoted?.quote.fee);
      if (payment.state === 'failed') {
        setError(payment.failureMessage ?? 'The payment was declined.');
        idempotencyKey.current = newIdempotencyKey();
        setBusy(false);
        return;
      }
      setPaid(payment);
    } catch (caught) {
      setError(errorMessage(caught));
      // A refused attempt is final; trying again (e.g. with another card) is a new payment.
      idempotencyKey.current = newIdempotencyKey();
      setBusy(false);
    }
  }

  const hint = limitsText(limits);

  return (
    <>
      <div className="page-header">
        <div>
          <h1>{request ? 'Pay your payment request' : 'Make a One-Time Payment'}</h1>
          {request && (
            <p className="page-subtitle">
              {formatMoney(request.amount)} due {formatDate(request.dueDate)}
              {request.note ? ` · ${request.note}` : ''}
            </p>
          )}
        </div>
      </div>
      {error && (
        <div className="alert alert-error" role="alert" tabIndex={-1} ref={errorRef} data-testid="checkout-error">
          {error}
        </div>
      )}
      <section className="card" aria-labelledby="method-heading">
        <div className="card-header">
          <h2 id="method-heading">Payment method</h2>
        </div>
        <div className="card-body">
          <fieldset className="method-choices">
            <legend className="visually-hidden">Choose a payment method</legend>
            {methods.map((method) => (
              <label className="choice" key={method.id}>
                <input
                  type="radio"
                  name="method"
                  value={method.id}
                  checked={methodId === method.id}
                  onChange={() => setMethodId(method.id)}
                />{' '}
                {methodLabel(method)}
                {method.isDefault && <span className="badge badge-gray badge-inline">Default</span>}
              </label>
            ))}
            <label className="choice">
              <input
                type="radio"
                name="method"
                value={NEW}
                checked={methodId === NEW}
                onChange={() => setMethodId(NEW)}
              />{' '}
              Add a new card or bank account
            </label>
          </fieldset>
          {methodId === NEW && (
            <MethodForm
              tokenizeUrl={tokenizeUrl}
              makeDefault={methods.length === 0}
              onSaved={(method) => {
                setState({ status: 'ready', data: { ...state.data, methods: [...methods, method] } });
                setMethodId(method.id);
              }}
            />
          )}
        </div>
      </section>
      <form className="card" onSubmit={pay} aria-labelledby="amount-heading">
        <div className="card-header">
          <h2 id="amount-heading">Amount</h2>
        </div>
        <div className="card-body">
          <div className="field">
            <label htmlFor="checkout-amount">Amount to pay</label>
            <input
              id="checkout-amount"
              className="input-money"
              inputMode="decimal"
              required
              readOnly={request !== null}
              value={amount}
              onChange={(event) => setAmount(event.target.value)}
              aria-describedby="checkout-amount-hint"
            />
            <p className="field-hint" id="checkout-amount-hint">
              {request
                ? 'The amount your agency requested.'
                : (hint ?? `Your balance is ${formatMoney(state.data.balance)}.`)}
            </p>
          </div>
          {!request && <FeeSummary {...fee} />}
          <button
            type="submit"
            className="button button-primary"
            disabled={busy || methodId === NEW || !methodId || (!request && quoteAmount !== null && !fee.quoted)}
          >
            {request
              ? `Pay ${formatMoney(request.amount)}`
              : fee.quoted && fee.quoted.quote.fee > 0
                ? `Pay ${formatMoney(fee.quoted.quote.total)}`
                : 'Pay now'}
          </button>
        </div>
      </form>
    </>
  );
}

type Quoted = { methodId: string; amount: number; quote: FeeQuote };

/** The current quote for (method, amount), or null while none is known for them. */
function useFeeQuote(methodId: string | null, amount: number | null): { quoted: Quoted | null; error: string | null } {
  const [quoted, setQuoted] = useState<Quoted | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setQuoted(null);
    setError(null);
    if (!methodId || amount === null) return;
    const controller = new AbortController();
    getFeeQuote(methodId, amount, controller.signal).then(
      (quote) => setQuoted({ methodId, amount, quote }),
      (caught: unknown) => {
        if (!isAbortError(caught)) setError(errorMessage(caught));
      },
    );
    return () => controller.abort();
  }, [methodId, amount]);
  return { quoted, error };
}

function FeeSummary({ quoted, error }: { quoted: Quoted | null; error: string | null }) {
  if (error) return <p className="field-hint">The fee could not be checked: {error}</p>;
  // An agency that charges no fee at all: nothing to say.
  if (!quoted || quoted.quote.reason === 'no_fee_setting') return null;
  const { quote } = quoted;
  return (
    <dl className="fee-summary" data-testid="fee-summary" aria-live="polite">
      <div>
        <dt>Amount</dt>
        <dd>{formatMoney(quote.amount)}</dd>
      </div>
      <div>
        <dt>Convenience fee</dt>
        <dd data-testid="fee-amount">{formatMoney(quote.fee)}</dd>
      </div>
      <div>
        <dt>Total charged</dt>
        <dd data-testid="fee-total">{formatMoney(quote.total)}</dd>
      </div>
      <p className="field-hint" data-testid="fee-message">
        {quote.message}
      </p>
    </dl>
  );
}
