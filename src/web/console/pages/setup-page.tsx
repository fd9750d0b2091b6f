// /setup#code=…: the first run of an empty deployment (`npm start -- --no-demo`): the agency, its
// banks and its first staff user, in one form; then the new staff user is signed in.
import { type FormEvent, type InputHTMLAttributes, type ReactNode, useEffect, useRef, useState } from 'react';
import { ApiError, errorMessage, isAbortError, newIdempotencyKey, type Session, signIn } from '../api/api.ts';
import {
  completeFirstRun,
  type FirstRunBank,
  type FirstRunStatus,
  getFirstRunStatus,
  slugOf,
} from '../api/setup-api.ts';
import { FieldErrorText } from '../shared/field-errors.tsx';
import { Link } from '../shared/router.tsx';

type Form = {
  name: string;
  slug: string;
  timeZone: string;
  addressLine1: string;
  city: string;
  state: string;
  postalCode: string;
  backupEmail: string;
  staffName: string;
  staffEmail: string;
  staffPassword: string;
  banks: FirstRunBank[];
};

const emptyBank = (): FirstRunBank => ({ shortName: '', name: '', division: 'Main' });

const browserTimeZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || 'America/Chicago';

/** Problem `errors[].path` ("banks.0.shortName", "/name") → the form's field keys, whole. */
function fieldErrorsOf(error: unknown): Record<string, string> {
  const result: Record<string, string> = {};
  if (!(error instanceof ApiError)) return result;
  for (const item of error.problem.errors ?? []) {
    const key = String(item.path)
      .split(/[./]/)
      .filter((part) => part && part !== 'body')
      .join('.');
    if (key && !result[key]) result[key] = item.message;
  }
  return result;
}

/** The code the start-up banner's link carries after '#'. */
const codeFromLocation = () => new URLSearchParams(window.location.hash.slice(1)).get('code') ?? '';

export function SetupPage({ onSignedIn }: { onSignedIn: (session: Session) => void }) {
  const [status, setStatus] = useState<FirstRunStatus | null>(null);
  const [code, setCode] = useState(codeFromLocation);
  const [form, setForm] = useState<Form>({
    name: '',
    slug: '',
    timeZone: browserTimeZone(),
    addressLine1: '',
    city: '',
    state: '',
    postalCode: '',
    backupEmail: '',
    staffName: '',
    staffEmail: '',
    staffPassword: '',
    banks: [emptyBank()],
  });
  const [slugEdited, setSlugEdited] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const idempotencyKey = useRef(newIdempotencyKey());
  const errorRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    document.title = 'Set up policypay';
    const controller = new AbortController();
    getFirstRunStatus(controller.signal).then(setStatus, (caught: unknown) => {
      if (!isAbortError(caught)) setError(errorMessage(caught));
    });
    return () => controller.abort();
  }, []);

  useEffect(() => {
    if (error) errorRef.current?.focus();
  }, [error]);

  const set = (patch: Partial<Form>) => setForm((current) => ({ ...current, ...patch }));
  const setBank = (index: number, patch: Partial<FirstRunBank>) =>
    set({ banks: form.banks.map((bank, i) => (i === index ? { ...bank, ...patch } : bank)) });

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    setFieldErrors({});
    const optional = (value: string) => (value.trim() ? value : undefined);
    try {
      await completeFirstRun(
        {
          ...form,
          addressLine1: optional(form.addressLine1),
          city: optional(form.city),
          state: optional(form.state),
          postalCode: optional(form.postalCode),
        } as never,
        code.trim(),
        idempotencyKey.current,
      );
      onSignedIn(await signIn(form.staffEmail.trim(), form.staffPassword));
    } catch (caught) {
      const fields = fieldErrorsOf(caught);
      setFieldErrors(fields);
      // The fields say what is wrong in place; the alert only points to them.
      setError(
        Object.keys(fields).length > 0 ? 'Some fields need attention: see the messages below.' : errorMessage(caught),
      );
      // A refused form is final; the corrected one is a new request.
      if (caught instanceof ApiError && caught.status >= 400 && caught.status < 500) {
        idempotencyKey.current = newIdempotencyKey();
      }
      setBusy(false);
    }
  }

  const field = (key: keyof Omit<Form, 'banks'>, label: string, input: InputHTMLAttributes<HTMLInputElement> = {}) => (
    <Field id={`setup-${key}`} label={label} error={fieldErrors[key]}>
      <input
        id={`setup-${key}`}
        value={form[key]}
        onChange={(event) => {
          if (key === 'slug') setSlugEdited(true);
          if (key === 'name' && !slugEdited) set({ name: event.target.value, slug: slugOf(event.target.value) });
          else set({ [key]: event.target.value });
        }}
        aria-invalid={fieldErrors[key] ? true : undefined}
        aria-describedby={fieldErrors[key] ? `setup-${key}-error` : undefined}
        {...input}
      />
    </Field>
  );

  if (status && !status.needed) {
    return (
      <SetupFrame>
        <h1>policypay is set up</h1>
        <p className="muted">This deployment already has its agency.</p>
        <Link to="/login" className="button button-primary button-block">
          Sign in
        </Link>
      </SetupFrame>
    );
  }

  return (
    <SetupFrame wide>
      <h1>Set up your agency</h1>
      <p className="muted">
        The agency, the banks it deposits to, and the first staff user. Everything else is in Settings afterwards.
      </p>
      {status && !status.open && (
        <div className="alert alert-error" role="alert">
          This process does not accept the first run: start it with <code>npm start -- --no-demo</code> on an empty
          database and open the link it prints.
        </div>
      )}
      {error && (
        <div className="alert alert-error" role="alert" tabIndex={-1} ref={errorRef}>
          {error}
        </div>
      )}
      <form onSubmit={submit} noValidate aria-label="First run">
        <fieldset>
          <legend>Agency</legend>
          {field('name', 'Agency name', { autoComplete: 'organization' })}
          {field('slug', 'Agency code (used in links and sign-in)')}
          {field('timeZone', 'Time zone (e.g. America/Chicago)')}
          {field('addressLine1', 'Address (optional)', { autoComplete: 'address-line1' })}
          <div className="field-row">
            {field('city', 'City (optional)')}
            {field('state', 'State (optional)')}
            {field('postalCode', 'ZIP (optional)')}
          </div>
          {field('backupEmail', 'Backup e-mail (told of every client payment)', { type: 'email' })}
        </fieldset>
        <fieldset>
          <legend>Banks</legend>
          <p className="muted">The first is where payments are deposited unless a setting says otherwise.</p>
          {form.banks.map((bank, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: rows have no identity before they are saved.
            <fieldset className="field-row" key={i} aria-label={`Bank ${i + 1}`}>
              <Field id={`setup-bank-${i}-short`} label="Short name" error={fieldErrors[`banks.${i}.shortName`]}>
                <input
                  id={`setup-bank-${i}-short`}
                  value={bank.shortName}
                  onChange={(event) => setBank(i, { shortName: event.target.value })}
                  aria-invalid={fieldErrors[`banks.${i}.shortName`] ? true : undefined}
                />
              </Field>
              <Field id={`setup-bank-${i}-name`} label="Bank name" error={fieldErrors[`banks.${i}.name`]}>
                <input
                  id={`setup-bank-${i}-name`}
                  value={bank.name}
                  onChange={(event) => setBank(i, { name: event.target.value })}
                  aria-invalid={fieldErrors[`banks.${i}.name`] ? true : undefined}
                />
              </Field>
              <Field id={`setup-bank-${i}-division`} label="Division" error={fieldErrors[`banks.${i}.division`]}>
                <input
                  id={`setup-bank-${i}-division`}
                  value={bank.division}
                  onChange={(event) => setBank(i, { division: event.target.value })}
                />
              </Field>
              {form.banks.length > 1 && (
                <button
                  type="button"
                  className="button button-secondary"
                  onClick={() => set({ banks: form.banks.filter((_, j) => j !== i) })}
                >
                  Remove bank {i + 1}
                </button>
              )}
            </fieldset>
          ))}
          {fieldErrors.banks && <p className="field-error">{fieldErrors.banks}</p>}
          <button
            type="button"
            className="button button-secondary"
            onClick={() => set({ banks: [...form.banks, emptyBank()] })}
          >
            Add another bank
          </button>
        </fieldset>
        <fieldset>
          <legend>First staff user</legend>
          {field('staffName', 'Your name', { autoComplete: 'name' })}
          {field('staffEmail', 'Your e-mail', { type: 'email', autoComplete: 'username' })}
          {field('staffPassword', 'Password (8 characters or more)', {
            type: 'password',
            autoComplete: 'new-password',
          })}
        </fieldset>
        {!codeFromLocation() && (
          <Field id="setup-code" label="Setup code (from the start-up banner)" error={undefined}>
            <input id="setup-code" value={code} onChange={(event) => setCode(event.target.value)} />
          </Field>
        )}
        <button type="submit" className="button button-primary button-block" disabled={busy}>
          Set up policypay
        </button>
      </form>
    </SetupFrame>
  );
}

function Field({
  id,
  label,
  error,
  children,
}: {
  id: string;
  label: string;
  error: string | undefined;
  children: ReactNode;
}) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children}
      <FieldErrorText id={`${id}-error`} message={error} />
    </div>
  );
}

function SetupFrame({ wide, children }: { wide?: boolean; children: ReactNode }) {
  return (
    <div className="auth-page">
      <main className={wide ? 'auth-card auth-card-wide' : 'auth-card'}>
        <div className="auth-brand">
          <span className="brand-mark" aria-hidden="true">
            pp
          </span>
          <span>policypay</span>
        </div>
        {children}
      </main>
    </div>
  );
}
