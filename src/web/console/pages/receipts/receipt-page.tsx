// /app/receipts/<n>: one receipt — what it paid, where it was deposited, the journal entries
// behind it — and its reversal (NSF, chargeback, entered in error) for staff.
import { type FormEvent, useEffect, useRef, useState } from 'react';
import { errorMessage, isAbortError, newIdempotencyKey } from '../../api/api.ts';
import {
  getReceipt,
  getReceiptLedger,
  type LedgerEntry,
  paymentCheckTypes,
  type Receipt,
  reverseReceipt,
} from '../../api/receipts-api.ts';
import { formatDate, formatDateTime, formatMoney, humanize } from '../../shared/format.ts';
import { LedgerSection } from '../../shared/ledger-table.tsx';
import { Link } from '../../shared/router.tsx';
import { TableWrap } from '../../shared/table-wrap.tsx';

type State =
  | { status: 'loading' }
  | { status: 'ready'; receipt: Receipt; ledger: LedgerEntry[] }
  | { status: 'error'; message: string };

const reasons = [
  { value: 'nsf', label: 'NSF (returned check or payment)', short: 'NSF' },
  { value: 'chargeback', label: 'Chargeback', short: 'Chargeback' },
  { value: 'entered_in_error', label: 'Entered in error', short: 'Entered in error' },
] as const;

type Reason = (typeof reasons)[number]['value'];

export function ReceiptPage({ receiptNumber, canReverse }: { receiptNumber: number; canReverse: boolean }) {
  const [state, setState] = useState<State>({ status: 'loading' });
  const [reload, setReload] = useState(0);

  // biome-ignore lint/correctness/useExhaustiveDependencies: reload is a deliberate re-fetch trigger.
  useEffect(() => {
    document.title = `Receipt ${receiptNumber} · policypay`;
    const controller = new AbortController();
    Promise.all([
      getReceipt(receiptNumber, controller.signal),
      getReceiptLedger(receiptNumber, controller.signal),
    ]).then(
      ([receipt, ledger]) => setState({ status: 'ready', receipt, ledger: ledger.data }),
      (error: unknown) => {
        if (!isAbortError(error)) setState({ status: 'error', message: errorMessage(error) });
      },
    );
    return () => controller.abort();
  }, [receiptNumber, reload]);

  if (state.status === 'loading') return <p className="loading">Loading receipt…</p>;
  if (state.status === 'error') {
    return (
      <div className="card empty-state">
        <h1>Receipt {receiptNumber}</h1>
        <p className="muted">{state.message}</p>
        <Link to="/app/receipts" className="button button-secondary">
          Back to receipts
        </Link>
      </div>
    );
  }
  const { receipt, ledger } = state;
  const type = paymentCheckTypes.find((t) => t.value === receipt.paymentCheckType)?.label ?? receipt.paymentCheckType;

  return (
    <>
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <ol>
          <li>
            <Link to="/app/receipts">Receipts</Link>
          </li>
          <li aria-current="page">{receipt.receiptNumber}</li>
        </ol>
      </nav>
      <div className="page-header">
        <div>
          <h1>
            Receipt {receipt.receiptNumber}{' '}
            <span className={`badge badge-${receipt.status === 'reversed' ? 'red' : 'green'}`}>
              {receipt.status === 'reversed' ? 'Reversed' : 'Posted'}
            </span>
          </h1>
          <p className="page-subtitle">
            {formatMoney(receipt.receiptAmount)} · {type} · {formatDate(receipt.receiptDate)} · bank{' '}
            {receipt.bankShortName} · customer{' '}
            <Link to={`/app/customers/${receipt.customerNumber}`}>{receipt.customerNumber}</Link>
          </p>
        </div>
      </div>

      <section className="card" aria-labelledby="receipt-details">
        <div className="card-header">
          <h2 id="receipt-details">Details</h2>
        </div>
        <dl className="card-body details">
          <dt>Description</dt>
          <dd>{receipt.receiptDescription}</dd>
          {receipt.payerCheckNumber && (
            <>
              <dt>Check number</dt>
              <dd>{receipt.payerCheckNumber}</dd>
            </>
          )}
          {receipt.payerBankAccountLast4 && (
            <>
              <dt>Payer's account</dt>
              <dd>ending {receipt.payerBankAccountLast4}</dd>
            </>
          )}
          <dt>On Account</dt>
          <dd>{formatMoney(receipt.onAccountAmount)}</dd>
          {receipt.convenienceFeeAmount > 0 && (
            <>
              <dt>Convenience fee</dt>
              <dd data-testid="receipt-convenience-fee">
                {formatMoney(receipt.convenienceFeeAmount)} (not applied to invoices)
              </dd>
            </>
          )}
          {receipt.reversal && (
            <>
              <dt>Reversed</dt>
              <dd>
                {formatDateTime(receipt.reversal.at)}:{' '}
                {reasons.find((r) => r.value === receipt.reversal?.reason)?.short ?? humanize(receipt.reversal.reason)}
                {receipt.reversal.note ? ` (${receipt.reversal.note})` : ''}
                {receipt.reversal.feeInvoiceNumber ? `; NSF fee invoice ${receipt.reversal.feeInvoiceNumber}` : ''}
              </dd>
            </>
          )}
        </dl>
      </section>

      <section className="card" aria-labelledby="receipt-applications">
        <div className="card-header">
          <h2 id="receipt-applications">Applied to</h2>
        </div>
        <TableWrap label="Applications">
          <table className="data-table" aria-label="Applications">
            <thead>
              <tr>
                <th scope="col">Invoice</th>
                <th scope="col">Description</th>
                <th scope="col" className="num">
                  Applied
                </th>
                <th scope="col" className="num">
                  On Account
                </th>
              </tr>
            </thead>
            <tbody>
              {receipt.applications.map((application, i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: applications keep the receipt's order.
                <tr key={i}>
                  <td className="mono">{application.invoiceNumber ?? 'On Account'}</td>
                  <td>{application.invoicePaymentDescription}</td>
                  <td className="num">{formatMoney(application.appliedAmount)}</td>
                  <td className="num">{formatMoney(application.onAccountAmount)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      </section>

      <LedgerSection id="receipt-ledger" entries={ledger} />

      {canReverse && receipt.status === 'posted' && (
        <ReverseForm receiptNumber={receipt.receiptNumber} onReversed={() => setReload((n) => n + 1)} />
      )}
    </>
  );
}

function ReverseForm({ receiptNumber, onReversed }: { receiptNumber: number; onReversed: () => void }) {
  const [reason, setReason] = useState<Reason>('nsf');
  const [note, setNote] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const key = useRef(newIdempotencyKey());

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (busy) return;
    if (!window.confirm(`Reverse receipt ${receiptNumber}? Its invoices reopen and the bank's cash goes back out.`)) {
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await reverseReceipt(receiptNumber, note.trim() ? { reason, note: note.trim() } : { reason }, key.current);
      onReversed();
    } catch (caught) {
      setError(errorMessage(caught));
      key.current = newIdempotencyKey();
      setBusy(false);
    }
  }

  return (
    <form className="card" onSubmit={submit} aria-labelledby="reverse-heading">
      <div className="card-header">
        <h2 id="reverse-heading">Reverse this receipt</h2>
      </div>
      <div className="card-body">
        {error && (
          <div className="alert alert-error" role="alert">
            {error}
          </div>
        )}
        <div className="field">
          <label htmlFor="reverse-reason">Reason</label>
          <select id="reverse-reason" value={reason} onChange={(event) => setReason(event.target.value as Reason)}>
            {reasons.map((r) => (
              <option key={r.value} value={r.value}>
                {r.label}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="reverse-note">Note (optional)</label>
          <input id="reverse-note" value={note} onChange={(event) => setNote(event.target.value)} />
        </div>
        <button type="submit" className="button button-danger" disabled={busy}>
          Reverse receipt
        </button>
      </div>
    </form>
  );
}
