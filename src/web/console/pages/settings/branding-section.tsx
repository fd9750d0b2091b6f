// /app/settings/branding (staff): the name, logo and colour clients see in the client portal's
// header and in every e-mail policypay sends them.
import { type FormEvent, useEffect, useState } from 'react';
import { errorMessage, isAbortError } from '../../api/api.ts';
import { type Branding, getBranding, updateBranding } from '../../api/settings-api.ts';
import { fieldErrorsOf } from '../../shared/problem-fields.ts';
import { refusalSummary, TextField } from './setting-fields.tsx';

type Form = { displayName: string; logoUrl: string; primaryColor: string };

const toForm = (b: Branding): Form => ({
  displayName: b.displayName ?? '',
  logoUrl: b.logoUrl ?? '',
  primaryColor: b.primaryColor ?? '',
});

/** The default blue, for the preview when no colour is chosen. */
const DEFAULT_COLOR = '#0b5cad';
const isHex = (value: string) => /^#[0-9a-fA-F]{6}$/.test(value);

export function BrandingSection() {
  const [branding, setBranding] = useState<Branding | null>(null);
  const [form, setForm] = useState<Form | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    const controller = new AbortController();
    getBranding(controller.signal).then(
      (b) => {
        setBranding(b);
        setForm(toForm(b));
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
      // Empty means "the default": sent as null. Anything else goes as typed for the server to check.
      const next = await updateBranding({
        displayName: form.displayName.trim() || null,
        logoUrl: form.logoUrl.trim() || null,
        primaryColor: form.primaryColor.trim() || null,
      });
      setBranding(next);
      setForm(toForm(next));
      setSaved(true);
    } catch (caught) {
      const fields = fieldErrorsOf(caught);
      setError(refusalSummary(errorMessage(caught), fields));
      setFieldErrors(fields);
    }
    setBusy(false);
  }

  const set = (patch: Partial<Form>) => {
    setSaved(false);
    setForm((current) => (current ? { ...current, ...patch } : current));
  };
  const previewColor = form && isHex(form.primaryColor) ? form.primaryColor : DEFAULT_COLOR;
  const previewName = (form?.displayName.trim() || branding?.agencyName) ?? '';

  return (
    <>
      <div className="section-header">
        <h2>Portal branding</h2>
        <p className="page-subtitle">
          How your agency appears to clients: the client portal's header and every e-mail.
        </p>
      </div>
      {error && (
        <div className="alert alert-error" role="alert">
          {error}
        </div>
      )}
      {saved && <output className="alert alert-success">Branding saved.</output>}
      {!form && !error && <p className="loading">Loading…</p>}
      {form && branding && (
        <form className="card" onSubmit={submit} noValidate aria-label="Portal branding">
          <div className="card-body">
            <TextField
              id="branding-name"
              label="Display name"
              hint={`Empty: your agency's name, ${branding.agencyName}.`}
              value={form.displayName}
              onChange={(v) => set({ displayName: v })}
              error={fieldErrors.displayName}
            />
            <TextField
              id="branding-logo"
              type="url"
              label="Logo address"
              hint="An https:// address of the logo image (shown 28–40 px high). Empty: the first letter of the name."
              value={form.logoUrl}
              onChange={(v) => set({ logoUrl: v })}
              error={fieldErrors.logoUrl}
            />
            <div className="form-grid">
              <TextField
                id="branding-color"
                label="Primary colour"
                hint="A hex colour such as #1f6feb. Empty: the default blue."
                value={form.primaryColor}
                onChange={(v) => set({ primaryColor: v })}
                error={fieldErrors.primaryColor}
              />
              <div className="field">
                <label htmlFor="branding-color-picker">Pick a colour</label>
                <input
                  id="branding-color-picker"
                  type="color"
                  value={previewColor}
                  onChange={(event) => set({ primaryColor: event.target.value })}
                />
              </div>
            </div>
            <div className="field">
              <span className="field-hint">Preview</span>
              <div
                data-testid="branding-preview"
                style={{ borderBottom: `4px solid ${previewColor}`, padding: '8px 0', fontWeight: 650 }}
              >
                {form.logoUrl.startsWith('https://') && (
                  <img src={form.logoUrl} alt="" height={28} style={{ verticalAlign: 'middle', marginRight: 8 }} />
                )}
                <span style={{ color: previewColor }}>{previewName}</span>
              </div>
            </div>
            <div className="form-actions">
              <button type="submit" className="button button-primary" disabled={busy}>
                Save branding
              </button>
            </div>
          </div>
        </form>
      )}
    </>
  );
}
