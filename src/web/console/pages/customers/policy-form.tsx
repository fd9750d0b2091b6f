// Adding a policy to a customer or editing its terms. Its status is not edited here: it moves by
// a transition (policy-status-form.tsx). The API refuses what its rules refuse (a term that is not
// a period, a billed policy's premium or plan) and the refusal lands under the field it names.
import { type FormEvent, useEffect, useRef, useState } from 'react';
import { errorMessage, newIdempotencyKey, type Policy, refusedByServer } from '../../api/api.ts';
import { createPolicy, type PolicyFields, updatePolicy } from '../../api/customers-api.ts';
import { type InstallmentPlan, listInstallmentPlans } from '../../api/settings-api.ts';
import { fieldErrorsOf } from '../../shared/problem-fields.ts';
import { FormError, FormField, SelectField } from './form-field.tsx';

/** A new policy starts in one of these; cancellation needs a reason and a date, so it is a transition. */
const startingStatuses = [
  { value: 'active', label: 'Active' },
  { value: 'unsubmitted', label: 'Unsubmitted' },
  { value: 'submitted', label: 'Submitted' },
];

/** "1,234.50" → 1234.5; anything else goes to the API as typed, to be refused there by name. */
function premiumOf(text: string): number | string {
  const cleaned = text.trim().replace(/^\$/, '').replaceAll(',', '');
  return /^\d{1,11}(\.\d+)?$/.test(cleaned) ? Number(cleaned) : text;
}

type Props = {
  customerNumber: number;
  policy: Policy | null;
  onSaved: (policy: Policy) => void;
  onCancel: () => void;
};

export function PolicyForm({ customerNumber, policy, onSaved, onCancel }: Props) {
  const [draft, setDraft] = useState({
    policyNumber: policy?.policyNumber ?? '',
    lineOfBusiness: policy?.lineOfBusiness ?? '',
    effectiveDate: policy?.effectiveDate ?? '',
    expirationDate: policy?.expirationDate ?? '',
    premium: policy ? String(policy.premium) : '',
    installmentPlan: policy?.installmentPlan ?? '',
    status: 'active',
  });
  const [plans, setPlans] = useState<InstallmentPlan[]>([]);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const key = useRef(newIdempotencyKey());
  const prefix = policy ? 'edit-policy' : 'new-policy';
  const set = (field: keyof typeof draft) => (value: string) => setDraft((d) => ({ ...d, [field]: value }));

  useEffect(() => {
    const controller = new AbortController();
    // Without the list the plan is still shown (its name) and kept; only choosing another needs it.
    listInstallmentPlans(controller.signal).then(
      (result) => setPlans(result.data),
      () => {},
    );
    return () => controller.abort();
  }, []);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    setErrors({});
    const terms = {
      lineOfBusiness: draft.lineOfBusiness.trim(),
      effectiveDate: draft.effectiveDate,
      expirationDate: draft.expirationDate,
      premium: premiumOf(draft.premium) as number,
    };
    try {
      if (policy) {
        const changes: Partial<PolicyFields> = { ...terms, installmentPlan: draft.installmentPlan || null };
        onSaved(await updatePolicy(policy.policyNumber, changes));
      } else {
        onSaved(
          await createPolicy(
            {
              customerNumber,
              policyNumber: draft.policyNumber.trim(),
              ...terms,
              ...(draft.installmentPlan ? { installmentPlan: draft.installmentPlan } : {}),
              status: draft.status,
            },
            key.current,
          ),
        );
      }
    } catch (caught) {
      if (refusedByServer(caught)) key.current = newIdempotencyKey();
      setError(errorMessage(caught));
      setErrors(fieldErrorsOf(caught));
      setBusy(false);
    }
  }

  const planOptions = [
    { value: '', label: 'No installment plan' },
    ...plans.map((plan) => ({ value: plan.name, label: plan.name })),
    ...(draft.installmentPlan && !plans.some((p) => p.name === draft.installmentPlan)
      ? [{ value: draft.installmentPlan, label: draft.installmentPlan }]
      : []),
  ];

  return (
    <form
      className="card-body entity-form"
      onSubmit={submit}
      noValidate
      aria-label={policy ? `Edit policy ${policy.policyNumber}` : 'New policy'}
    >
      <FormError message={error} />
      <div className="entity-form-grid">
        {!policy && (
          <FormField
            id={`${prefix}-number`}
            label="Policy number"
            value={draft.policyNumber}
            onChange={set('policyNumber')}
            error={errors.policyNumber}
            required
            maxLength={64}
          />
        )}
        <FormField
          id={`${prefix}-line`}
          label="Line of business"
          value={draft.lineOfBusiness}
          onChange={set('lineOfBusiness')}
          error={errors.lineOfBusiness}
          required
          maxLength={100}
        />
        <FormField
          id={`${prefix}-effective`}
          label="Effective date"
          type="date"
          value={draft.effectiveDate}
          onChange={set('effectiveDate')}
          error={errors.effectiveDate}
          required
        />
        <FormField
          id={`${prefix}-expiration`}
          label="Expiration date"
          type="date"
          value={draft.expirationDate}
          onChange={set('expirationDate')}
          error={errors.expirationDate}
          required
        />
        <FormField
          id={`${prefix}-premium`}
          label="Premium ($)"
          value={draft.premium}
          onChange={set('premium')}
          error={errors.premium}
          required
        />
        <SelectField
          id={`${prefix}-plan`}
          label="Installment plan"
          value={draft.installmentPlan}
          onChange={set('installmentPlan')}
          options={planOptions}
          error={errors.installmentPlan}
        />
        {!policy && (
          <SelectField
            id={`${prefix}-status`}
            label="Starting status"
            value={draft.status}
            onChange={set('status')}
            options={startingStatuses}
            error={errors.status}
          />
        )}
      </div>
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={busy}>
          {policy ? 'Save policy' : 'Add policy'}
        </button>
        <button type="button" className="button button-secondary" onClick={onCancel} disabled={busy}>
          Cancel
        </button>
      </div>
    </form>
  );
}
