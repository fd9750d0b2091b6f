// /login: email + password sign-in form.
import { type FormEvent, useEffect, useRef, useState } from 'react';
import { ApiError, errorMessage, type Session, signIn } from '../api/api.ts';
import { TEST_MODE_CHANGED } from '../api/processor-api.ts';

type LoginPageProps = { onSignedIn: (session: Session) => void };

type FieldErrors = { email?: string; password?: string };

/** Maps problem `errors[].path` values such as "email", "/email" or "body.email" onto form fields. */
function fieldErrorsOf(error: unknown): FieldErrors {
  const result: FieldErrors = {};
  if (!(error instanceof ApiError)) return result;
  for (const item of error.problem.errors ?? []) {
    const field = String(item.path).split(/[./]/).pop();
    if ((field === 'email' || field === 'password') && !result[field]) result[field] = item.message;
  }
  return result;
}

export function LoginPage({ onSignedIn }: LoginPageProps) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [submitting, setSubmitting] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [fieldErrors, setFieldErrors] = useState<FieldErrors>({});
  const emailRef = useRef<HTMLInputElement>(null);
  const passwordRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    document.title = 'Sign in · policypay';
    emailRef.current?.focus();
  }, []);

  async function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (submitting) return;
    setSubmitting(true);
    setError(null);
    setFieldErrors({});
    try {
      const session = await signIn(email.trim(), password);
      // Test mode is the agency's (its processor): the banner asks again now that one is signed in.
      window.dispatchEvent(new Event(TEST_MODE_CHANGED));
      onSignedIn(session);
    } catch (caught) {
      setError(errorMessage(caught));
      setFieldErrors(fieldErrorsOf(caught));
      setSubmitting(false);
      passwordRef.current?.select();
    }
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
        <h1>Sign in to your account</h1>
        <form onSubmit={handleSubmit}>
          {error && (
            <div className="alert alert-error" role="alert">
              {error}
            </div>
          )}
          <div className="field">
            <label htmlFor="login-email">Email</label>
            <input
              ref={emailRef}
              id="login-email"
              name="email"
              type="email"
              autoComplete="username"
              required
              value={email}
              onChange={(event) => setEmail(event.target.value)}
              aria-invalid={fieldErrors.email ? true : undefined}
              aria-describedby={fieldErrors.email ? 'login-email-error' : undefined}
            />
            {fieldErrors.email && (
              <p className="field-error" id="login-email-error">
                {fieldErrors.email}
              </p>
            )}
          </div>
          <div className="field">
            <label htmlFor="login-password">Password</label>
            <input
              ref={passwordRef}
              id="login-password"
              name="password"
              type="password"
              autoComplete="current-password"
              required
              value={password}
              onChange={(event) => setPassword(event.target.value)}
              aria-invalid={fieldErrors.password ? true : undefined}
              aria-describedby={fieldErrors.password ? 'login-password-error' : undefined}
            />
            {fieldErrors.password && (
              <p className="field-error" id="login-password-error">
                {fieldErrors.password}
              </p>
            )}
          </div>
          <button type="submit" className="button button-primary button-block" disabled={submitting}>
            Sign in
          </button>
        </form>
      </main>
    </div>
  );
}
