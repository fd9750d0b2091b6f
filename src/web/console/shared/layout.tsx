// The signed-in shell: top bar with agency, navigation, user and sign-out.
import { type ReactNode, useState } from 'react';
import { type Session, signOut } from '../api/api.ts';
import { useFinalizeCount } from './finalize-count.ts';
import { Link, useLocation } from './router.tsx';

type LayoutProps = {
  session: Session;
  onSignedOut: () => void;
  children: ReactNode;
};

function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  const letters = parts.length > 1 ? [parts[0], parts[parts.length - 1]] : parts;
  return letters.map((part) => part?.[0]?.toUpperCase() ?? '').join('') || '?';
}

export function Layout({ session, onSignedOut, children }: LayoutProps) {
  const [signingOut, setSigningOut] = useState(false);
  const location = useLocation();
  const pathname = location.split('?')[0];
  const awaitingFinalize = useFinalizeCount(location);
  // "page" on the list itself, "location" when inside the section (e.g. a customer's account).
  const customersCurrent =
    pathname === '/app/customers' ? 'page' : pathname?.startsWith('/app/customers/') ? 'location' : undefined;

  async function handleSignOut() {
    setSigningOut(true);
    try {
      await signOut();
    } catch {
      // The session may already be gone; either way the user wants to be on the login page.
    }
    onSignedOut();
  }

  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <div className="topbar-inner">
          <Link to="/app/customers" className="brand">
            <span className="brand-mark" aria-hidden="true">
              pp
            </span>
            <span className="brand-name">{session.agency.name}</span>
          </Link>
          <nav aria-label="Main" className="main-nav">
            <Link to="/app/customers" aria-current={customersCurrent}>
              Customers
            </Link>
            <Link to="/app/receipts" aria-current={pathname?.startsWith('/app/receipts') ? 'page' : undefined}>
              Receipts
            </Link>
            <Link to="/app/payments" aria-current={pathname?.startsWith('/app/payments') ? 'page' : undefined}>
              Payments
              {awaitingFinalize ? (
                <span className="nav-count" title={`${awaitingFinalize} awaiting finalize`}>
                  {awaitingFinalize}
                  <span className="visually-hidden"> awaiting finalize</span>
                </span>
              ) : null}
            </Link>
            <Link to="/app/autopay" aria-current={pathname === '/app/autopay' ? 'page' : undefined}>
              Autopay
            </Link>
            <Link to="/app/reports" aria-current={pathname?.startsWith('/app/reports') ? 'page' : undefined}>
              Reports
            </Link>
            <Link to="/app/sync" aria-current={pathname === '/app/sync' ? 'page' : undefined}>
              Sync
            </Link>
            <Link to="/app/emails" aria-current={pathname === '/app/emails' ? 'page' : undefined}>
              Email
            </Link>
            {session.user.role === 'staff' && (
              <Link to="/app/settings" aria-current={pathname?.startsWith('/app/settings') ? 'page' : undefined}>
                Settings
              </Link>
            )}
          </nav>
          <div className="user-menu">
            <span className="avatar" aria-hidden="true">
              {initials(session.user.name)}
            </span>
            <span className="user-name" title={session.user.email}>
              {session.user.name}
            </span>
            <button type="button" className="button button-secondary" onClick={handleSignOut} disabled={signingOut}>
              Sign out
            </button>
          </div>
        </div>
      </header>
      <main id="main" className="content" tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}
