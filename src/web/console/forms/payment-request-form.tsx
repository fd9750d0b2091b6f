// "Request online payment": amount, contact, due date, note and optionally the invoices it pays.
import { type FormEvent, useEffect, useRef, useState } from 'react';
import {
  type Contact,
  createPaymentRequest,
  errorMessage,
  type InvoiceSummary,
  newIdempotencyKey,
  type PaymentRequest,
  refusedByServer,
} from '../api/api.ts';
import { FieldErrorText } from '../shared/field-errors.tsx';
import { formatDate, formatMoney, parseAmountInput } from '../shared/format.ts';
import { fieldErrorsOf } from '../shared/problem-fields.ts';

type Props = {
  customerNumber: number;
  contacts: Contact[];
  invoices: InvoiceSummary[];
  today: string;
  onSent: (request: PaymentRequest) => void;
  onCancel: () => void;
};

function addDays(isoDate: string, days: number): string {
  const date = new Date(`${isoDate}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

export function PaymentRequestForm({ customerNumber, contacts, invoices, today, onSent, onCancel }: Props) {
  const reachable = contacts.filter((contact) => contact.email);
  const [amount, setAmount] = useState('');
  const [amountTouched, setAmountTouched] = useState(false);
  const [contactId, setContactId] = useState((reachable.find((contact) => contact.primary) ?? reachable[0])?.id ?? '');
  const [dueDate, setDueDate] = useState(addDays(today, 7));
  const [note, setNote] = useState('');
  // Invoice number → amount typed for it; an invoice is included when it has an entry.
  const [applied, setApplied] = useState<Record<number, string>>({});
  const [submitting, setSubmitting] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const idempotencyKey = useRef(newIdempotencyKey());
  const headingRef = useRef<HTMLHeadingElement>(null);

  useEffect(() => headingRef.current?.focus(), []);

  const openInvoices = invoices.filter((invoice) => invoice.balance > 0);
  const appliedTotal = Object.values(applied).reduce((sum, value) => sum + (parseAmountInput(value) ?? 0), 0);

  function updateApplied(next: Record<number, string>) {
    setApplied(next);
    // Until the amount is typed by hand it follows the invoices picked.
    if (!amountTouched) {
      const total = Object.values(next).reduce((sum, value) => sum + (parseAmountInput(value) ?? 0), 0);
      setAmount(total > 0 ? total.toFixed(2) : '');
    }
  }

  function toggleInvoice(invoice: InvoiceSummary, checked: boolean) {
    const next = { ...applied };
    if (checked) next[invoice.invoiceNumber] = invoice.balance.toFixed(2);
    else delete next[invoice.invoiceNumber];
    updateApplied(next);
  }

  async function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (submitting) return;
    const value = parseAmountInput(amount);
    if (value === null) {
      setFieldErrors({ amount: 'Enter an amount greater than zero with at most 2 decimals.' });
      return;
    }
    const selected = Object.entries(applied).map(([invoiceNumber, text]) => ({
      invoiceNumber: Number(invoiceNumber),
      amount: parseAmountInput(text) ?? Number.NaN,
    }));
    setSubmitting(true);
    setError(null);
    setFieldErrors({});
    try {
      const created = await createPaymentRequest(
        {
          customerNumber,
          contactId,
          amount: value,
          dueDate,
          ...(note.trim() ? { note: note.trim() } : {}),
          ...(selected.length ? { invoices: selected } : {}),
        },
        idempotencyKey.current,
      );
      onSent(created);
    } catch (caught) {
      // A refused request had no effect: the corrected one is a new request with a new key.
      if (refusedByServer(caught)) idempotencyKey.current = newIdempotencyKey();
      setError(errorMessage(caught));
      setFieldErrors(fieldErrorsOf(caught));
      setSubmitting(false);
    }
  }

  return (
    <section className="card form-card" aria-labelledby="request-payment-heading">
      <div className="card-header">
        <h2 id="request-payment-heading" ref={headingRef} tabIndex={-1}>
          Request online payment
        </h2>
      </div>
      <form className="card-body form-grid" onSubmit={handleSubmit} noValidate>
        {error && (
          <div className="alert alert-error span-all" role="alert">
            {error}
          </div>
        )}
        {reachable.length === 0 && (
          <p className="alert alert-warning span-all">
            This customer has no contact with an email address, so a request cannot be sent.
          </p>
        )}
        <div className="field">
          <label htmlFor="request-amount">Amount</label>
          <input
            id="request-amount"
            name="amount"
            inputMode="decimal"
            autoComplete="off"
            required
            placeholder="0.00"
            value={amount}
            onChange={(event) => {
              setAmount(event.target.value);
              setAmountTouched(true);
            }}
            aria-invalid={fieldErrors.amount ? true : undefined}
            aria-describedby="request-amount-hint request-amount-error"
          />
          <p className="field-hint" id="request-amount-hint">
            {appliedTotal > 0 ? `Selected invoices: ${formatMoney(appliedTotal)}` : 'In US dollars.'}
          </p>
          <FieldErrorText id="request-amount-error" message={fieldErrors.amount} />
        </div>
        <div className="field">
          <label htmlFor="request-contact">Contact</label>
          <select
            id="request-contact"
            name="contactId"
            required
            value={contactId}
            onChange={(event) => setContactId(event.target.value)}
            aria-invalid={fieldErrors.contactId ? true : undefined}
            aria-describedby="request-contact-error"
          >
            {reachable.map((contact) => (
              <option key={contact.id} value={contact.id}>
                {contact.name} ({contact.email})
              </option>
            ))}
          </select>
          <FieldErrorText id="request-contact-error" message={fieldErrors.contactId} />
        </div>
        <div className="field">
          <label htmlFor="request-due">Due date</label>
          <input
            id="request-due"
            name="dueDate"
            type="date"
            required
            min={today}
            value={dueDate}
            onChange={(event) => setDueDate(event.target.value)}
            aria-invalid={fieldErrors.dueDate ? true : undefined}
            aria-describedby="request-due-error"
          />
          <FieldErrorText id="request-due-error" message={fieldErrors.dueDate} />
        </div>
        <div className="field span-all">
          <label htmlFor="request-note">Note</label>
          <input
            id="request-note"
            name="note"
            maxLength={500}
            placeholder="Down payment for Homeowners Renewal"
            value={note}
            onChange={(event) => setNote(event.target.value)}
            aria-invalid={fieldErrors.note ? true : undefined}
            aria-describedby="request-note-error"
          />
          <FieldErrorText id="request-note-error" message={fieldErrors.note} />
        </div>
        {openInvoices.length > 0 && (
          <fieldset className="span-all invoice-picker">
            <legend>Invoices this payment is for (optional)</legend>
            {openInvoices.map((invoice) => {
              const checked = applied[invoice.invoiceNumber] !== undefined;
              const id = `request-invoice-${invoice.invoiceNumber}`;
              return (
                <div className="invoice-pick" key={invoice.invoiceNumber}>
                  <input
                    type="checkbox"
                    id={id}
                    checked={checked}
                    onChange={(event) => toggleInvoice(invoice, event.target.checked)}
                  />
                  <label htmlFor={id}>
                    Invoice {invoice.invoiceNumber}, due {formatDate(invoice.dueDate)}, balance{' '}
                    {formatMoney(invoice.balance)}
                  </label>
                  {checked && (
                    <>
                      <label htmlFor={`${id}-amount`} className="visually-hidden">
                        Amount for invoice {invoice.invoiceNumber}
                      </label>
                      <input
                        id={`${id}-amount`}
                        className="input-money"
                        inputMode="decimal"
                        value={applied[invoice.invoiceNumber]}
                        onChange={(event) => updateApplied({ ...applied, [invoice.invoiceNumber]: event.target.value })}
                      />
                    </>
                  )}
                </div>
              );
            })}
            <FieldErrorText id="request-invoices-error" message={fieldErrors.invoices} />
          </fieldset>
        )}
        <div className="form-actions span-all">
          <button type="submit" className="button button-primary" disabled={submitting || reachable.length === 0}>
            Send request
          </button>
          <button type="button" className="button button-secondary" onClick={onCancel} disabled={submitting}>
            Cancel
          </button>
        </div>
      </form>
    </section>
  );
}
