// /app/receipts: the agency's receipts, filtered by date, bank, type, customer and status, with
// the filter's totals (what an accountant ticks off against a deposit) and its CSV.
import { type FormEvent, useEffect, useState } from 'react';
import { type Bank, errorMessage, isAbortError, listBanks } from '../../api/api.ts';
import {
  listReceipts,
  paymentCheckTypes,
  type Receipt,
  type ReceiptFilter,
  type ReceiptPage,
  receiptFilterOf,
  receiptQuery,
} from '../../api/receipts-api.ts';
import { formatDate, formatMoney } from '../../shared/format.ts';
import { Link, navigate } from '../../shared/router.tsx';
import { TableWrap } from '../../shared/table-wrap.tsx';

type State = { status: 'loading' } | { status: 'ready'; page: ReceiptPage } | { status: 'error'; message: string };

const typeLabel = (type: string) => paymentCheckTypes.find((t) => t.value === type)?.label ?? type;

const filterHref = (filter: ReceiptFilter) => {
  const query = receiptQuery(filter);
  return query ? `/app/receipts?${query}` : '/app/receipts';
};

export function ReceiptsPage({ search }: { search: string }) {
  const filter = receiptFilterOf(search);
  const [form, setForm] = useState<Record<keyof ReceiptFilter, string>>(() => formOf(filter));
  const [state, setState] = useState<State>({ status: 'loading' });
  const [more, setMore] = useState<Receipt[]>([]);
  const [nextBefore, setNextBefore] = useState<number | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const [banks, setBanks] = useState<Bank[]>([]);

  useEffect(() => {
    document.title = 'Receipts · policypay';
    const controller = new AbortController();
    listBanks(controller.signal).then(
      (result) => setBanks(result.data),
      () => {},
    );
    return () => controller.abort();
  }, []);

  useEffect(() => {
    const controller = new AbortController();
    setState({ status: 'loading' });
    setMore([]);
    setForm(formOf(receiptFilterOf(search)));
    listReceipts(receiptFilterOf(search), null, controller.signal).then(
      (page) => {
        setState({ status: 'ready', page });
        setNextBefore(page.nextBefore);
      },
      (error: unknown) => {
        if (!isAbortError(error)) setState({ status: 'error', message: errorMessage(error) });
      },
    );
    return () => controller.abort();
  }, [search]);

  function apply(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    navigate(filterHref(receiptFilterOf(new URLSearchParams(form as Record<string, string>).toString())));
  }

  async function loadMore() {
    if (nextBefore === null) return;
    setLoadingMore(true);
    try {
      const page = await listReceipts(filter, nextBefore);
      setMore((current) => [...current, ...page.data]);
      setNextBefore(page.nextBefore);
    } catch (error) {
      setState({ status: 'error', message: errorMessage(error) });
    } finally {
      setLoadingMore(false);
    }
  }

  const set = (name: keyof ReceiptFilter) => (event: { target: { value: string } }) =>
    setForm((current) => ({ ...current, [name]: event.target.value }));
  const rows = state.status === 'ready' ? [...state.page.data, ...more] : [];
  const query = receiptQuery(filter);

  return (
    <>
      <div className="page-header">
        <div>
          <h1>Receipts</h1>
          <p className="page-subtitle">Cash receipts posted to your banks, newest first.</p>
        </div>
        <div className="filter-actions">
          <Link to="/app/receipts/new" className="button button-primary">
            Post a receipt
          </Link>
          <a
            className="button button-secondary"
            href={`/api/v1/receipts/export.csv${query ? `?${query}` : ''}`}
            download
          >
            Export CSV
          </a>
        </div>
      </div>

      <form className="card filter-bar" onSubmit={apply} aria-label="Filter receipts">
        <div className="field">
          <label htmlFor="receipts-from">From</label>
          <input id="receipts-from" type="date" value={form.from} onChange={set('from')} />
        </div>
        <div className="field">
          <label htmlFor="receipts-to">To</label>
          <input id="receipts-to" type="date" value={form.to} onChange={set('to')} />
        </div>
        <div className="field">
          <label htmlFor="receipts-bank">Bank</label>
          <select id="receipts-bank" value={form.bankShortName} onChange={set('bankShortName')}>
            <option value="">All banks</option>
            {banks.map((bank) => (
              <option key={bank.id} value={bank.shortName}>
                {bank.shortName} · {bank.name}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="receipts-type">Payment type</label>
          <select id="receipts-type" value={form.paymentCheckType} onChange={set('paymentCheckType')}>
            <option value="">All types</option>
            {paymentCheckTypes.map((type) => (
              <option key={type.value} value={type.value}>
                {type.label}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="receipts-customer">Customer number</label>
          <input
            id="receipts-customer"
            inputMode="numeric"
            value={form.customerNumber}
            onChange={set('customerNumber')}
          />
        </div>
        <div className="field">
          <label htmlFor="receipts-status">Status</label>
          <select id="receipts-status" value={form.status} onChange={set('status')}>
            <option value="">Posted and reversed</option>
            <option value="posted">Posted</option>
            <option value="reversed">Reversed</option>
          </select>
        </div>
        <div className="filter-actions">
          <button type="submit" className="button button-primary">
            Apply
          </button>
          {query && (
            <Link to="/app/receipts" className="button button-secondary">
              Clear
            </Link>
          )}
        </div>
      </form>

      <section className="card" aria-labelledby="receipts-caption">
        {state.status === 'ready' && (
          <p className="card-toolbar toolbar-status" data-testid="receipt-totals" aria-live="polite">
            {state.page.totals.count === 1 ? '1 receipt' : `${state.page.totals.count} receipts`} ·{' '}
            {formatMoney(state.page.totals.amount)}
          </p>
        )}
        {state.status === 'error' && (
          <div className="alert alert-error card-alert" role="alert">
            Could not load receipts: {state.message}
          </div>
        )}
        <TableWrap label="Receipts">
          <table className="data-table" aria-busy={state.status === 'loading'}>
            <caption id="receipts-caption" className="visually-hidden">
              Receipts
            </caption>
            <thead>
              <tr>
                <th scope="col">Receipt</th>
                <th scope="col">Date</th>
                <th scope="col">Customer</th>
                <th scope="col">Bank</th>
                <th scope="col">Type</th>
                <th scope="col" className="num">
                  Amount
                </th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((receipt) => (
                <tr key={receipt.receiptNumber}>
                  <td className="mono">
                    <Link
                      to={`/app/receipts/${receipt.receiptNumber}`}
                      className="row-link"
                      aria-label={`Receipt ${receipt.receiptNumber}`}
                    >
                      {receipt.receiptNumber}
                    </Link>
                  </td>
                  <td>{formatDate(receipt.receiptDate)}</td>
                  <td>
                    <Link
                      to={`/app/customers/${receipt.customerNumber}`}
                      aria-label={`Customer ${receipt.customerNumber}`}
                    >
                      {receipt.customerNumber}
                    </Link>
                  </td>
                  <td>{receipt.bankShortName}</td>
                  <td>{typeLabel(receipt.paymentCheckType)}</td>
                  <td className="num">{formatMoney(receipt.receiptAmount)}</td>
                  <td>
                    <span className={`badge badge-${receipt.status === 'reversed' ? 'red' : 'green'}`}>
                      {receipt.status === 'reversed' ? 'Reversed' : 'Posted'}
                    </span>
                  </td>
                </tr>
              ))}
              {state.status === 'loading' && (
                <tr>
                  <td colSpan={7} className="empty-cell">
                    Loading receipts…
                  </td>
                </tr>
              )}
              {state.status === 'ready' && rows.length === 0 && (
                <tr>
                  <td colSpan={7} className="empty-cell">
                    {query ? 'No receipts match this filter.' : 'No receipts yet.'}
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        </TableWrap>
        {state.status === 'ready' && nextBefore !== null && (
          <nav className="pagination" aria-label="More receipts">
            <button type="button" className="button button-secondary" onClick={loadMore} disabled={loadingMore}>
              Show older receipts
            </button>
          </nav>
        )}
      </section>
    </>
  );
}

function formOf(filter: ReceiptFilter): Record<keyof ReceiptFilter, string> {
  return {
    from: filter.from ?? '',
    to: filter.to ?? '',
    bankShortName: filter.bankShortName ?? '',
    paymentCheckType: filter.paymentCheckType ?? '',
    customerNumber: filter.customerNumber ? String(filter.customerNumber) : '',
    status: filter.status ?? '',
  };
}
