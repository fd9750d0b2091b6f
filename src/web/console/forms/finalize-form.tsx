// "Finalize Payment": bank (the channel's deposit bank preselected), every open invoice of the
// customer (prefilled from the request, or oldest due first when it named none), the rest On
// Account; the server turns a paid request into a cash receipt through the receipt rules.
import { type FormEvent, useEffect, useRef, useState } from 'react';
import {
  type Bank,
  errorMessage,
  finalizePaymentRequest,
  getFinalizeProposal,
  listBanks,
  newIdempotencyKey,
  type PaymentRequest,
  refusedByServer,
} from '../api/api.ts';
import { FieldErrorText } from '../shared/field-errors.tsx';
import { formatDate, formatMoney, parseAmountInput } from '../shared/format.ts';
import { fieldErrorsOf } from '../shared/problem-fields.ts';

type Props = {
  request: PaymentRequest;
  onFinalized: (request: PaymentRequest) => void;
  onCancel: () => void;
};

type Row = { invoiceNumber: number; policyNumber: string | null; dueDate: string; balance: number; amount: string };

const cents = (value: number) => Math.round(value * 100);

export function FinalizeForm({ request, onFinalized, onCancel }: Props) {
  const [banks, setBanks] = useState<Bank[] | null>(null);
  const [bank, setBank] = useState('');
  const [rows, setRows] = useState<Row[] | null>(null);
  const [description, setDescription] = useState(
    `Online payment${request.note ? `: ${request.note}` : ''} (request due ${formatDate(request.dueDate)})`.slice(
      0,
      200,
    ),
  );
  const [submitting, setSubmitting] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const idempotencyKey = useRef(newIdempotencyKey());
  const headingRef = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    headingRef.current?.focus();
    const controller = new AbortController();
    Promise.all([listBanks(controller.signal), getFinalizeProposal(request.id, controller.signal)]).then(
      ([{ data }, proposal]) => {
        setBanks(data);
        // The agency's deposit bank for the channel the client paid through; staff may change it.
        setBank((current) => current || proposal.bankShortName || '');
        setRows(
          proposal.invoices.map((invoice) => ({
            invoiceNumber: invoice.invoiceNumber,
            policyNumber: invoice.policyNumber,
            dueDate: invoice.dueDate,
            balance: invoice.balance,
            amount: invoice.proposedAmount > 0 ? invoice.proposedAmount.toFixed(2) : '',
          })),
        );
      },
      (caught: unknown) => {
        if (!controller.signal.aborted) setError(`Could not load the invoices and banks: ${errorMessage(caught)}`);
      },
    );
    return () => controller.abort();
  }, [request.id]);

  const appliedCents = (rows ?? []).reduce((sum, row) => sum + cents(parseAmountInput(row.amount) ?? 0), 0);
  const onAccountCents = cents(request.amount) - appliedCents;

  async function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (submitting) return;
    if (onAccountCents < 0) {
      setError('The invoice amounts add up to more than the payment.');
      return;
    }
    const over = (rows ?? []).find((row) => cents(parseAmountInput(row.amount) ?? 0) > cents(row.balance));
    if (over) {
      setError(`Invoice ${over.invoiceNumber} has only ${formatMoney(over.balance)} open.`);
      return;
    }
    const applications: { invoiceNumber?: number; amount: number }[] = (rows ?? [])
      .map((row) => ({ invoiceNumber: row.invoiceNumber, amount: parseAmountInput(row.amount) ?? 0 }))
      .filter((row) => row.amount > 0);
    if (onAccountCents > 0) applications.push({ amount: onAccountCents / 100 });
    setSubmitting(true);
    setError(null);
    setFieldErrors({});
    try {
      const finalized = await finalizePaymentRequest(
        request.id,
        { bankShortName: bank, applications, ...(description.trim() ? { description: description.trim() } : {}) },
        idempotencyKey.current,
      );
      onFinalized(finalized);
    } catch (caught) {
      setError(errorMessage(caught));
      setFieldErrors(fieldErrorsOf(caught));
      if (refusedByServer(caught)) idempotencyKey.current = newIdempotencyKey();
      setSubmitting(false);
    }
  }

  return (
    <section className="card form-card" aria-labelledby="finalize-heading">
      <div className="card-header">
        <h2 id="finalize-heading" ref={headingRef} tabIndex={-1}>
          Finalize payment of {formatMoney(request.amount)}
        </h2>
        <p className="muted">
          Paid by {request.contact.name}
          {request.payment?.last4
            ? ` with ${request.payment.type === 'ach' ? 'account' : 'card'} ending ${request.payment.last4}`
            : ''}
          . Finalizing creates the cash receipt in the customer's account.
        </p>
      </div>
      <form className="card-body form-grid" onSubmit={handleSubmit} noValidate>
        {error && (
          <div className="alert alert-error span-all" role="alert">
            {error}
          </div>
        )}
        <div className="field">
          <label htmlFor="finalize-bank">Bank</label>
          <select
            id="finalize-bank"
            name="bankShortName"
            required
            value={bank}
            disabled={!banks}
            onChange={(event) => setBank(event.target.value)}
            aria-required="true"
            aria-invalid={fieldErrors.bankShortName ? true : undefined}
            aria-describedby="finalize-bank-error"
          >
            {!bank && <option value="">Choose a bank</option>}
            {(banks ?? []).map((item) => (
              <option key={item.id} value={item.shortName}>
                {item.name} ({item.shortName})
              </option>
            ))}
          </select>
          <FieldErrorText id="finalize-bank-error" message={fieldErrors.bankShortName} />
        </div>
        <div className="field span-2">
          <label htmlFor="finalize-description">Description</label>
          <input
            id="finalize-description"
            name="description"
            maxLength={200}
            value={description}
            onChange={(event) => setDescription(event.target.value)}
          />
        </div>
        <fieldset className="span-all invoice-picker">
          <legend>Apply to invoices</legend>
          <p className="muted">Every open invoice of the customer. Whatever is not applied goes On Account.</p>
          {rows === null && <p className="muted">Loading invoices…</p>}
          {rows?.length === 0 && <p className="muted">The customer has no open invoices.</p>}
          {rows?.map((row, index) => (
            <div className="invoice-pick" key={row.invoiceNumber}>
              <label htmlFor={`finalize-invoice-${row.invoiceNumber}`}>Invoice {row.invoiceNumber}</label>
              <span className="muted invoice-pick-facts" id={`finalize-invoice-${row.invoiceNumber}-facts`}>
                {row.policyNumber ? `${row.policyNumber} · ` : ''}due {formatDate(row.dueDate)} · open{' '}
                {formatMoney(row.balance)}
              </span>
              <input
                id={`finalize-invoice-${row.invoiceNumber}`}
                className="input-money"
                inputMode="decimal"
                placeholder="0.00"
                aria-describedby={`finalize-invoice-${row.invoiceNumber}-facts`}
                value={row.amount}
                onChange={(event) =>
                  setRows((current) =>
                    (current ?? []).map((item, i) => (i === index ? { ...item, amount: event.target.value } : item)),
                  )
                }
              />
            </div>
          ))}
          <p className="muted" data-testid="finalize-on-account">
            On Account: {formatMoney(Math.max(onAccountCents, 0) / 100)}
          </p>
          <FieldErrorText id="finalize-applications-error" message={fieldErrors.applications} />
        </fieldset>
        <div className="form-actions span-all">
          <button type="submit" className="button button-primary" disabled={submitting || !bank || rows === null}>
            Finalize Payment
          </button>
          <button type="button" className="button button-secondary" onClick={onCancel} disabled={submitting}>
            Cancel
          </button>
        </div>
      </form>
    </section>
  );
}
