// /app/customers: searchable, paginated customer list, and creating a customer.
import { type MouseEvent, useEffect, useRef, useState } from 'react';
import { type Customer, errorMessage, isAbortError, listCustomers } from '../../api/api.ts';
import { customerTypeLabel } from '../../shared/format.ts';
import { customersHref, isModifiedClick, Link, navigate } from '../../shared/router.tsx';
import { TableWrap } from '../../shared/table-wrap.tsx';
import { CustomerForm } from './customer-form.tsx';

const PAGE_SIZE = 50;
const SEARCH_DELAY_MS = 250;

type CustomersPageProps = { search: string; page: number };

type ListState =
  | { status: 'loading'; customers: Customer[] | null }
  | { status: 'ready'; customers: Customer[] }
  | { status: 'error'; message: string; customers: Customer[] | null };

/** Every customer the current search matches, as CSV (not only this page of them). */
function customersExportHref(search: string): string {
  return search ? `/api/v1/customers/export.csv?search=${encodeURIComponent(search)}` : '/api/v1/customers/export.csv';
}

function customerHref(customerNumber: number): string {
  return `/app/customers/${customerNumber}`;
}

export function CustomersPage({ search, page }: CustomersPageProps) {
  const [query, setQuery] = useState(search);
  const [state, setState] = useState<ListState>({ status: 'loading', customers: null });
  const [reloadKey, setReloadKey] = useState(0);
  const [creating, setCreating] = useState(false);

  useEffect(() => {
    document.title = 'Customers · policypay';
  }, []);

  const typedSearch = useRef(search);

  // Keep the box in sync when the URL changes underneath (back/forward), but not when the
  // change is the debounced echo of what is being typed.
  useEffect(() => {
    if (search === typedSearch.current) return;
    typedSearch.current = search;
    setQuery(search);
  }, [search]);

  // Debounce typing into the URL; the URL is the source of truth for what is fetched.
  useEffect(() => {
    const trimmed = query.trim();
    if (trimmed === search) return;
    const timer = window.setTimeout(() => {
      typedSearch.current = trimmed;
      navigate(customersHref(trimmed, 1), { replace: true });
    }, SEARCH_DELAY_MS);
    return () => window.clearTimeout(timer);
  }, [query, search]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: reloadKey is a deliberate re-fetch trigger.
  useEffect(() => {
    const controller = new AbortController();
    setState((previous) => ({ status: 'loading', customers: previous.customers }));
    listCustomers({ search, limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE }, controller.signal).then(
      (result) => setState({ status: 'ready', customers: result.data }),
      (error: unknown) => {
        if (isAbortError(error)) return;
        setState((previous) => ({
          status: 'error',
          message: errorMessage(error),
          customers: previous.customers,
        }));
      },
    );
    return () => controller.abort();
  }, [search, page, reloadKey]);

  function openRow(event: MouseEvent<HTMLTableRowElement>, customerNumber: number) {
    // Clicks on the row's own link (or on selected text) are handled by the browser/Link.
    if ((event.target as Element).closest('a')) return;
    if (window.getSelection()?.toString()) return;
    const href = customerHref(customerNumber);
    if (isModifiedClick(event)) window.open(href, '_blank', 'noopener');
    else navigate(href);
  }

  const customers = state.customers ?? [];
  const firstIndex = (page - 1) * PAGE_SIZE;
  const hasNext = state.status === 'ready' && customers.length === PAGE_SIZE;

  return (
    <>
      <div className="page-header">
        <div>
          <h1>Customers</h1>
          <p className="page-subtitle">Individuals and groups billed by your agency.</p>
        </div>
        <div className="page-actions">
          {/* A plain link: the browser downloads the streamed file with the session cookie. */}
          <a className="button button-secondary" href={customersExportHref(search)} download>
            Export CSV
          </a>
          {!creating && (
            <button type="button" className="button button-primary" onClick={() => setCreating(true)}>
              New customer
            </button>
          )}
        </div>
      </div>

      {creating && (
        <CustomerForm
          customer={null}
          onCancel={() => setCreating(false)}
          onSaved={(customer) => navigate(customerHref(customer.customerNumber))}
        />
      )}

      <section className="card" aria-labelledby="customers-table-caption">
        <div className="card-toolbar">
          <div className="search">
            <label htmlFor="customer-search" className="visually-hidden">
              Search customers
            </label>
            <svg className="search-icon" viewBox="0 0 20 20" aria-hidden="true" focusable="false">
              <path
                d="M8.5 3a5.5 5.5 0 0 1 4.38 8.83l3.65 3.64a.75.75 0 1 1-1.06 1.06l-3.64-3.65A5.5 5.5 0 1 1 8.5 3Zm0 1.5a4 4 0 1 0 0 8 4 4 0 0 0 0-8Z"
                fill="currentColor"
              />
            </svg>
            <input
              id="customer-search"
              type="search"
              placeholder="Customer, policy or invoice number, name, e-mail, phone"
              autoComplete="off"
              value={query}
              onChange={(event) => setQuery(event.target.value)}
            />
          </div>
          <p className="toolbar-status" aria-live="polite">
            {state.status === 'loading'
              ? 'Loading…'
              : state.status === 'ready' && customers.length > 0
                ? `Showing ${firstIndex + 1}–${firstIndex + customers.length}`
                : ''}
          </p>
        </div>

        {state.status === 'error' && (
          <div className="alert alert-error card-alert" role="alert">
            <span>Could not load customers: {state.message}</span>
            <button type="button" className="button button-secondary" onClick={() => setReloadKey((k) => k + 1)}>
              Try again
            </button>
          </div>
        )}

        <TableWrap label="Customers">
          <table className="data-table" aria-busy={state.status === 'loading'}>
            <caption id="customers-table-caption" className="visually-hidden">
              Customers
            </caption>
            <thead>
              <tr>
                <th scope="col">Number</th>
                <th scope="col">Name</th>
                <th scope="col">Type</th>
                <th scope="col">Email</th>
              </tr>
            </thead>
            <tbody className={state.status === 'loading' && state.customers ? 'is-stale' : undefined}>
              {customers.map((customer) => (
                <tr
                  key={customer.customerNumber}
                  className="clickable-row"
                  onClick={(event) => openRow(event, customer.customerNumber)}
                >
                  <td className="mono">{customer.customerNumber}</td>
                  <td>
                    <Link to={customerHref(customer.customerNumber)} className="row-link">
                      {customer.name}
                    </Link>
                  </td>
                  <td>
                    <span className={`badge badge-${customer.type === 'group' ? 'violet' : 'gray'}`}>
                      {customerTypeLabel(customer.type)}
                    </span>
                  </td>
                  <td className={customer.email ? undefined : 'muted'}>{customer.email ?? '—'}</td>
                </tr>
              ))}
              {state.status === 'loading' && !state.customers && (
                <tr>
                  <td colSpan={4} className="empty-cell">
                    Loading customers…
                  </td>
                </tr>
              )}
              {state.status === 'ready' && customers.length === 0 && (
                <tr>
                  <td colSpan={4} className="empty-cell">
                    {search ? `No customers match “${search}”.` : page > 1 ? 'No more customers.' : 'No customers yet.'}
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        </TableWrap>

        {(page > 1 || hasNext) && (
          <nav className="pagination" aria-label="Customer pages">
            <button
              type="button"
              className="button button-secondary"
              disabled={page <= 1}
              onClick={() => navigate(customersHref(search, page - 1))}
            >
              Previous
            </button>
            <span className="muted">Page {page}</span>
            <button
              type="button"
              className="button button-secondary"
              disabled={!hasNext}
              onClick={() => navigate(customersHref(search, page + 1))}
            >
              Next
            </button>
          </nav>
        )}
      </section>
    </>
  );
}
