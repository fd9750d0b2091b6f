// Applying a customer's On Account credit to one of their open invoices (no new cash): the server
// refuses more than the credit or than the invoice's open balance, naming the field.
import { type FormEvent, useEffect, useRef, useState } from 'react';
import {
  applyOnAccountCredit,
  errorMessage,
  type InvoiceSummary,
  newIdempotencyKey,
  type OnAccountApplied,
  refusedByServer,
} from '../api/api.ts';
import { FieldErrorText } from '../shared/field-errors.tsx';
import { formatDate, formatMoney, parseAmountInput } from '../shared/format.ts';
import { fieldErrorsOf } from '../shared/problem-fields.ts';

type Props = {
  customerNumber: number;
  onAccount: number;
  invoices: InvoiceSummary[];
  onApplied: (result: OnAccountApplied) => void;
  onClose: () => void;
};

const proposed = (credit: number, invoice: InvoiceSummary | undefined) =>
  invoice ? Math.min(credit, invoice.balance).toFixed(2) : '';

export function OnAccountForm({ customerNumber, onAccount, invoices, onApplied, onClose }: Props) {
  const open = invoices
    .filter((invoice) => invoice.balance > 0)
    .sort((a, b) => a.dueDate.localeCompare(b.dueDate) || a.invoiceNumber - b.invoiceNumber);
  const [invoiceNumber, setInvoiceNumber] = useState(open[0]?.invoiceNumber ?? 0);
  const [amount, setAmount] = useState(proposed(onAccount, open[0]));
  const [error, setError] = useState<string | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const idempotencyKey = useRef(newIdempotencyKey());
  const headingRef = useRef<HTMLHeadingElement>(null);

  useEffect(() => headingRef.current?.focus(), []);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (busy) return;
    const value = parseAmountInput(amount);
    if (value === null || value <= 0) {
      setFieldErrors({ amount: 'Enter an amount greater than zero.' });
      return;
    }
    setBusy(true);
    setError(null);
    setFieldErrors({});
    try {
      onApplied(await applyOnAccountCredit(customerNumber, { invoiceNumber, amount: value }, idempotencyKey.current));
    } catch (caught) {
      setError(errorMessage(caught));
      setFieldErrors(fieldErrorsOf(caught));
      if (refusedByServer(caught)) idempotencyKey.current = newIdempotencyKey();
      setBusy(false);
    }
  }

  return (
    <section className="card form-card" aria-labelledby="on-account-heading">
      <div className="card-header">
        <h2 id="on-account-heading" ref={headingRef} tabIndex={-1}>
          Apply On Account credit
        </h2>
        <p className="muted">
          {formatMoney(onAccount)} of unapplied credit. Applying it pays an open invoice; no money moves.
        </p>
      </div>
      <form className="card-body form-grid" onSubmit={submit} noValidate>
        {error && (
          <div className="alert alert-error span-all" role="alert">
            {error}
          </div>
        )}
        {open.length === 0 ? (
          <p className="muted span-all">The customer has no open invoices.</p>
        ) : (
          <>
            <div className="field">
              <label htmlFor="on-account-invoice">Invoice</label>
              <select
                id="on-account-invoice"
                value={invoiceNumber}
                onChange={(event) => {
                  const chosen = Number(event.target.value);
                  setInvoiceNumber(chosen);
                  setAmount(
                    proposed(
                      onAccount,
                      open.find((invoice) => invoice.invoiceNumber === chosen),
                    ),
                  );
                }}
                aria-invalid={fieldErrors.invoiceNumber ? true : undefined}
                aria-describedby="on-account-invoice-error"
              >
                {open.map((invoice) => (
                  <option key={invoice.invoiceNumber} value={invoice.invoiceNumber}>
                    {invoice.invoiceNumber} · due {formatDate(invoice.dueDate)} · open {formatMoney(invoice.balance)}
                  </option>
                ))}
              </select>
              <FieldErrorText id="on-account-invoice-error" message={fieldErrors.invoiceNumber} />
            </div>
            <div className="field">
              <label htmlFor="on-account-amount">Amount to apply</label>
              <input
                id="on-account-amount"
                className="input-money"
                inputMode="decimal"
                value={amount}
                onChange={(event) => setAmount(event.target.value)}
                aria-invalid={fieldErrors.amount ? true : undefined}
                aria-describedby="on-account-amount-error"
              />
              <FieldErrorText id="on-account-amount-error" message={fieldErrors.amount} />
            </div>
          </>
        )}
        <div className="form-actions span-all">
          <button type="submit" className="button button-primary" disabled={busy || open.length === 0}>
            Apply credit
          </button>
          <button type="button" className="button button-secondary" onClick={onClose} disabled={busy}>
            Cancel
          </button>
        </div>
      </form>
    </section>
  );
}
