// A tiny history-API router: a subscribable location, navigate(), <Link>, and the route table.
import { type AnchorHTMLAttributes, type MouseEvent, useSyncExternalStore } from 'react';

import { type PaymentState, paymentStates } from '../api/payments-api.ts';
import { type ReportName, reportNames } from '../api/reports-api.ts';

const listeners = new Set<() => void>();

function notify(): void {
  for (const listener of listeners) listener();
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  if (listeners.size === 1) window.addEventListener('popstate', notify);
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0) window.removeEventListener('popstate', notify);
  };
}

function currentLocation(): string {
  return window.location.pathname + window.location.search;
}

/** The current path plus query string; re-renders the caller whenever it changes. */
export function useLocation(): string {
  return useSyncExternalStore(subscribe, currentLocation);
}

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (to === currentLocation()) return;
  if (options.replace) window.history.replaceState(null, '', to);
  else {
    window.history.pushState(null, '', to);
    window.scrollTo(0, 0);
  }
  notify();
}

/** True when a click should be left to the browser (new tab, download, non-primary button...). */
export function isModifiedClick(event: MouseEvent): boolean {
  return event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey;
}

type LinkProps = Omit<AnchorHTMLAttributes<HTMLAnchorElement>, 'href'> & { to: string };

export function Link({ to, onClick, children, ...rest }: LinkProps) {
  return (
    <a
      {...rest}
      href={to}
      onClick={(event) => {
        onClick?.(event);
        if (event.defaultPrevented || isModifiedClick(event) || rest.target) return;
        event.preventDefault();
        navigate(to);
      }}
    >
      {children}
    </a>
  );
}

export type Route =
  | { name: 'root' }
  | { name: 'login'; next: string | null }
  | { name: 'setup' }
  | { name: 'set-password'; token: string }
  | { name: 'customers'; search: string; after: number | null }
  | { name: 'customer'; customerNumber: number }
  | { name: 'invoice'; invoiceNumber: number }
  | { name: 'receipts'; search: string }
  | { name: 'receipt'; receiptNumber: number }
  | { name: 'new-receipt'; customerNumber: number | null }
  | { name: 'payments'; state: PaymentState | null }
  | { name: 'payment'; id: string }
  | { name: 'finalize-queue' }
  | { name: 'autopay' }
  | { name: 'sync' }
  | { name: 'emails' }
  | { name: 'settings'; section: string | null }
  | { name: 'import' }
  | { name: 'reports'; report: ReportName; search: string }
  | { name: 'not-found' };

/** Only in-app paths are accepted as a post-login destination (no open redirects). */
function safeNext(value: string | null): string | null {
  return value?.startsWith('/app/') && !value.startsWith('//') ? value : null;
}

export function matchRoute(location: string): Route {
  const url = new URL(location, 'http://localhost');
  const path = url.pathname.replace(/\/+$/, '') || '/';
  if (path === '/') return { name: 'root' };
  if (path === '/setup') return { name: 'setup' };
  if (path === '/login') return { name: 'login', next: safeNext(url.searchParams.get('next')) };
  if (path === '/set-password') return { name: 'set-password', token: url.searchParams.get('token') ?? '' };
  if (path === '/app' || path === '/app/customers') {
    // The list's keyset cursor (the API's nextAfter); anything else starts at the first page.
    const after = /^\d{1,10}$/.exec(url.searchParams.get('after') ?? '')?.[0];
    return {
      name: 'customers',
      search: url.searchParams.get('search') ?? '',
      after: after === undefined || Number(after) > 2_147_483_647 ? null : Number(after),
    };
  }
  if (path === '/app/receipts') return { name: 'receipts', search: url.search };
  if (path === '/app/receipts/new') {
    const customer = Number(url.searchParams.get('customerNumber'));
    return { name: 'new-receipt', customerNumber: Number.isInteger(customer) && customer > 0 ? customer : null };
  }
  const receipt = /^\/app\/receipts\/(\d{1,10})$/.exec(path);
  if (receipt?.[1]) return { name: 'receipt', receiptNumber: Number(receipt[1]) };
  if (path === '/app/payments') {
    const state = url.searchParams.get('state');
    return { name: 'payments', state: paymentStates.find((s) => s === state) ?? null };
  }
  if (path === '/app/payments/finalize') return { name: 'finalize-queue' };
  const payment = /^\/app\/payments\/([0-9a-f-]{36})$/.exec(path);
  if (payment?.[1]) return { name: 'payment', id: payment[1] };
  if (path === '/app/autopay') return { name: 'autopay' };
  if (path === '/app/sync') return { name: 'sync' };
  if (path === '/app/emails') return { name: 'emails' };
  if (path === '/app/import') return { name: 'import' };
  if (path === '/app/reports') return { name: 'reports', report: 'ar-aging', search: url.search };
  const report = /^\/app\/reports\/([a-z-]{1,20})$/.exec(path);
  const reportName = reportNames.find((name) => name === report?.[1]);
  if (reportName) return { name: 'reports', report: reportName, search: url.search };
  if (path === '/app/settings') return { name: 'settings', section: null };
  const settings = /^\/app\/settings\/([a-z-]{1,40})$/.exec(path);
  if (settings?.[1]) return { name: 'settings', section: settings[1] };
  const invoice = /^\/app\/invoices\/(\d{1,15})$/.exec(path);
  if (invoice?.[1]) return { name: 'invoice', invoiceNumber: Number(invoice[1]) };
  const customer = /^\/app\/customers\/(\d{1,15})$/.exec(path);
  if (customer?.[1]) return { name: 'customer', customerNumber: Number(customer[1]) };
  return { name: 'not-found' };
}

export function customersHref(search: string, after: number | null = null): string {
  const params = new URLSearchParams();
  if (search) params.set('search', search);
  if (after !== null) params.set('after', String(after));
  const query = params.toString();
  return query ? `/app/customers?${query}` : '/app/customers';
}
