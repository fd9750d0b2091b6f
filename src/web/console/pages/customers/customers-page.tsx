// /app/customers: searchable customer list, a keyset page at a time (`after` in the URL is the
// API's nextAfter), and creating a customer. "Previous" goes back along the pages seen.
import { type MouseEvent, useEffect, useRef, useState } from 'react';
import { type Customer, errorMessage, isAbortError, listCustomers } from '../../api/api.ts';
import { customerTypeLabel } from '../../shared/format.ts';
import { customersHref, isModifiedClick, Link, navigate } from '../../shared/router.tsx';
import { TableWrap } from '../../shared/table-wrap.tsx';
import { CustomerForm } from './customer-form.tsx';

const PAGE_SIZE = 50;
const SEARCH_DELAY_MS = 250;

type CustomersPageProps = { search: string; after: number | null };

type ListState =
  | { status: 'loading'; customers: Customer[] | null }
  | { status: 'ready'; customers: Customer[]; nextAfter: number | null }
  | { status: 'error'; message: string; customers: Customer[] | null };

/** Every customer the current search matches, as CSV (not only this page of them). */
function customersExportHref(search: string): string {
  return search ? `/api/v1/customers/export.csv?search=${encodeURIComponent(search)}` : '/api/v1/customers/export.csv';
}

function customerHref(customerNumber: number): string {
  return `/app/customers/${customerNumber}`;
}

export function CustomersPage({ search, after }: CustomersPageProps) {
  const [query, setQuery] = useState(search);
  const [state, setState] = useState<ListState>({ status: 'loading', customers: null });
  const [reloadKey, setReloadKey] = useState(0);
  const [creating, setCreating] = useState(false);
  // The `after` of each page before this one, as Next and Previous left them for the page at
  // `search` + `at`. Unknown after a reload, a link to a later page or the browser's Back (Previous
  // then returns to the first page, and the page's position is not shown rather than guessed).
  const [trail, setTrail] = useState<{ search: string; at: number | null; afters: (number | null)[] }>({
    search,
    at: null,
    afters: [],
  });
  const earlier = trail.search === search && trail.at === after ? trail.afters : [];

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
      navigate(customersHref(trimmed), { replace: true });
    }, SEARCH_DELAY_MS);
    return () => window.clearTimeout(timer);
  }, [query, search]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: reloadKey is a deliberate re-fetch trigger.
  useEffect(() => {
    const controller = new AbortController();
    setState((previous) => ({ status: 'loading', customers: previous.customers }));
    listCustomers({ search, limit: PAGE_SIZE, after }, controller.signal).then(
      (result) => setState({ status: 'ready', customers: result.data, nextAfter: result.nextAfter }),
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
  }, [search, after, reloadKey]);

  function openRow(event: MouseEvent<HTMLTableRowElement>, customerNumber: number) {
    // Clicks on the row's own link (or on selected text) are handled by the browser/Link.
    if ((event.target as Element).closest('a')) return;
    if (window.getSelection()?.toString()) return;
    const href = customerHref(customerNumber);
    if (isModifiedClick(event)) window.open(href, '_blank', 'noopener');
    else navigate(href);
  }

  const customers = state.customers ?? [];
  const nextAfter = state.status === 'ready' ? state.nextAfter : null;
  // Where this page starts is known when it was reached from the first page here.
  const firstIndex = after === null ? 0 : earlier.length > 0 ? earlier.length * PAGE_SIZE : null;

  function nextPage() {
    if (nextAfter === null) return;
    setTrail({ search, at: nextAfter, afters: [...earlier, after] });
    navigate(customersHref(search, nextAfter));
  }

  function previousPage() {
    const back = earlier.at(-1) ?? null;
    setTrail({ search, at: back, afters: earlier.slice(0, -1) });
    navigate(customersHref(search, back));
  }

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
                ? firstIndex === null
                  ? `Showing ${customers.length}`
                  : `Showing ${firstIndex + 1}–${firstIndex + customers.length}`
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
                    {search
                      ? `No customers match “${search}”.`
                      : after !== null
                        ? 'No more customers.'
                        : 'No customers yet.'}
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        </TableWrap>

        {(after !== null || nextAfter !== null) && (
          <nav className="pagination" aria-label="Customer pages">
            <button type="button" className="button button-secondary" disabled={after === null} onClick={previousPage}>
              Previous
            </button>
            {firstIndex !== null && <span className="muted">Page {firstIndex / PAGE_SIZE + 1}</span>}
            <button type="button" className="button button-secondary" disabled={nextAfter === null} onClick={nextPage}>
              Next
            </button>
          </nav>
        )}
      </section>
    </>
  );
}
