// Signed-out portal pages: redeeming an emailed link (enrollment or sign-in), setting a password,
// and signing in with a password or by asking for a sign-in link.
import { type CSSProperties, type FormEvent, type ReactNode, useEffect, useRef, useState } from 'react';
import { errorMessage } from '../console/api/api.ts';
import {
  type PortalSession,
  portalSignIn,
  redeemToken,
  requestSignInLink,
  setPassword as savePassword,
} from './api.ts';
import { BrandMark, usePublicAgency } from './brand.tsx';
import { rememberAgency, rememberedAgency } from './routes.ts';

function AuthCard({ title, agency, children }: { title: string; agency: string | null; children: ReactNode }) {
  const brand = usePublicAgency(agency ?? rememberedAgency());
  useEffect(() => {
    document.title = brand ? `${title} · ${brand.name}` : `${title} · Client portal`;
  }, [title, brand]);
  return (
    <div
      className="auth-page"
      // The agency's colour (Portal branding) on its buttons and links, as in the signed-in portal.
      style={brand?.primaryColor ? ({ '--primary': brand.primaryColor } as CSSProperties) : undefined}
    >
      <main className="auth-card" id="main">
        {brand && (
          <p className="brand auth-brand" data-testid="auth-brand">
            <BrandMark agency={brand} />
          </p>
        )}
        <h1>{title}</h1>
        {children}
      </main>
    </div>
  );
}

/** Redeems a link's token once (a token is single-use, so never twice for one page view). */
function useRedeemedToken(agency: string | null, token: string | null) {
  const [state, setState] = useState<
    { status: 'pending' } | { status: 'ok'; session: PortalSession } | { status: 'failed'; message: string }
  >({ status: 'pending' });
  const started = useRef(false);
  useEffect(() => {
    if (started.current) return;
    started.current = true;
    if (!agency || !token) {
      setState({ status: 'failed', message: 'This link is incomplete. Ask for a new one below.' });
      return;
    }
    rememberAgency(agency);
    // The token must not linger in the address bar or history once used.
    window.history.replaceState(null, '', window.location.pathname);
    redeemToken(agency, token).then(
      (session) => setState({ status: 'ok', session }),
      () =>
        setState({
          status: 'failed',
          message: 'This link has expired or was already used. Sign in, or ask for a new link below.',
        }),
    );
  }, [agency, token]);
  return state;
}

type SignedIn = (session: PortalSession, next?: string) => void;

function afterSignIn(session: PortalSession): string {
  return session.paymentRequestId ? `/portal/pay/${session.paymentRequestId}` : '/portal';
}

function SetPasswordForm({ session, onDone }: { session: PortalSession; onDone: SignedIn }) {
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (password.length < 8) return setError('Use at least 8 characters.');
    if (password !== confirm) return setError('The two passwords differ.');
    setBusy(true);
    setError(null);
    try {
      const updated = await savePassword(password);
      // New clients land on the dashboard, where the request's banner is the first thing they see.
      onDone(updated, '/portal');
    } catch (caught) {
      setError(errorMessage(caught));
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} noValidate>
      <p className="muted">
        Welcome, {session.contact.name}. Choose a password for {session.agency.name}'s client portal, or skip and sign
        in with an emailed link each time.
      </p>
      {error && (
        <div className="alert alert-error" role="alert">
          {error}
        </div>
      )}
      <div className="field">
        <label htmlFor="new-password">New password</label>
        <input
          id="new-password"
          type="password"
          autoComplete="new-password"
          minLength={8}
          required
          value={password}
          onChange={(event) => setPassword(event.target.value)}
          aria-describedby="new-password-hint"
        />
        <p className="field-hint" id="new-password-hint">
          At least 8 characters.
        </p>
      </div>
      <div className="field">
        <label htmlFor="confirm-password">Confirm password</label>
        <input
          id="confirm-password"
          type="password"
          autoComplete="new-password"
          required
          value={confirm}
          onChange={(event) => setConfirm(event.target.value)}
        />
      </div>
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={busy}>
          Set password
        </button>
        <button
          type="button"
          className="button button-secondary"
          disabled={busy}
          onClick={() => onDone(session, '/portal')}
        >
          Skip for now
        </button>
      </div>
    </form>
  );
}

export function EnrollPage({
  agency,
  token,
  onSignedIn,
}: {
  agency: string | null;
  token: string | null;
  onSignedIn: SignedIn;
}) {
  const redeemed = useRedeemedToken(agency, token);
  const enrolled = redeemed.status === 'ok' && redeemed.session.hasPassword;
  useEffect(() => {
    // Already has a password (an enrollment link used again after sign-up): straight in.
    if (enrolled && redeemed.status === 'ok') onSignedIn(redeemed.session, afterSignIn(redeemed.session));
  }, [enrolled, redeemed, onSignedIn]);
  if (redeemed.status === 'pending' || enrolled) {
    return (
      <AuthCard title="Welcome" agency={agency}>
        <p className="loading">Checking your link…</p>
      </AuthCard>
    );
  }
  if (redeemed.status === 'failed') {
    return (
      <AuthCard title="Link not valid" agency={agency}>
        <SignInForms agency={agency} notice={redeemed.message} onSignedIn={onSignedIn} />
      </AuthCard>
    );
  }
  return (
    <AuthCard title="Set up your account" agency={agency}>
      <SetPasswordForm session={redeemed.session} onDone={onSignedIn} />
    </AuthCard>
  );
}

function TokenSignIn({ agency, token, onSignedIn }: { agency: string | null; token: string; onSignedIn: SignedIn }) {
  const redeemed = useRedeemedToken(agency, token);
  useEffect(() => {
    if (redeemed.status === 'ok') onSignedIn(redeemed.session, afterSignIn(redeemed.session));
  }, [redeemed, onSignedIn]);
  if (redeemed.status === 'failed') {
    return (
      <AuthCard title="Sign in" agency={agency}>
        <SignInForms agency={agency} notice={redeemed.message} onSignedIn={onSignedIn} />
      </AuthCard>
    );
  }
  return (
    <AuthCard title="Signing you in" agency={agency}>
      <p className="loading">Checking your link…</p>
    </AuthCard>
  );
}

export function SignInPage({
  agency,
  token,
  onSignedIn,
}: {
  agency: string | null;
  token: string | null;
  onSignedIn: SignedIn;
}) {
  if (token) return <TokenSignIn agency={agency} token={token} onSignedIn={onSignedIn} />;
  return (
    <AuthCard title="Sign in to your client portal" agency={agency}>
      <SignInForms agency={agency} notice={null} onSignedIn={onSignedIn} />
    </AuthCard>
  );
}

function SignInForms({
  agency: agencyFromLink,
  notice,
  onSignedIn,
}: {
  agency: string | null;
  notice: string | null;
  onSignedIn: SignedIn;
}) {
  const known = agencyFromLink ?? rememberedAgency();
  const [agency, setAgency] = useState(known ?? '');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [sent, setSent] = useState(false);
  const [busy, setBusy] = useState(false);

  async function signIn(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const session = await portalSignIn(agency.trim(), email.trim(), password);
      rememberAgency(session.agency.slug);
      onSignedIn(session, '/portal');
    } catch (caught) {
      setError(errorMessage(caught));
      setBusy(false);
    }
  }

  async function emailLink() {
    if (!email.trim() || !agency.trim()) return setError('Enter your email address first.');
    setBusy(true);
    setError(null);
    try {
      await requestSignInLink(agency.trim(), email.trim());
      setSent(true);
    } catch (caught) {
      setError(errorMessage(caught));
    }
    setBusy(false);
  }

  return (
    <form onSubmit={signIn}>
      {notice && <p className="alert alert-warning">{notice}</p>}
      {error && (
        <div className="alert alert-error" role="alert">
          {error}
        </div>
      )}
      {sent && (
        <output className="alert alert-success">
          If {email.trim()} is on file, a sign-in link is on its way. It works once and expires soon.
        </output>
      )}
      {!known && (
        <div className="field">
          <label htmlFor="portal-agency">Agency code</label>
          <input
            id="portal-agency"
            autoComplete="organization"
            required
            value={agency}
            onChange={(event) => setAgency(event.target.value)}
            aria-describedby="portal-agency-hint"
          />
          <p className="field-hint" id="portal-agency-hint">
            It is in the link of any email from your agency.
          </p>
        </div>
      )}
      <div className="field">
        <label htmlFor="portal-email">Email</label>
        <input
          id="portal-email"
          type="email"
          autoComplete="username"
          required
          value={email}
          onChange={(event) => setEmail(event.target.value)}
        />
      </div>
      <div className="field">
        <label htmlFor="portal-password">Password</label>
        <input
          id="portal-password"
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={(event) => setPassword(event.target.value)}
        />
      </div>
      <button type="submit" className="button button-primary button-block" disabled={busy || !password}>
        Sign in
      </button>
      <button
        type="button"
        className="button button-secondary button-block link-button"
        disabled={busy}
        onClick={emailLink}
      >
        Email me a sign-in link
      </button>
    </form>
  );
}
