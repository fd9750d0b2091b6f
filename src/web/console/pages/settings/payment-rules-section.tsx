// /app/settings/payment-rules (staff): every payment setting the agency has: which policies outside
// payers and agents may pay (the eligibility settings, in the words of the payment eligibility
// matrix), the minimum and maximum, where each channel's money is deposited, who may finalize,
// when requests expire and when autopay runs, and the convenience fees (their own form). The
// backup address is under E-mail.
import { type FormEvent, useEffect, useState } from 'react';
import { type Bank, errorMessage, isAbortError } from '../../api/api.ts';
import {
  type AllPaymentSettings,
  type DepositBanks,
  getAllPaymentSettings,
  integerOrText,
  listAllBanks,
  patchPaymentSettings,
} from '../../api/settings-api.ts';
import { FieldErrorText } from '../../shared/field-errors.tsx';
import { fieldErrorsOf } from '../../shared/problem-fields.ts';
import { ConvenienceFeesForm } from './convenience-fees-form.tsx';
import { CheckField, refusalSummary, SelectField, TextField } from './setting-fields.tsx';

type Form = Omit<
  AllPaymentSettings,
  | 'daysToAllowCanceledPolicyPayment'
  | 'poorPaymentHistoryAfterReturns'
  | 'autopayHour'
  | 'paymentRequestExpiryDays'
  | 'nsfFee'
> & {
  daysToAllowCanceledPolicyPayment: string;
  poorPaymentHistoryAfterReturns: string;
  autopayHour: string;
  paymentRequestExpiryDays: string;
  nsfFee: string;
};

const toForm = (s: AllPaymentSettings): Form => ({
  ...s,
  daysToAllowCanceledPolicyPayment: String(s.daysToAllowCanceledPolicyPayment),
  poorPaymentHistoryAfterReturns: String(s.poorPaymentHistoryAfterReturns),
  autopayHour: String(s.autopayHour),
  paymentRequestExpiryDays: String(s.paymentRequestExpiryDays),
  nsfFee: s.nsfFee === null ? '' : s.nsfFee.toFixed(2),
});

/** "25.00" → 25; "" → null (no fee); anything else as typed, for the server to name. */
const amountOrText = (text: string): number | string | null => {
  const trimmed = text.trim();
  if (trimmed === '') return null;
  return /^\d{1,9}(\.\d{1,2})?$/.test(trimmed) ? Number(trimmed) : trimmed;
};

const toPatch = (form: Form) => ({
  allowPaySubmittedPolicies: form.allowPaySubmittedPolicies,
  daysToAllowCanceledPolicyPayment: integerOrText(form.daysToAllowCanceledPolicyPayment),
  disallowCancellationPendingNonPay: form.disallowCancellationPendingNonPay,
  disallowCancellationPendingNonPayPoorHistory: form.disallowCancellationPendingNonPayPoorHistory,
  disallowCancellationPendingUnderwriting: form.disallowCancellationPendingUnderwriting,
  enforceMinMaxSecureCheckout: form.enforceMinMaxSecureCheckout,
  enforceMinMaxAgentSweep: form.enforceMinMaxAgentSweep,
  poorPaymentHistoryAfterReturns: integerOrText(form.poorPaymentHistoryAfterReturns),
  autopayHour: integerOrText(form.autopayHour),
  finalizeRestrictedToStaff: form.finalizeRestrictedToStaff,
  paymentRequestExpiryDays: integerOrText(form.paymentRequestExpiryDays),
  nsfFee: amountOrText(form.nsfFee),
  defaultDepositBanks: form.defaultDepositBanks,
});

const channels: { channel: keyof DepositBanks; label: string; hint: string }[] = [
  { channel: 'secure_checkout', label: 'Client portal payments', hint: 'Clients paying online (secure checkout).' },
  { channel: 'autopay', label: 'Autopay', hint: 'Installments autopay takes from saved cards and accounts.' },
  {
    channel: 'agent_sweep',
    label: 'Console and agent payments',
    hint: 'Payments staff and agents take in the console or by API (agent sweep) without naming a bank.',
  },
];

export function PaymentRulesSection() {
  const [form, setForm] = useState<Form | null>(null);
  const [banks, setBanks] = useState<Bank[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    const controller = new AbortController();
    Promise.all([getAllPaymentSettings(controller.signal), listAllBanks(controller.signal)]).then(
      ([settings, list]) => {
        setForm(toForm(settings));
        setBanks(list.data);
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
      setForm(toForm(await patchPaymentSettings(toPatch(form))));
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
  const onlyBank = banks.length === 1 ? `the agency's only bank (${banks[0]!.shortName})` : null;
  const bankOptions = [
    {
      value: '',
      label: onlyBank ? `Not set: ${onlyBank}` : 'Not set: the payment must name a bank',
    },
    ...banks.map((b) => ({ value: b.shortName, label: `${b.shortName} · ${b.name} (${b.division})` })),
  ];

  return (
    <>
      <div className="section-header">
        <h2>Payment rules</h2>
        <p className="page-subtitle">Who may pay which policies, how much, into which bank, and who finalizes.</p>
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
            <fieldset>
              <legend>Which policies can be paid</legend>
              <p className="field-hint">
                Active policies can always be paid. These settings limit agents (agent sweep) and outside payers (the
                client portal's secure checkout); staff may still take payments on canceled and pending policies.
              </p>
              <CheckField
                id="settings-allow-submitted"
                label="Allow pay submitted policies (allow-pay-submitted-policies)"
                hint="Agents may enter agent sweep payments on submitted policies. Outside payers never pay submitted policies."
                checked={form.allowPaySubmittedPolicies}
                onChange={(v) => set({ allowPaySubmittedPolicies: v })}
                error={fieldErrors.allowPaySubmittedPolicies}
              />
              <TextField
                id="settings-canceled"
                label="Days after cancellation a canceled policy can still be paid"
                hint="days-to-allow-canceled-policy-payment: how many days after cancellation agents and outside payers can pay. 0: never (the default); -1: indefinitely."
                numeric
                value={form.daysToAllowCanceledPolicyPayment}
                onChange={(v) => set({ daysToAllowCanceledPolicyPayment: v })}
                error={fieldErrors.daysToAllowCanceledPolicyPayment}
              />
              <CheckField
                id="settings-disallow-non-pay"
                label="Disallow external payments (agent sweep and electronic) against policies in Cancellation Pending for Non-Pay"
                hint="Staff can still take payments on them."
                checked={form.disallowCancellationPendingNonPay}
                onChange={(v) =>
                  set({
                    disallowCancellationPendingNonPay: v,
                    ...(v && { disallowCancellationPendingNonPayPoorHistory: false }),
                  })
                }
                error={fieldErrors.disallowCancellationPendingNonPay}
              />
              <CheckField
                id="settings-disallow-poor-history"
                label="Disallow external payments (agent sweeps and electronic) against policies in Cancellation Pending for Non-Pay with the Poor Payment History"
                hint="Only policies tagged Poor Payment History; stops autopay on them too. Only one of this and the previous setting can be selected at a time."
                checked={form.disallowCancellationPendingNonPayPoorHistory}
                onChange={(v) =>
                  set({
                    disallowCancellationPendingNonPayPoorHistory: v,
                    ...(v && { disallowCancellationPendingNonPay: false }),
                  })
                }
                error={fieldErrors.disallowCancellationPendingNonPayPoorHistory}
              />
              <CheckField
                id="settings-disallow-underwriting"
                label="Disallow external payments (agent sweeps and electronic) against policies in Cancellation Pending for Underwriting reasons"
                hint="Pending cancellation for any reason other than non-pay."
                checked={form.disallowCancellationPendingUnderwriting}
                onChange={(v) => set({ disallowCancellationPendingUnderwriting: v })}
                error={fieldErrors.disallowCancellationPendingUnderwriting}
              />
              <TextField
                id="settings-poor-history"
                label="ACH returns in 12 months that tag a customer's policies Poor Payment History"
                hint="0: never tag."
                numeric
                value={form.poorPaymentHistoryAfterReturns}
                onChange={(v) => set({ poorPaymentHistoryAfterReturns: v })}
                error={fieldErrors.poorPaymentHistoryAfterReturns}
              />
            </fieldset>

            <fieldset>
              <legend>How much</legend>
              <CheckField
                id="settings-minmax-checkout"
                label="Enforce minimum (currently due) and maximum (payoff amount) payment amounts when making electronic payments from the Secure Checkout screen"
                hint="Prevents outside payers from making electronic under- or over-payments in the client portal."
                checked={form.enforceMinMaxSecureCheckout}
                onChange={(v) => set({ enforceMinMaxSecureCheckout: v })}
                error={fieldErrors.enforceMinMaxSecureCheckout}
              />
              <CheckField
                id="settings-minmax-sweep"
                label="Enforce minimum (currently due) and maximum (payoff amount) payment amounts when making agent sweep payments"
                hint="Prevents agents from making under- or over-payments through agent sweep."
                checked={form.enforceMinMaxAgentSweep}
                onChange={(v) => set({ enforceMinMaxAgentSweep: v })}
                error={fieldErrors.enforceMinMaxAgentSweep}
              />
              <TextField
                id="settings-nsf-fee"
                label="NSF fee"
                hint="Invoiced to the customer when a receipt is reversed as NSF. Empty: no fee."
                numeric
                value={form.nsfFee}
                onChange={(v) => set({ nsfFee: v })}
                error={fieldErrors.nsfFee}
              />
            </fieldset>

            <fieldset aria-describedby="settings-deposit-error">
              <legend>Default deposit banks</legend>
              <p className="field-hint">
                The bank a payment is deposited to when it names none. Banks are listed under Banks and divisions.
              </p>
              {channels.map(({ channel, label, hint }) => (
                <SelectField
                  key={channel}
                  id={`settings-deposit-${channel}`}
                  label={label}
                  hint={hint}
                  value={form.defaultDepositBanks[channel] ?? ''}
                  options={bankOptions}
                  onChange={(v) => set({ defaultDepositBanks: { ...form.defaultDepositBanks, [channel]: v || null } })}
                />
              ))}
              <FieldErrorText id="settings-deposit-error" message={fieldErrors.defaultDepositBanks} />
            </fieldset>

            <fieldset>
              <legend>Payment requests, finalize and autopay</legend>
              <TextField
                id="settings-expiry"
                label="Days a request stays payable after its due date"
                numeric
                value={form.paymentRequestExpiryDays}
                onChange={(v) => set({ paymentRequestExpiryDays: v })}
                error={fieldErrors.paymentRequestExpiryDays}
              />
              <CheckField
                id="settings-finalize-staff"
                label="Only staff may finalize payments (agents may not)"
                checked={form.finalizeRestrictedToStaff}
                onChange={(v) => set({ finalizeRestrictedToStaff: v })}
                error={fieldErrors.finalizeRestrictedToStaff}
              />
              <TextField
                id="settings-autopay-hour"
                label="Hour autopay runs (0–23, agency time)"
                hint="On each installment's autopay day."
                numeric
                value={form.autopayHour}
                onChange={(v) => set({ autopayHour: v })}
                error={fieldErrors.autopayHour}
              />
            </fieldset>
            <div className="form-actions">
              <button type="submit" className="button button-primary" disabled={busy}>
                Save settings
              </button>
            </div>
          </div>
        </form>
      )}
      <ConvenienceFeesForm />
    </>
  );
}
