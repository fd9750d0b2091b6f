// /app/settings/processor (staff): which processor takes this agency's payments — the sandbox
// (nothing is charged) or the agency's own Stripe account — and its keys. Stored secrets are never
// shown again, only their last 4 characters; a secret field left empty keeps the stored one.
import { type FormEvent, useEffect, useState } from 'react';
import { errorMessage, isAbortError } from '../../api/api.ts';
import {
  getProcessorSettings,
  type ProcessorChoice,
  type ProcessorKind,
  type ProcessorSettings,
  saveProcessorSettings,
  TEST_MODE_CHANGED,
} from '../../api/processor-api.ts';
import { FieldErrorText } from '../../shared/field-errors.tsx';
import { fieldErrorsOf } from '../../shared/problem-fields.ts';

type Form = { kind: ProcessorKind; publishableKey: string; secretKey: string; webhookSecret: string };

const toForm = (settings: ProcessorSettings): Form => ({
  kind: settings.kind ?? 'sandbox',
  publishableKey: settings.publishableKey ?? '',
  secretKey: '',
  webhookSecret: '',
});

function choiceOf(form: Form): ProcessorChoice {
  if (form.kind === 'sandbox') return { kind: 'sandbox' };
  return {
    kind: 'stripe',
    publishableKey: form.publishableKey.trim() || null,
    ...(form.secretKey.trim() ? { secretKey: form.secretKey.trim() } : {}),
    ...(form.webhookSecret.trim() ? { webhookSecret: form.webhookSecret.trim() } : {}),
  };
}

const storedHint = (last4: string | null) =>
  last4 ? `Stored: ends in ${last4}. Leave empty to keep it.` : 'None stored.';

export function ProcessorSection() {
  const [settings, setSettings] = useState<ProcessorSettings | null>(null);
  const [form, setForm] = useState<Form | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    const controller = new AbortController();
    getProcessorSettings(controller.signal).then(
      (answer) => {
        setSettings(answer);
        setForm(toForm(answer));
      },
      (caught: unknown) => {
        if (!isAbortError(caught)) setError(errorMessage(caught));
      },
    );
    return () => controller.abort();
  }, []);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!form) return;
    setBusy(true);
    setError(null);
    setFieldErrors({});
    setSaved(false);
    try {
      const answer = await saveProcessorSettings(choiceOf(form), crypto.randomUUID());
      setSettings(answer);
      setForm(toForm(answer));
      setSaved(true);
      window.dispatchEvent(new Event(TEST_MODE_CHANGED));
    } catch (caught) {
      setError(errorMessage(caught));
      setFieldErrors(fieldErrorsOf(caught));
    }
    setBusy(false);
  }

  const set = (patch: Partial<Form>) => {
    setSaved(false);
    setForm((current) => (current ? { ...current, ...patch } : current));
  };

  return (
    <>
      <div className="section-header">
        <h2>
          Processor{' '}
          {settings &&
            (settings.testMode ? (
              <span className="badge badge-amber badge-inline">Test mode</span>
            ) : (
              <span className="badge badge-green badge-inline">Live</span>
            ))}
        </h2>
        <p className="page-subtitle">
          {settings?.source === 'default'
            ? 'This agency uses the server’s processor until it chooses its own.'
            : 'Where this agency’s card and bank payments, refunds and autopay go.'}
        </p>
      </div>
      {error && (
        <div className="alert alert-error" role="alert">
          {error}
        </div>
      )}
      {saved && <output className="alert alert-success">Processor saved.</output>}
      {!form && !error && <p className="loading">Loading…</p>}
      {form && settings && (
        <form className="card" onSubmit={submit} noValidate aria-label="Processor settings">
          <div className="card-body">
            <fieldset className="field">
              <legend>Processor</legend>
              <label className="choice">
                <input
                  type="radio"
                  name="processor-kind"
                  checked={form.kind === 'sandbox'}
                  onChange={() => set({ kind: 'sandbox' })}
                />{' '}
                Sandbox (test mode: nothing is charged)
              </label>
              <label className="choice">
                <input
                  type="radio"
                  name="processor-kind"
                  checked={form.kind === 'stripe'}
                  onChange={() => set({ kind: 'stripe' })}
                />{' '}
                Stripe (the agency’s own account)
              </label>
            </fieldset>
            {form.kind === 'stripe' && (
              <>
                <div className="field">
                  <label htmlFor="processor-publishable-key">Publishable key</label>
                  <input
                    id="processor-publishable-key"
                    autoComplete="off"
                    value={form.publishableKey}
                    onChange={(event) => set({ publishableKey: event.target.value })}
                    aria-invalid={fieldErrors.publishableKey ? true : undefined}
                    aria-describedby="processor-publishable-key-error"
                  />
                  <FieldErrorText id="processor-publishable-key-error" message={fieldErrors.publishableKey} />
                </div>
                <div className="field">
                  <label htmlFor="processor-secret-key">Secret key</label>
                  <input
                    id="processor-secret-key"
                    type="password"
                    autoComplete="off"
                    placeholder={settings.secretKeyLast4 ? `•••• ${settings.secretKeyLast4}` : 'sk_test_… or sk_live_…'}
                    value={form.secretKey}
                    onChange={(event) => set({ secretKey: event.target.value })}
                    aria-invalid={fieldErrors.secretKey ? true : undefined}
                    aria-describedby="processor-secret-key-hint processor-secret-key-error"
                  />
                  <p className="field-hint" id="processor-secret-key-hint">
                    {storedHint(settings.kind === 'stripe' ? settings.secretKeyLast4 : null)} A test key (sk_test_) is
                    test mode.
                  </p>
                  <FieldErrorText id="processor-secret-key-error" message={fieldErrors.secretKey} />
                </div>
                <div className="field">
                  <label htmlFor="processor-webhook-secret">Webhook signing secret</label>
                  <input
                    id="processor-webhook-secret"
                    type="password"
                    autoComplete="off"
                    placeholder={settings.webhookSecretLast4 ? `•••• ${settings.webhookSecretLast4}` : 'whsec_…'}
                    value={form.webhookSecret}
                    onChange={(event) => set({ webhookSecret: event.target.value })}
                    aria-invalid={fieldErrors.webhookSecret ? true : undefined}
                    aria-describedby="processor-webhook-secret-hint processor-webhook-secret-error"
                  />
                  <p className="field-hint" id="processor-webhook-secret-hint">
                    {storedHint(settings.kind === 'stripe' ? settings.webhookSecretLast4 : null)}
                    {settings.webhookUrl && (
                      <>
                        {' '}
                        Stripe sends events to <code>{`${window.location.origin}${settings.webhookUrl}`}</code>.
                      </>
                    )}
                  </p>
                  <FieldErrorText id="processor-webhook-secret-error" message={fieldErrors.webhookSecret} />
                </div>
              </>
            )}
            <div className="form-actions">
              <button type="submit" className="button button-primary" disabled={busy}>
                Save processor
              </button>
            </div>
          </div>
        </form>
      )}
    </>
  );
}
