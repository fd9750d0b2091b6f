// /app/settings/installment-plans (staff): the schedules policies are billed on, and how many days
// before each due date autopay takes the installment.
import { type FormEvent, useCallback, useEffect, useState } from 'react';
import { errorMessage, isAbortError, newIdempotencyKey } from '../../api/api.ts';
import {
  createInstallmentPlan,
  type Frequency,
  type InstallmentPlan,
  integerOrText,
  listInstallmentPlans,
  updateInstallmentPlan,
} from '../../api/settings-api.ts';
import { FieldErrorText } from '../../shared/field-errors.tsx';
import { fieldErrorsOf } from '../../shared/problem-fields.ts';
import { TableWrap } from '../../shared/table-wrap.tsx';
import { refusalSummary } from './setting-fields.tsx';

const frequencies: { value: Frequency; label: string }[] = [
  { value: 'weekly', label: 'Weekly' },
  { value: 'biweekly', label: 'Every two weeks' },
  { value: 'monthly', label: 'Monthly' },
  { value: 'quarterly', label: 'Quarterly' },
  { value: 'semiannual', label: 'Twice a year' },
  { value: 'annual', label: 'Yearly' },
];
const frequencyLabel = (f: Frequency) => frequencies.find((x) => x.value === f)?.label ?? f;

type Form = { name: string; installments: string; frequency: Frequency; autopayLeadDays: string };
const emptyForm: Form = { name: '', installments: '', frequency: 'monthly', autopayLeadDays: '' };

function toBody(form: Form) {
  const lead = form.autopayLeadDays.trim();
  return {
    name: form.name,
    installments: integerOrText(form.installments),
    frequency: form.frequency,
    autopayLeadDays: lead === '' ? null : integerOrText(lead),
  };
}

export function InstallmentPlansSection() {
  const [plans, setPlans] = useState<InstallmentPlan[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [editing, setEditing] = useState<InstallmentPlan | null>(null);
  const [form, setForm] = useState<Form>(emptyForm);
  const [error, setError] = useState<string | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [saved, setSaved] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [createKey, setCreateKey] = useState(newIdempotencyKey);

  /** Reads the list again; resolves once it is shown (a saved message then shows with it). */
  const load = useCallback((signal?: AbortSignal) => {
    return listInstallmentPlans(signal).then(
      (result) => setPlans(result.data),
      (caught: unknown) => {
        if (!isAbortError(caught)) setLoadError(errorMessage(caught));
      },
    );
  }, []);

  useEffect(() => {
    const controller = new AbortController();
    load(controller.signal);
    return () => controller.abort();
  }, [load]);

  function startEdit(plan: InstallmentPlan | null) {
    setEditing(plan);
    setForm(
      plan
        ? {
            name: plan.name,
            installments: String(plan.installments),
            frequency: plan.frequency,
            autopayLeadDays: plan.autopayLeadDays === null ? '' : String(plan.autopayLeadDays),
          }
        : emptyForm,
    );
    setError(null);
    setFieldErrors({});
    setSaved(null);
  }

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setFieldErrors({});
    setSaved(null);
    try {
      const body = toBody(form);
      let plan: InstallmentPlan;
      if (editing) {
        plan = await updateInstallmentPlan(editing.id, body);
      } else {
        // A new plan without autopay simply leaves the lead days out.
        const { autopayLeadDays, ...rest } = body;
        plan = await createInstallmentPlan(autopayLeadDays === null ? rest : body, createKey);
        setCreateKey(newIdempotencyKey());
      }
      setEditing(null);
      setForm(emptyForm);
      await load();
      setSaved(editing ? `Plan “${plan.name}” saved.` : `Plan “${plan.name}” added.`);
    } catch (caught) {
      const fields = fieldErrorsOf(caught);
      setError(refusalSummary(errorMessage(caught), fields));
      setFieldErrors(fields);
    }
    setBusy(false);
  }

  const title = editing ? `Edit plan “${editing.name}”` : 'Add an installment plan';
  const field = (id: keyof Form, label: string, hint?: string) => (
    <div className="field">
      <label htmlFor={`plan-${id}`}>{label}</label>
      <input
        id={`plan-${id}`}
        inputMode={id === 'name' ? undefined : 'numeric'}
        value={form[id]}
        onChange={(event) => setForm({ ...form, [id]: event.target.value })}
        aria-invalid={fieldErrors[id] ? true : undefined}
        aria-describedby={`plan-${id}-hint plan-${id}-error`}
      />
      {hint && (
        <p className="field-hint" id={`plan-${id}-hint`}>
          {hint}
        </p>
      )}
      <FieldErrorText id={`plan-${id}-error`} message={fieldErrors[id]} />
    </div>
  );

  return (
    <>
      <div className="section-header">
        <h2>Installment plans</h2>
        <p className="page-subtitle">
          The schedules policies are billed on. A change applies to policies billed from then on; invoices already
          billed keep their due dates and autopay times.
        </p>
      </div>
      {loadError && (
        <div className="alert alert-error" role="alert">
          {loadError}
        </div>
      )}
      {saved && <output className="alert alert-success">{saved}</output>}
      <section className="card" aria-labelledby="plans-heading" data-testid="installment-plans">
        <div className="card-header">
          <h3 id="plans-heading">Plans</h3>
        </div>
        {!plans && !loadError && <p className="loading">Loading…</p>}
        {plans && (
          <TableWrap label="Installment plans">
            <table className="data-table">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Installments</th>
                  <th scope="col">Every</th>
                  <th scope="col">Autopay</th>
                  <th scope="col" className="actions">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {plans.map((plan) => (
                  <tr key={plan.id}>
                    <td>{plan.name}</td>
                    <td>{plan.installments}</td>
                    <td>{frequencyLabel(plan.frequency)}</td>
                    <td>
                      {plan.autopayLeadDays === null
                        ? 'No autopay'
                        : `${plan.autopayLeadDays} day${plan.autopayLeadDays === 1 ? '' : 's'} before due`}
                    </td>
                    <td className="actions">
                      <button
                        type="button"
                        className="button button-secondary"
                        aria-label={`Edit plan ${plan.name}`}
                        onClick={() => startEdit(plan)}
                      >
                        Edit
                      </button>
                    </td>
                  </tr>
                ))}
                {plans.length === 0 && (
                  <tr>
                    <td colSpan={5} className="empty-cell">
                      No installment plans yet. Policies are billed on one; add the first below.
                    </td>
                  </tr>
                )}
              </tbody>
            </table>
          </TableWrap>
        )}
      </section>

      <form className="card form-card" onSubmit={submit} noValidate aria-label={title}>
        <div className="card-header">
          <h3>{title}</h3>
        </div>
        <div className="card-body">
          {error && (
            <div className="alert alert-error" role="alert">
              {error}
            </div>
          )}
          <div className="form-grid">
            {field('name', 'Plan name', 'Policies name their plan by it.')}
            {field('installments', 'Number of installments')}
            <div className="field">
              <label htmlFor="plan-frequency">Frequency</label>
              <select
                id="plan-frequency"
                value={form.frequency}
                onChange={(event) => setForm({ ...form, frequency: event.target.value as Frequency })}
                aria-invalid={fieldErrors.frequency ? true : undefined}
                aria-describedby="plan-frequency-error"
              >
                {frequencies.map((f) => (
                  <option key={f.value} value={f.value}>
                    {f.label}
                  </option>
                ))}
              </select>
              <FieldErrorText id="plan-frequency-error" message={fieldErrors.frequency} />
            </div>
            {field(
              'autopayLeadDays',
              'Autopay lead days',
              'Autopay takes each installment this many days before it is due (0 = on the due date). Empty: no autopay.',
            )}
          </div>
          <div className="form-actions">
            <button type="submit" className="button button-primary" disabled={busy}>
              {editing ? 'Save plan' : 'Add plan'}
            </button>
            {editing && (
              <button type="button" className="button button-secondary" onClick={() => startEdit(null)}>
                Cancel
              </button>
            )}
          </div>
        </div>
      </form>
    </>
  );
}
