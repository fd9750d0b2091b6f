// Moving a policy through its lifecycle. Only the statuses the API's rules allow from where the
// policy stands are offered (the policy carries them: allowedTransitions); cancellation pending
// asks for its reason, canceled for its effective date. Whatever else the API refuses is shown.
import { type FormEvent, useRef, useState } from 'react';
import { errorMessage, newIdempotencyKey, type Policy, refusedByServer } from '../../api/api.ts';
import { transitionPolicy } from '../../api/customers-api.ts';
import { humanize } from '../../shared/format.ts';
import { fieldErrorsOf } from '../../shared/problem-fields.ts';
import { FormError, FormField, SelectField } from './form-field.tsx';

export const cancellationReasons = [
  { value: 'non_pay', label: 'Non-pay' },
  { value: 'underwriting', label: 'Underwriting' },
  { value: 'insured_request', label: "Insured's request" },
  { value: 'other', label: 'Other' },
];

type Props = { policy: Policy; today: string; onSaved: (policy: Policy) => void; onCancel: () => void };

export function PolicyStatusForm({ policy, today, onSaved, onCancel }: Props) {
  const [to, setTo] = useState(policy.allowedTransitions[0] ?? '');
  const [reason, setReason] = useState(policy.cancellationReason ?? 'non_pay');
  const [effectiveDate, setEffectiveDate] = useState(today);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const key = useRef(newIdempotencyKey());

  if (policy.allowedTransitions.length === 0) {
    return (
      <div className="card-body">
        <p className="muted">
          A {humanize(policy.status).toLowerCase()} policy moves no further (a renewal is a new policy).
        </p>
        <button type="button" className="button button-secondary" onClick={onCancel}>
          Close
        </button>
      </div>
    );
  }

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    setErrors({});
    const cancels = to === 'cancellation_pending' || to === 'canceled';
    try {
      onSaved(
        await transitionPolicy(
          policy.policyNumber,
          {
            to,
            ...(cancels ? { reason } : {}),
            ...(to === 'canceled' && effectiveDate ? { effectiveDate } : {}),
          },
          key.current,
        ),
      );
    } catch (caught) {
      if (refusedByServer(caught)) key.current = newIdempotencyKey();
      setError(errorMessage(caught));
      setErrors(fieldErrorsOf(caught));
      setBusy(false);
    }
  }

  return (
    <form
      className="card-body entity-form"
      onSubmit={submit}
      noValidate
      aria-label={`Change the status of ${policy.policyNumber}`}
    >
      <FormError message={error} />
      <div className="entity-form-grid">
        <SelectField
          id="policy-status-to"
          label="New status"
          value={to}
          onChange={setTo}
          options={policy.allowedTransitions.map((s) => ({ value: s, label: humanize(s) }))}
          error={errors.to}
        />
        {(to === 'cancellation_pending' || to === 'canceled') && (
          <SelectField
            id="policy-status-reason"
            label="Cancellation reason"
            value={reason}
            onChange={setReason}
            options={cancellationReasons}
            error={errors.reason}
          />
        )}
        {to === 'canceled' && (
          <FormField
            id="policy-status-date"
            label="Cancellation effective date"
            type="date"
            value={effectiveDate}
            onChange={setEffectiveDate}
            error={errors.effectiveDate}
            required
          />
        )}
      </div>
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={busy || !to}>
          Change status
        </button>
        <button type="button" className="button button-secondary" onClick={onCancel} disabled={busy}>
          Cancel
        </button>
      </div>
    </form>
  );
}
