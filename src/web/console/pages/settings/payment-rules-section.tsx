// /app/settings/payment-rules (staff): the agency settings online payment requests use: who else is told when a
// client pays, who may finalize, when requests expire, and what outside payers may pay.
import { type FormEvent, useEffect, useState } from 'react';
import {
  errorMessage,
  getPaymentSettings,
  isAbortError,
  type PaymentSettings,
  updatePaymentSettings,
} from '../../shared/api.ts';
import { FieldErrorText } from '../../shared/field-errors.tsx';
import { fieldErrorsOf } from '../../shared/problem-fields.ts';

type Form = {
  backupEmail: string;
  finalizeRestrictedToStaff: boolean;
  paymentRequestExpiryDays: string;
  enforceMinMaxSecureCheckout: boolean;
  daysToAllowCanceledPolicyPayment: string;
};

const toForm = (settings: PaymentSettings): Form => ({
  backupEmail: settings.backupEmail ?? '',
  finalizeRestrictedToStaff: settings.finalizeRestrictedToStaff,
  paymentRequestExpiryDays: String(settings.paymentRequestExpiryDays),
  enforceMinMaxSecureCheckout: settings.enforceMinMaxSecureCheckout,
  daysToAllowCanceledPolicyPayment: String(settings.daysToAllowCanceledPolicyPayment),
});

/** "12" → 12; anything else is sent as typed so the server names the rule it breaks. */
const integerOrText = (text: string): number | string => (/^-?\d{1,6}$/.test(text.trim()) ? Number(text) : text);

export function PaymentRulesSection() {
  const [form, setForm] = useState<Form | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    const controller = new AbortController();
    getPaymentSettings(controller.signal).then(
      (settings) => setForm(toForm(settings)),
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
      const settings = await updatePaymentSettings({
        backupEmail: form.backupEmail.trim() || null,
        finalizeRestrictedToStaff: form.finalizeRestrictedToStaff,
        paymentRequestExpiryDays: integerOrText(form.paymentRequestExpiryDays),
        enforceMinMaxSecureCheckout: form.enforceMinMaxSecureCheckout,
        daysToAllowCanceledPolicyPayment: integerOrText(form.daysToAllowCanceledPolicyPayment),
      });
      setForm(toForm(settings));
      setSaved(true);
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
        <h2>Payment rules</h2>
        <p className="page-subtitle">Online payment requests and the client portal.</p>
      </div>
      {error && (
        <div className="alert alert-error" role="alert">
          {error}
        </div>
      )}
      {saved && <output className="alert alert-success">Settings saved.</output>}
      {!form && !error && <p className="loading">Loading…</p>}
      {form && (
        <form className="card" onSubmit={submit} noValidate aria-label="Payment settings">
          <div className="card-body">
            <div className="field">
              <label htmlFor="settings-backup-email">Backup email address</label>
              <input
                id="settings-backup-email"
                type="email"
                value={form.backupEmail}
                onChange={(event) => set({ backupEmail: event.target.value })}
                aria-invalid={fieldErrors.backupEmail ? true : undefined}
                aria-describedby="settings-backup-email-hint settings-backup-email-error"
              />
              <p className="field-hint" id="settings-backup-email-hint">
                Told, with the producer, CSR and requestor, whenever a client pays a request. Empty: nobody else.
              </p>
              <FieldErrorText id="settings-backup-email-error" message={fieldErrors.backupEmail} />
            </div>
            <div className="field">
              <label htmlFor="settings-expiry">Days a request stays payable after its due date</label>
              <input
                id="settings-expiry"
                inputMode="numeric"
                className="input-money"
                value={form.paymentRequestExpiryDays}
                onChange={(event) => set({ paymentRequestExpiryDays: event.target.value })}
                aria-invalid={fieldErrors.paymentRequestExpiryDays ? true : undefined}
                aria-describedby="settings-expiry-error"
              />
              <FieldErrorText id="settings-expiry-error" message={fieldErrors.paymentRequestExpiryDays} />
            </div>
            <div className="field">
              <label htmlFor="settings-canceled">Days after cancellation a canceled policy can still be paid</label>
              <input
                id="settings-canceled"
                inputMode="numeric"
                className="input-money"
                value={form.daysToAllowCanceledPolicyPayment}
                onChange={(event) => set({ daysToAllowCanceledPolicyPayment: event.target.value })}
                aria-invalid={fieldErrors.daysToAllowCanceledPolicyPayment ? true : undefined}
                aria-describedby="settings-canceled-hint settings-canceled-error"
              />
              <p className="field-hint" id="settings-canceled-hint">
                0: never; -1: indefinitely.
              </p>
              <FieldErrorText id="settings-canceled-error" message={fieldErrors.daysToAllowCanceledPolicyPayment} />
            </div>
            <label className="choice">
              <input
                type="checkbox"
                checked={form.finalizeRestrictedToStaff}
                onChange={(event) => set({ finalizeRestrictedToStaff: event.target.checked })}
              />{' '}
              Only staff may finalize payments (agents may not)
            </label>
            <label className="choice">
              <input
                type="checkbox"
                checked={form.enforceMinMaxSecureCheckout}
                onChange={(event) => set({ enforceMinMaxSecureCheckout: event.target.checked })}
              />{' '}
              Clients pay between the amount currently due and the payoff
            </label>
            <div className="form-actions">
              <button type="submit" className="button button-primary" disabled={busy}>
                Save settings
              </button>
            </div>
          </div>
        </form>
      )}
    </>
  );
}
