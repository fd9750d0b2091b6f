// Entry point of the client portal (served at /portal): session bootstrap, guards and pages.
import { Fragment, type ReactNode, StrictMode, useCallback, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { errorMessage, onUnauthorized } from '../console/api/api.ts';
import { Link, navigate, useLocation } from '../console/shared/router.tsx';
import { TestModeBanner } from '../console/shared/test-mode-banner.tsx';
import { getPortalMe, type PortalSession, portalSignOut } from './api.ts';
import { EnrollPage, SignInPage } from './auth-pages.tsx';
import { CheckoutPage } from './checkout-page.tsx';
import { DashboardPage } from './dashboard-page.tsx';
import { PortalLayout } from './layout.tsx';
import { PaymentsPage } from './payments-page.tsx';
import { isPublic, matchPortalRoute } from './routes.ts';

/** undefined while the session is being looked up; null when signed out. */
type SessionState = PortalSession | null | undefined;

function PortalApp() {
  const location = useLocation();
  const route = matchPortalRoute(location);
  const [session, setSession] = useState<SessionState>(undefined);
  const [bootError, setBootError] = useState<string | null>(null);

  useEffect(() => {
    onUnauthorized(() => setSession(null));
    return () => onUnauthorized(null);
  }, []);

  useEffect(() => {
    const controller = new AbortController();
    getPortalMe(controller.signal).then(setSession, (error: unknown) => {
      if (!controller.signal.aborted) setBootError(errorMessage(error));
    });
    return () => controller.abort();
  }, []);

  const signedIn = useCallback((next: PortalSession, to?: string) => {
    setSession(next);
    navigate(to ?? '/portal', { replace: true });
  }, []);

  // Another account: every page loads afresh (they are keyed by the account) from the home page.
  const switched = useCallback((next: PortalSession) => {
    setSession(next);
    navigate('/portal');
  }, []);

  const signOut = useCallback(async () => {
    await portalSignOut().catch(() => {});
    setSession(null);
    navigate('/portal/sign-in', { replace: true });
  }, []);

  // Signed-out visitors go to sign-in; a link's token is always redeemed, even when signed in.
  const redirect =
    session === null && !isPublic(route)
      ? '/portal/sign-in'
      : session && route.name === 'sign-in' && !route.token
        ? '/portal'
        : null;
  useEffect(() => {
    if (redirect) navigate(redirect, { replace: true });
  }, [redirect]);

  if (bootError) {
    return (
      <div className="auth-page">
        <main className="auth-card">
          <h1>The portal is unavailable</h1>
          <div className="alert alert-error" role="alert">
            {bootError}
          </div>
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
  if (route.name === 'enroll') return <EnrollPage agency={route.agency} token={route.token} onSignedIn={signedIn} />;
  if (route.name === 'sign-in') return <SignInPage agency={route.agency} token={route.token} onSignedIn={signedIn} />;
  if (!session) return null;

  let page: ReactNode;
  if (route.name === 'dashboard') page = <DashboardPage session={session} />;
  else if (route.name === 'payments') page = <PaymentsPage />;
  else if (route.name === 'checkout')
    page = <CheckoutPage key={route.requestId ?? 'one-time'} requestId={route.requestId} />;
  else
    page = (
      <div className="card empty-state">
        <h1>Page not found</h1>
        <Link to="/portal" className="button button-secondary">
          Back to home
        </Link>
      </div>
    );
  return (
    <PortalLayout session={session} onSignOut={signOut} onSwitched={switched}>
      <Fragment key={session.customer.customerNumber}>{page}</Fragment>
    </PortalLayout>
  );
}

const container = document.getElementById('root');
if (!container) throw new Error('policypay portal: #root element missing from index.html');
createRoot(container).render(
  <StrictMode>
    <TestModeBanner source="/api/v1/portal/config" />
    <PortalApp />
  </StrictMode>,
);
