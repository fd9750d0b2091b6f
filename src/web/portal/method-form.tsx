// Adding a card or bank account: the numbers go from this form straight to the processor's
// tokenize endpoint; policypay receives only the token and saves it as a payment method.
import { type FormEvent, useRef, useState } from 'react';
import { errorMessage, newIdempotencyKey } from '../console/api/api.ts';
import { FieldErrorText } from '../console/shared/field-errors.tsx';
import { fieldErrorsOf } from '../console/shared/problem-fields.ts';
import { type PaymentMethod, savePortalMethod, tokenize } from './api.ts';

type Props = {
  tokenizeUrl: string | null;
  makeDefault: boolean;
  onSaved: (method: PaymentMethod) => void;
  onCancel?: () => void;
};

export function MethodForm(props: Props) {
  if (!props.tokenizeUrl) {
    return (
      <p className="alert alert-warning">
        Cards and bank accounts cannot be added online here yet (the agency's card processor does not take them through
        this portal). Please contact your agency to pay.
      </p>
    );
  }
  return <TokenizingForm {...props} tokenizeUrl={props.tokenizeUrl} />;
}

function TokenizingForm({ tokenizeUrl, makeDefault, onSaved, onCancel }: Props & { tokenizeUrl: string }) {
  const [kind, setKind] = useState<'card' | 'ach'>('card');
  const [holderName, setHolderName] = useState('');
  const [number, setNumber] = useState('');
  const [expiry, setExpiry] = useState('');
  const [cvc, setCvc] = useState('');
  const [routingNumber, setRoutingNumber] = useState('');
  const [accountNumber, setAccountNumber] = useState('');
  const [accountType, setAccountType] = useState<'checking' | 'savings'>('checking');
  const [isDefault, setIsDefault] = useState(makeDefault);
  const [error, setError] = useState<string | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const idempotencyKey = useRef(newIdempotencyKey());

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    event.stopPropagation();
    const [month = '', year = ''] = expiry.split('/').map((part) => part.trim());
    setBusy(true);
    setError(null);
    setFieldErrors({});
    try {
      const token = await tokenize(
        tokenizeUrl,
        kind === 'card'
          ? { kind, number, expMonth: month, expYear: year.length === 2 ? `20${year}` : year, cvc, holderName }
          : { kind, routingNumber, accountNumber, accountType, holderName },
      );
      const method = await savePortalMethod(token, isDefault, idempotencyKey.current);
      onSaved(method);
    } catch (caught) {
      setError(errorMessage(caught));
      const fields = fieldErrorsOf(caught);
      // The processor names expMonth/expYear; the form has one expiry field.
      if (fields.expMonth || fields.expYear) fields.expiry = fields.expMonth ?? fields.expYear ?? '';
      setFieldErrors(fields);
      setBusy(false);
    }
  }

  const invalid = (name: string) => (fieldErrors[name] ? true : undefined);

  return (
    <form className="method-form" onSubmit={submit} noValidate aria-label="Add a payment method">
      {error && (
        <div className="alert alert-error" role="alert">
          {error}
        </div>
      )}
      <fieldset className="choice-row">
        <legend>Pay with</legend>
        <label className="choice">
          <input type="radio" name="kind" checked={kind === 'card'} onChange={() => setKind('card')} /> Card
        </label>
        <label className="choice">
          <input type="radio" name="kind" checked={kind === 'ach'} onChange={() => setKind('ach')} /> Bank account
        </label>
      </fieldset>
      <div className="field">
        <label htmlFor="method-holder">{kind === 'card' ? 'Name on card' : 'Account holder'}</label>
        <input
          id="method-holder"
          autoComplete={kind === 'card' ? 'cc-name' : 'name'}
          value={holderName}
          onChange={(event) => setHolderName(event.target.value)}
        />
      </div>
      {kind === 'card' ? (
        <div className="form-grid">
          <div className="field span-all">
            <label htmlFor="card-number">Card number</label>
            <input
              id="card-number"
              inputMode="numeric"
              autoComplete="cc-number"
              required
              value={number}
              onChange={(event) => setNumber(event.target.value)}
              aria-invalid={invalid('number')}
              aria-describedby="card-number-error"
            />
            <FieldErrorText id="card-number-error" message={fieldErrors.number} />
          </div>
          <div className="field">
            <label htmlFor="card-expiry">Expiry (MM/YY)</label>
            <input
              id="card-expiry"
              inputMode="numeric"
              autoComplete="cc-exp"
              placeholder="MM/YY"
              required
              value={expiry}
              onChange={(event) => setExpiry(event.target.value)}
              aria-invalid={invalid('expiry')}
              aria-describedby="card-expiry-error"
            />
            <FieldErrorText id="card-expiry-error" message={fieldErrors.expiry} />
          </div>
          <div className="field">
            <label htmlFor="card-cvc">Security code</label>
            <input
              id="card-cvc"
              inputMode="numeric"
              autoComplete="cc-csc"
              required
              value={cvc}
              onChange={(event) => setCvc(event.target.value)}
              aria-invalid={invalid('cvc')}
              aria-describedby="card-cvc-error"
            />
            <FieldErrorText id="card-cvc-error" message={fieldErrors.cvc} />
          </div>
        </div>
      ) : (
        <div className="form-grid">
          <div className="field">
            <label htmlFor="bank-routing">Routing number</label>
            <input
              id="bank-routing"
              inputMode="numeric"
              required
              value={routingNumber}
              onChange={(event) => setRoutingNumber(event.target.value)}
              aria-invalid={invalid('routingNumber')}
              aria-describedby="bank-routing-error"
            />
            <FieldErrorText id="bank-routing-error" message={fieldErrors.routingNumber} />
          </div>
          <div className="field">
            <label htmlFor="bank-account">Account number</label>
            <input
              id="bank-account"
              inputMode="numeric"
              required
              value={accountNumber}
              onChange={(event) => setAccountNumber(event.target.value)}
              aria-invalid={invalid('accountNumber')}
              aria-describedby="bank-account-error"
            />
            <FieldErrorText id="bank-account-error" message={fieldErrors.accountNumber} />
          </div>
          <div className="field">
            <label htmlFor="bank-type">Account type</label>
            <select
              id="bank-type"
              value={accountType}
              onChange={(event) => setAccountType(event.target.value === 'savings' ? 'savings' : 'checking')}
            >
              <option value="checking">Checking</option>
              <option value="savings">Savings</option>
            </select>
          </div>
        </div>
      )}
      <label className="choice">
        <input type="checkbox" checked={isDefault} onChange={(event) => setIsDefault(event.target.checked)} /> Make this
        my default payment method
      </label>
      <p className="field-hint">
        Your {kind === 'card' ? 'card number' : 'account number'} goes directly to our payment processor; we keep only
        the last 4 digits.
      </p>
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={busy}>
          Save payment method
        </button>
        {onCancel && (
          <button type="button" className="button button-secondary" onClick={onCancel} disabled={busy}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}

export function methodLabel(method: PaymentMethod): string {
  if (method.kind === 'ach') return `${method.bankName ?? 'Bank account'} ending ${method.last4}`;
  const brand = method.brand ? method.brand.charAt(0).toUpperCase() + method.brand.slice(1) : 'Card';
  const expiry =
    method.expMonth && method.expYear
      ? `, expires ${String(method.expMonth).padStart(2, '0')}/${method.expYear % 100}`
      : '';
  return `${brand} ending ${method.last4}${expiry}`;
}
