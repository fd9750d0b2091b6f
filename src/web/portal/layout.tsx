// The signed-in portal shell: agency name, navigation, the account switcher, the client's name and sign-out.
import type { CSSProperties, ReactNode } from 'react';
import { Link, useLocation } from '../console/shared/router.tsx';
import { AccountSwitcher } from './account-switcher.tsx';
import type { PortalSession } from './api.ts';
import { BrandMark } from './brand.tsx';

type Props = {
  session: PortalSession;
  onSignOut: () => void;
  onSwitched: (next: PortalSession) => void;
  children: ReactNode;
};

export function PortalLayout({ session, onSignOut, onSwitched, children }: Props) {
  const pathname = useLocation().split('?')[0];
  const brandColor = session.agency.primaryColor;
  const current = (path: string) => (pathname === path ? 'page' : undefined);
  return (
    <div
      className="shell portal"
      // The agency's colour (Portal branding) replaces the default wherever the portal uses --primary.
      style={brandColor ? ({ '--primary': brandColor } as CSSProperties) : undefined}
    >
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <div className="topbar-inner">
          <Link to="/portal" className="brand">
            <BrandMark agency={session.agency} />
          </Link>
          <nav aria-label="Main" className="main-nav">
            <Link to="/portal" aria-current={current('/portal')}>
              Home
            </Link>
            <Link to="/portal/payments" aria-current={current('/portal/payments')}>
              My Payments
            </Link>
          </nav>
          <AccountSwitcher session={session} onSwitched={onSwitched} />
          <div className="user-menu">
            <span className="user-name" title={session.contact.email}>
              {session.contact.name}
            </span>
            <button type="button" className="button button-secondary" onClick={onSignOut}>
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
