// /set-password?token=… (signed out): where an invitation or password-reset e-mail leads. The
// person chooses a password; the link is then used up and they sign in with it.
import { type FormEvent, useEffect, useState } from 'react';
import { errorMessage, isAbortError } from '../api/api.ts';
import { inspectPasswordLink, type PasswordLink, redeemPasswordLink } from '../api/people-api.ts';
import { FieldErrorText } from '../shared/field-errors.tsx';
import { fieldErrorsOf } from '../shared/problem-fields.ts';
import { Link } from '../shared/router.tsx';

export function SetPasswordPage({ token }: { token: string }) {
  const [link, setLink] = useState<PasswordLink | null>(null);
  const [linkError, setLinkError] = useState<string | null>(null);
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<string | null>(null);

  useEffect(() => {
    document.title = 'Choose your password · policypay';
    const controller = new AbortController();
    if (!token) {
      setLinkError('This link is incomplete. Open the link from your e-mail again.');
      return;
    }
    inspectPasswordLink(token, controller.signal).then(setLink, (caught: unknown) => {
      if (!isAbortError(caught)) setLinkError(errorMessage(caught));
    });
    return () => controller.abort();
  }, [token]);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setError(null);
    setFieldErrors({});
    if (password !== confirm) {
      setFieldErrors({ confirm: 'does not match the password' });
      return;
    }
    setBusy(true);
    try {
      const result = await redeemPasswordLink(token, password);
      setDone(result.email);
    } catch (caught) {
      setError(errorMessage(caught));
      setFieldErrors(fieldErrorsOf(caught));
    }
    setBusy(false);
  }

  return (
    <div className="auth-page">
      <main className="auth-card">
        <div className="auth-brand">
          <span className="brand-mark" aria-hidden="true">
            pp
          </span>
          <span>policypay</span>
        </div>
        {done ? (
          <>
            <h1>Your password is set</h1>
            <output className="alert alert-success">Sign in as {done} with your new password.</output>
            <Link to="/login" className="button button-primary button-block">
              Go to sign in
            </Link>
          </>
        ) : linkError ? (
          <>
            <h1>This link does not work</h1>
            <div className="alert alert-error" role="alert">
              {linkError}
            </div>
            <Link to="/login">Go to sign in</Link>
          </>
        ) : !link ? (
          <p className="loading">Loading…</p>
        ) : (
          <>
            <h1>{link.purpose === 'invite' ? `Welcome to ${link.agencyName}` : 'Choose a new password'}</h1>
            <p className="muted">
              {link.name}, choose the password you will sign in with as {link.email}. At least {link.minPasswordLength}{' '}
              characters; a few words are easier to remember than symbols.
            </p>
            <form onSubmit={submit} noValidate>
              {error && (
                <div className="alert alert-error" role="alert">
                  {error}
                </div>
              )}
              <input type="email" hidden readOnly autoComplete="username" value={link.email} />
              <div className="field">
                <label htmlFor="set-password">New password</label>
                <input
                  id="set-password"
                  type="password"
                  autoComplete="new-password"
                  value={password}
                  onChange={(event) => setPassword(event.target.value)}
                  aria-invalid={fieldErrors.password ? true : undefined}
                  aria-describedby="set-password-error"
                />
                <FieldErrorText id="set-password-error" message={fieldErrors.password} />
              </div>
              <div className="field">
                <label htmlFor="set-password-confirm">Confirm password</label>
                <input
                  id="set-password-confirm"
                  type="password"
                  autoComplete="new-password"
                  value={confirm}
                  onChange={(event) => setConfirm(event.target.value)}
                  aria-invalid={fieldErrors.confirm ? true : undefined}
                  aria-describedby="set-password-confirm-error"
                />
                <FieldErrorText id="set-password-confirm-error" message={fieldErrors.confirm} />
              </div>
              <button type="submit" className="button button-primary button-block" disabled={busy}>
                Set password
              </button>
            </form>
          </>
        )}
      </main>
    </div>
  );
}
