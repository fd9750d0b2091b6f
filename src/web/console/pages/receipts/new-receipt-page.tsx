// /app/receipts/new: post a cash receipt as AMS360's receipt API takes it — a customer, what it
// pays on which open invoices, the rest On Account — through the same rules as the API.
import { type FormEvent, useEffect, useRef, useState } from 'react';
import {
  type Bank,
  type Customer,
  type CustomerAccount,
  errorMessage,
  getCustomer,
  getCustomerAccount,
  isAbortError,
  listBanks,
  newIdempotencyKey,
} from '../../api/api.ts';
import { type PaymentCheckType, paymentCheckTypes, postReceipt } from '../../api/receipts-api.ts';
import { FieldErrorText } from '../../shared/field-errors.tsx';
import { formatDate, formatMoney, parseAmountInput, todayIn } from '../../shared/format.ts';
import { fieldErrorsOf } from '../../shared/problem-fields.ts';
import { Link, navigate } from '../../shared/router.tsx';
import { TableWrap } from '../../shared/table-wrap.tsx';

const cents = (text: string) => {
  const value = parseAmountInput(text);
  return value === null ? null : Math.round(value * 100);
};

export function NewReceiptPage({ timeZone, customerNumber }: { timeZone: string; customerNumber: number | null }) {
  const [banks, setBanks] = useState<Bank[]>([]);
  const [customerText, setCustomerText] = useState(customerNumber ? String(customerNumber) : '');
  const [customer, setCustomer] = useState<{ customer: Customer; account: CustomerAccount } | null>(null);
  const [lookupError, setLookupError] = useState<string | null>(null);
  const [applied, setApplied] = useState<Record<number, string>>({});
  const [amount, setAmount] = useState('');
  const [bank, setBank] = useState('');
  const [type, setType] = useState<PaymentCheckType>('Check');
  const [checkNumber, setCheckNumber] = useState('');
  const [date, setDate] = useState(() => todayIn(timeZone));
  const [description, setDescription] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const key = useRef(newIdempotencyKey());

  useEffect(() => {
    document.title = 'Post a receipt · policypay';
    const controller = new AbortController();
    listBanks(controller.signal).then(
      (result) => {
        setBanks(result.data);
        if (result.data.length === 1) setBank(result.data[0]!.shortName);
      },
      () => {},
    );
    return () => controller.abort();
  }, []);

  // The customer's open invoices, as soon as a customer number is typed.
  useEffect(() => {
    const number = Number(customerText.trim());
    setCustomer(null);
    setApplied({});
    setLookupError(null);
    if (!Number.isInteger(number) || number <= 0) return;
    const controller = new AbortController();
    const timer = window.setTimeout(() => {
      Promise.all([getCustomer(number, controller.signal), getCustomerAccount(number, controller.signal)]).then(
        ([found, account]) => setCustomer({ customer: found, account }),
        (caught: unknown) => {
          if (!isAbortError(caught)) setLookupError(errorMessage(caught));
        },
      );
    }, 250);
    return () => {
      window.clearTimeout(timer);
      controller.abort();
    };
  }, [customerText]);

  const open = customer?.account.invoices.filter((invoice) => invoice.balance > 0) ?? [];
  const totalCents = cents(amount);
  const appliedCents = open.reduce((sum, invoice) => sum + (cents(applied[invoice.invoiceNumber] ?? '') ?? 0), 0);
  const onAccountCents = totalCents === null ? null : totalCents - appliedCents;

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (busy || !customer) return;
    setError(null);
    setFieldErrors({});
    if (totalCents === null)
      return setFieldErrors({ receiptAmount: 'Enter an amount greater than zero with at most 2 decimals.' });
    if (onAccountCents !== null && onAccountCents < 0) {
      return setError('The amounts applied to invoices add up to more than the receipt.');
    }
    const lines: { invoiceNumber?: number; paymentAmount: number }[] = open
      .filter((invoice) => (cents(applied[invoice.invoiceNumber] ?? '') ?? 0) > 0)
      .map((invoice) => ({
        invoiceNumber: invoice.invoiceNumber,
        paymentAmount: cents(applied[invoice.invoiceNumber]!)! / 100,
      }));
    if (onAccountCents) lines.push({ paymentAmount: onAccountCents / 100 });
    setBusy(true);
    try {
      const receipt = await postReceipt(
        {
          customerNumber: customer.customer.customerNumber,
          invoiceInformations: lines,
          receiptAmount: totalCents / 100,
          receiptDate: date,
          receiptDateTimeZone: timeZone,
          bankShortName: bank,
          paymentCheckType: type,
          ...(type === 'Check' && checkNumber.trim() ? { payerCheckNumber: checkNumber.trim() } : {}),
          ...(description.trim() ? { receiptDescription: description.trim() } : {}),
        },
        key.current,
      );
      navigate(`/app/receipts/${receipt.receiptNumber}`);
    } catch (caught) {
      setError(errorMessage(caught));
      setFieldErrors(fieldErrorsOf(caught));
      key.current = newIdempotencyKey();
      setBusy(false);
    }
  }

  return (
    <>
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <ol>
          <li>
            <Link to="/app/receipts">Receipts</Link>
          </li>
          <li aria-current="page">Post a receipt</li>
        </ol>
      </nav>
      <div className="page-header">
        <div>
          <h1>Post a receipt</h1>
          <p className="page-subtitle">
            A check, cash or card payment received: applied to open invoices, the rest On Account.
          </p>
        </div>
      </div>
      {error && (
        <div className="alert alert-error" role="alert">
          {error}
        </div>
      )}
      <form className="card" onSubmit={submit} noValidate aria-label="Post a receipt">
        <div className="card-body">
          <div className="field">
            <label htmlFor="receipt-customer">Customer number</label>
            <input
              id="receipt-customer"
              inputMode="numeric"
              value={customerText}
              onChange={(event) => setCustomerText(event.target.value)}
              aria-describedby="receipt-customer-found"
            />
            <p className="muted" id="receipt-customer-found" aria-live="polite">
              {customer
                ? `${customer.customer.name} · ${formatMoney(customer.account.arBalance)} open`
                : (lookupError ?? '')}
            </p>
            <FieldErrorText id="receipt-customer-error" message={fieldErrors.customerNumber} />
          </div>

          {customer && (
            <TableWrap label="Open invoices">
              <table className="data-table" aria-label="Open invoices">
                <thead>
                  <tr>
                    <th scope="col">Invoice</th>
                    <th scope="col" className="col-due">
                      Due
                    </th>
                    <th scope="col" className="num">
                      Balance
                    </th>
                    <th scope="col" className="num">
                      Apply
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {open.map((invoice) => (
                    <tr key={invoice.invoiceNumber}>
                      <td>
                        <span className="mono">{invoice.invoiceNumber}</span>
                        {/* On a phone the Due column gives its width to the amount: the date goes here. */}
                        <span className="due-inline muted">due {formatDate(invoice.dueDate)}</span>
                      </td>
                      <td className="col-due">{formatDate(invoice.dueDate)}</td>
                      <td className="num">{formatMoney(invoice.balance)}</td>
                      <td className="num">
                        <input
                          aria-label={`Apply to invoice ${invoice.invoiceNumber}`}
                          inputMode="decimal"
                          className="amount-input"
                          value={applied[invoice.invoiceNumber] ?? ''}
                          onChange={(event) =>
                            setApplied((current) => ({ ...current, [invoice.invoiceNumber]: event.target.value }))
                          }
                        />
                      </td>
                    </tr>
                  ))}
                  {open.length === 0 && (
                    <tr>
                      <td colSpan={4} className="empty-cell">
                        No open invoices: the receipt goes On Account.
                      </td>
                    </tr>
                  )}
                </tbody>
              </table>
            </TableWrap>
          )}

          <div className="field-row">
            <div className="field">
              <label htmlFor="receipt-amount">Receipt amount</label>
              <input
                id="receipt-amount"
                inputMode="decimal"
                value={amount}
                onChange={(event) => setAmount(event.target.value)}
              />
              <FieldErrorText id="receipt-amount-error" message={fieldErrors.receiptAmount} />
            </div>
            <div className="field">
              <span className="label">On Account</span>
              <output data-testid="on-account">
                {onAccountCents === null ? '—' : formatMoney(onAccountCents / 100)}
              </output>
            </div>
          </div>
          <div className="field-row">
            <div className="field">
              <label htmlFor="receipt-bank">Bank</label>
              <select id="receipt-bank" value={bank} onChange={(event) => setBank(event.target.value)}>
                <option value="">Choose a bank</option>
                {banks.map((b) => (
                  <option key={b.id} value={b.shortName}>
                    {b.shortName} · {b.name}
                  </option>
                ))}
              </select>
              <FieldErrorText id="receipt-bank-error" message={fieldErrors.bankShortName} />
            </div>
            <div className="field">
              <label htmlFor="receipt-type">Payment type</label>
              <select
                id="receipt-type"
                value={type}
                onChange={(event) => setType(event.target.value as PaymentCheckType)}
              >
                {paymentCheckTypes.map((t) => (
                  <option key={t.value} value={t.value}>
                    {t.label}
                  </option>
                ))}
              </select>
            </div>
            {type === 'Check' && (
              <div className="field">
                <label htmlFor="receipt-check">Check number</label>
                <input
                  id="receipt-check"
                  value={checkNumber}
                  onChange={(event) => setCheckNumber(event.target.value)}
                />
                <FieldErrorText id="receipt-check-error" message={fieldErrors.payerCheckNumber} />
              </div>
            )}
            <div className="field">
              <label htmlFor="receipt-date">Receipt date</label>
              <input id="receipt-date" type="date" value={date} onChange={(event) => setDate(event.target.value)} />
              <FieldErrorText id="receipt-date-error" message={fieldErrors.receiptDate} />
            </div>
          </div>
          <div className="field">
            <label htmlFor="receipt-description">Description (optional)</label>
            <input
              id="receipt-description"
              value={description}
              onChange={(event) => setDescription(event.target.value)}
            />
          </div>
          <button type="submit" className="button button-primary" disabled={busy || !customer}>
            Post receipt
          </button>
        </div>
      </form>
    </>
  );
}
