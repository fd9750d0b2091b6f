// Entry point of the staff console: session bootstrap, route guards and page selection.
import { lazy, type ReactNode, StrictMode, Suspense, useCallback, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { errorMessage, getMe, onUnauthorized, type Session } from './api/api.ts';
import { AutopayPage } from './pages/autopay/autopay-page.tsx';
import { CustomerAccountPage } from './pages/customers/customer-account-page.tsx';
import { CustomersPage } from './pages/customers/customers-page.tsx';
import { EmailsPage } from './pages/emails-page.tsx';
import { ImportPage } from './pages/import/import-page.tsx';
import { InvoicePage } from './pages/invoices/invoice-page.tsx';
import { LoginPage } from './pages/login-page.tsx';
import { FinalizeQueuePage } from './pages/payments/finalize-queue-page.tsx';
import { PaymentPage } from './pages/payments/payment-page.tsx';
import { PaymentsPage } from './pages/payments/payments-page.tsx';
import { NewReceiptPage } from './pages/receipts/new-receipt-page.tsx';
import { ReceiptPage } from './pages/receipts/receipt-page.tsx';
import { ReceiptsPage } from './pages/receipts/receipts-page.tsx';
import { SetPasswordPage } from './pages/set-password-page.tsx';
import { SettingsPage } from './pages/settings/settings-page.tsx';
import { SetupPage } from './pages/setup-page.tsx';
import { SyncPage } from './pages/sync-page.tsx';
import { Layout } from './shared/layout.tsx';
import { Link, matchRoute, navigate, type Route, useLocation } from './shared/router.tsx';
import { TestModeBanner } from './shared/test-mode-banner.tsx';

// The reports and their chart library load when a report is first opened, not with every page.
const ReportsPage = lazy(() => import('./pages/reports/reports-page.tsx'));

/** undefined while the session is being looked up; null when signed out. */
type SessionState = Session | null | undefined;

function redirectFor(route: Route, session: Session | null, location: string): string | null {
  if (route.name === 'setup') return null;
  // Opened from an e-mail, signed in or not: the link is for whoever it was sent to.
  if (route.name === 'set-password') return null;
  if (route.name === 'root') return session ? '/app/customers' : '/login';
  if (route.name === 'login') return session ? (route.next ?? '/app/customers') : null;
  if (!session) {
    const next = location.startsWith('/app/') && location !== '/app/customers' ? location : null;
    return next ? `/login?next=${encodeURIComponent(next)}` : '/login';
  }
  return null;
}

function NotFound() {
  useEffect(() => {
    document.title = 'Not found · policypay';
  }, []);
  return (
    <div className="card empty-state">
      <h1>Page not found</h1>
      <p className="muted">The page you were looking for does not exist.</p>
      <Link to="/app/customers" className="button button-secondary">
        Go to customers
      </Link>
    </div>
  );
}

function App() {
  const location = useLocation();
  const route = matchRoute(location);
  const [session, setSession] = useState<SessionState>(undefined);
  const [bootError, setBootError] = useState<string | null>(null);
  const [bootAttempt, setBootAttempt] = useState(0);

  const signedOut = useCallback(() => {
    setSession(null);
    navigate('/login', { replace: true });
  }, []);

  useEffect(() => {
    onUnauthorized(() => setSession(null));
    return () => onUnauthorized(null);
  }, []);

  // biome-ignore lint/correctness/useExhaustiveDependencies: bootAttempt is a deliberate retry trigger.
  useEffect(() => {
    const controller = new AbortController();
    setBootError(null);
    getMe(controller.signal).then(setSession, (error: unknown) => {
      if (controller.signal.aborted) return;
      setBootError(errorMessage(error));
    });
    return () => controller.abort();
  }, [bootAttempt]);

  const redirect = session === undefined ? null : redirectFor(route, session, location);
  useEffect(() => {
    if (redirect) navigate(redirect, { replace: true });
  }, [redirect]);

  if (bootError) {
    return (
      <div className="auth-page">
        <main className="auth-card">
          <h1>policypay is unavailable</h1>
          <div className="alert alert-error" role="alert">
            {bootError}
          </div>
          <button
            type="button"
            className="button button-primary button-block"
            onClick={() => setBootAttempt((n) => n + 1)}
          >
            Try again
          </button>
        </main>
      </div>
    );
  }

  if (session === undefined || redirect) {
    return (
      <div className="boot" aria-busy="true">
        <span className="visually-hidden">Loading…</span>
      </div>
    );
  }

  if (route.name === 'setup') {
    return (
      <SetupPage
        onSignedIn={(next) => {
          setSession(next);
          navigate('/app/customers', { replace: true });
        }}
      />
    );
  }
  if (route.name === 'set-password') return <SetPasswordPage token={route.token} />;

  if (route.name === 'login') {
    return (
      <LoginPage
        onSignedIn={(next) => {
          setSession(next);
          navigate(route.next ?? '/app/customers', { replace: true });
        }}
      />
    );
  }

  if (!session) return null; // unreachable: redirectFor sends signed-out users to /login

  let page: ReactNode;
  if (route.name === 'customers') page = <CustomersPage search={route.search} after={route.after} />;
  else if (route.name === 'customer')
    page = (
      <CustomerAccountPage
        key={route.customerNumber}
        customerNumber={route.customerNumber}
        timeZone={session.agency.timeZone}
        canFinalize={session.may.finalize}
      />
    );
  else if (route.name === 'invoice')
    page = <InvoicePage key={route.invoiceNumber} invoiceNumber={route.invoiceNumber} />;
  else if (route.name === 'receipts') page = <ReceiptsPage search={route.search} />;
  else if (route.name === 'new-receipt')
    page = <NewReceiptPage timeZone={session.agency.timeZone} customerNumber={route.customerNumber} />;
  else if (route.name === 'receipt')
    page = (
      <ReceiptPage
        key={route.receiptNumber}
        receiptNumber={route.receiptNumber}
        canReverse={session.user.role === 'staff'}
      />
    );
  else if (route.name === 'payments') page = <PaymentsPage state={route.state} />;
  else if (route.name === 'payment')
    page = <PaymentPage key={route.id} id={route.id} canRefund={session.user.role === 'staff'} />;
  else if (route.name === 'finalize-queue') page = <FinalizeQueuePage canFinalize={session.may.finalize} />;
  // Everyone signed in sees it; only staff re-fire, as the API allows.
  else if (route.name === 'autopay')
    page = <AutopayPage timeZone={session.agency.timeZone} canRefire={session.user.role === 'staff'} />;
  else if (route.name === 'sync') page = <SyncPage />;
  else if (route.name === 'emails') page = <EmailsPage />;
  // Staff only, as the import API is: an agent is told there is no such page.
  else if (route.name === 'import') page = session.user.role === 'staff' ? <ImportPage /> : <NotFound />;
  else if (route.name === 'reports')
    page = (
      <Suspense fallback={<p className="card empty-cell">Loading the report…</p>}>
        <ReportsPage report={route.report} search={route.search} />
      </Suspense>
    );
  else if (route.name === 'settings') page = <SettingsPage section={route.section} session={session} />;
  else page = <NotFound />;

  return (
    <Layout session={session} onSignedOut={signedOut}>
      {page}
    </Layout>
  );
}

const container = document.getElementById('root');
if (!container) throw new Error('policypay: #root element missing from index.html');
createRoot(container).render(
  <StrictMode>
    <TestModeBanner source="/api/v1/system" />
    <App />
  </StrictMode>,
);
