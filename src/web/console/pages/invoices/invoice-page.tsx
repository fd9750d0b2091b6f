// /app/invoices/<n>: one invoice — its amount and open balance, its policy and customer, the
// receipts applied to it, and the journal entries with a line on it (billing, receipts, reversals).
import { useEffect, useState } from 'react';
import { ApiError, errorMessage, isAbortError } from '../../api/api.ts';
import { getInvoice, getInvoiceLedger, type Invoice, listCustomerReceipts } from '../../api/customers-api.ts';
import type { LedgerEntry, Receipt } from '../../api/receipts-api.ts';
import { formatDate, formatDateTime, formatMoney, invoiceStatusLabel } from '../../shared/format.ts';
import { LedgerSection } from '../../shared/ledger-table.tsx';
import { Link } from '../../shared/router.tsx';
import { TableWrap } from '../../shared/table-wrap.tsx';

type State =
  | { status: 'loading' }
  | { status: 'ready'; invoice: Invoice; ledger: LedgerEntry[]; receipts: Receipt[] }
  | { status: 'error'; message: string };

function tone(status: string): string {
  if (status === 'paid') return 'green';
  if (status === 'partially_paid') return 'amber';
  return 'blue';
}

export function InvoicePage({ invoiceNumber }: { invoiceNumber: number }) {
  const [state, setState] = useState<State>({ status: 'loading' });

  useEffect(() => {
    document.title = `Invoice ${invoiceNumber} · policypay`;
    const controller = new AbortController();
    (async () => {
      const [invoice, ledger] = await Promise.all([
        getInvoice(invoiceNumber, controller.signal),
        getInvoiceLedger(invoiceNumber, controller.signal),
      ]);
      // The receipts the caller may see (its banks) that paid part of this invoice.
      const receipts = (await listCustomerReceipts(invoice.customerNumber, controller.signal)).data.filter((r) =>
        r.applications.some((a) => a.invoiceNumber === invoiceNumber),
      );
      setState({ status: 'ready', invoice, ledger: ledger.data, receipts });
    })().catch((error: unknown) => {
      if (isAbortError(error)) return;
      const message =
        error instanceof ApiError && error.status === 404
          ? `There is no invoice ${invoiceNumber} in this agency.`
          : errorMessage(error);
      setState({ status: 'error', message });
    });
    return () => controller.abort();
  }, [invoiceNumber]);

  if (state.status === 'loading') return <p className="loading">Loading invoice…</p>;
  if (state.status === 'error') {
    return (
      <div className="card empty-state">
        <h1>Invoice {invoiceNumber}</h1>
        <p className="muted">{state.message}</p>
        <Link to="/app/customers" className="button button-secondary">
          Back to customers
        </Link>
      </div>
    );
  }
  const { invoice, ledger, receipts } = state;
  const customerHref = `/app/customers/${invoice.customerNumber}`;

  return (
    <>
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <ol>
          <li>
            <Link to="/app/customers">Customers</Link>
          </li>
          <li>
            <Link to={customerHref}>Customer {invoice.customerNumber}</Link>
          </li>
          <li aria-current="page">Invoice {invoice.displayNumber}</li>
        </ol>
      </nav>
      <div className="page-header">
        <div>
          <h1>
            Invoice {invoice.displayNumber}{' '}
            <span className={`badge badge-${tone(invoice.status)}`}>{invoiceStatusLabel(invoice.status)}</span>
          </h1>
          <p className="page-subtitle">
            Due {formatDate(invoice.dueDate)} · customer <Link to={customerHref}>{invoice.customerNumber}</Link>
            {invoice.policyNumber && <> · policy {invoice.policyNumber}</>}
          </p>
        </div>
      </div>

      <dl className="stats">
        <div className="stat">
          <dt>Amount</dt>
          <dd className="money" data-testid="invoice-amount">
            {formatMoney(invoice.amount)}
          </dd>
        </div>
        <div className="stat">
          <dt>Balance</dt>
          <dd className="money" data-testid="invoice-balance">
            {formatMoney(invoice.balance)}
          </dd>
        </div>
      </dl>

      <section className="card" aria-labelledby="invoice-details">
        <div className="card-header">
          <h2 id="invoice-details">Details</h2>
        </div>
        <dl className="card-body details">
          <dt>Customer</dt>
          <dd>
            <Link to={customerHref}>Customer {invoice.customerNumber}</Link>
          </dd>
          <dt>Policy</dt>
          <dd>{invoice.policyNumber ?? 'None'}</dd>
          <dt>Description</dt>
          <dd>{invoice.description ?? '—'}</dd>
          <dt>Autopay</dt>
          <dd>
            {invoice.suppressAutopay
              ? 'Suppressed'
              : invoice.autopayTime
                ? formatDateTime(invoice.autopayTime)
                : 'Not scheduled'}
          </dd>
        </dl>
      </section>

      <section className="card" aria-labelledby="invoice-receipts">
        <div className="card-header">
          <h2 id="invoice-receipts">Receipts applied</h2>
        </div>
        <TableWrap label="Receipts applied">
          <table className="data-table" aria-label="Receipts applied">
            <thead>
              <tr>
                <th scope="col">Receipt</th>
                <th scope="col">Date</th>
                <th scope="col">Bank</th>
                <th scope="col">Status</th>
                <th scope="col" className="num">
                  Applied
                </th>
              </tr>
            </thead>
            <tbody>
              {receipts.map((receipt) => (
                <tr key={receipt.receiptNumber}>
                  <td className="mono">
                    <Link to={`/app/receipts/${receipt.receiptNumber}`}>{receipt.receiptNumber}</Link>
                  </td>
                  <td>{formatDate(receipt.receiptDate)}</td>
                  <td>{receipt.bankShortName}</td>
                  <td>{receipt.status === 'reversed' ? 'Reversed' : 'Posted'}</td>
                  <td className="num">
                    {formatMoney(
                      receipt.applications
                        .filter((a) => a.invoiceNumber === invoice.invoiceNumber)
                        .reduce((sum, a) => sum + a.appliedAmount, 0),
                    )}
                  </td>
                </tr>
              ))}
              {receipts.length === 0 && (
                <tr>
                  <td colSpan={5} className="empty-cell">
                    No receipts applied to this invoice.
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        </TableWrap>
      </section>

      <LedgerSection id="invoice-ledger" entries={ledger} />
    </>
  );
}
