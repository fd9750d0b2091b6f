// The convenience fees on Settings > Payment rules: a fee per method kind (card: percent, fixed and
// cap; bank account: fixed), off by default. Whether a client is charged is the rule table's
// decision (the insured's state, the card's funding): the form says so.
import { type FormEvent, useEffect, useState } from 'react';
import { ApiError, errorMessage, isAbortError } from '../../api/api.ts';
import { type ConvenienceFees, getConvenienceFees, putConvenienceFees } from '../../api/settings-api.ts';
import { CheckField, TextField } from './setting-fields.tsx';

type Form = { cardOn: boolean; percent: string; fixed: string; cap: string; achOn: boolean; achFixed: string };

const money = (n: number) => n.toFixed(2);
const toForm = (f: ConvenienceFees): Form => ({
  cardOn: f.card !== null,
  percent: f.card ? String(f.card.percent) : '',
  fixed: f.card ? money(f.card.fixed) : '',
  cap: f.card?.cap != null ? money(f.card.cap) : '',
  achOn: f.ach !== null,
  achFixed: f.ach ? money(f.ach.fixed) : '',
});

/** "2.50" → 2.5; "" → the default; anything else as typed, for the server to name. */
const numberOr = <T,>(text: string, empty: T): number | string | T => {
  const trimmed = text.trim();
  if (trimmed === '') return empty;
  return /^-?\d{1,9}(\.\d+)?$/.test(trimmed) ? Number(trimmed) : trimmed;
};

const toBody = (form: Form) => ({
  card: form.cardOn
    ? { percent: numberOr(form.percent, 0), fixed: numberOr(form.fixed, 0), cap: numberOr(form.cap, null) }
    : null,
  ach: form.achOn ? { fixed: numberOr(form.achFixed, 0) } : null,
});

/** `card/percent` → message: the whole path, both kinds have a `fixed`. */
function fieldErrors(caught: unknown): Record<string, string> {
  const result: Record<string, string> = {};
  if (!(caught instanceof ApiError)) return result;
  for (const item of caught.problem.errors ?? []) {
    const path = String(item.path)
      .replace(/^\/?(body[./])?/, '')
      .replaceAll('.', '/');
    result[path] ??= item.message;
  }
  return result;
}

export function ConvenienceFeesForm() {
  const [form, setForm] = useState<Form | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    const controller = new AbortController();
    getConvenienceFees(controller.signal).then(
      (fees) => setForm(toForm(fees)),
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
    setErrors({});
    setSaved(false);
    try {
      setForm(toForm(await putConvenienceFees(toBody(form))));
      setSaved(true);
    } catch (caught) {
      setError(errorMessage(caught));
      setErrors(fieldErrors(caught));
    }
    setBusy(false);
  }

  const set = (patch: Partial<Form>) => {
    setSaved(false);
    setForm((current) => (current ? { ...current, ...patch } : current));
  };

  return (
    <form className="card" onSubmit={submit} noValidate aria-label="Convenience fees">
      <div className="card-body">
        <fieldset>
          <legend>Convenience fees</legend>
          <p className="field-hint">
            A fee the client pays on top of the premium in the portal. It is charged only where the fee rule table
            allows it: never on debit or prepaid cards, never in a state that forbids it, and never above the card
            networks' cap. The fee is its own receipt line, never applied to an invoice.
          </p>
          {error && (
            <div className="alert alert-error" role="alert">
              {error}
            </div>
          )}
          {saved && <output className="alert alert-success">Fees saved.</output>}
          {!form && !error && <p className="loading">Loading…</p>}
          {form && (
            <>
              <CheckField
                id="fees-card-on"
                label="Charge a fee on card payments"
                checked={form.cardOn}
                onChange={(v) => set({ cardOn: v })}
                error={errors.card}
              />
              {form.cardOn && (
                <>
                  <TextField
                    id="fees-card-percent"
                    label="Card fee percent"
                    hint="Percent of the amount paid, e.g. 2.5."
                    numeric
                    value={form.percent}
                    onChange={(v) => set({ percent: v })}
                    error={errors['card/percent']}
                  />
                  <TextField
                    id="fees-card-fixed"
                    label="Card fee fixed amount"
                    hint="Added to the percent, e.g. 0.30. Empty: none."
                    numeric
                    value={form.fixed}
                    onChange={(v) => set({ fixed: v })}
                    error={errors['card/fixed']}
                  />
                  <TextField
                    id="fees-card-cap"
                    label="Card fee cap"
                    hint="The most the fee may be. Empty: no cap of the agency's own."
                    numeric
                    value={form.cap}
                    onChange={(v) => set({ cap: v })}
                    error={errors['card/cap']}
                  />
                </>
              )}
              <CheckField
                id="fees-ach-on"
                label="Charge a fee on bank account payments"
                checked={form.achOn}
                onChange={(v) => set({ achOn: v })}
                error={errors.ach}
              />
              {form.achOn && (
                <TextField
                  id="fees-ach-fixed"
                  label="Bank account fee"
                  hint="A fixed amount per payment, e.g. 1.00."
                  numeric
                  value={form.achFixed}
                  onChange={(v) => set({ achFixed: v })}
                  error={errors['ach/fixed']}
                />
              )}
            </>
          )}
        </fieldset>
        <div className="form-actions">
          <button type="submit" className="button button-primary" disabled={busy || !form}>
            Save fees
          </button>
        </div>
      </div>
    </form>
  );
}
