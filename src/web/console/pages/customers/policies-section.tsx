// The customer page's policies: the list, adding one, and one policy's panel (its terms, editing
// them, its status through the lifecycle, the poor-payment-history tag, billing it on its plan).
import { useRef, useState } from 'react';
import { errorMessage, newIdempotencyKey, type Policy, refusedByServer } from '../../api/api.ts';
import { billPolicy, tagPolicy, untagPolicy } from '../../api/customers-api.ts';
import { formatDate, formatMoney, humanize } from '../../shared/format.ts';
import { TableWrap } from '../../shared/table-wrap.tsx';
import { FormError } from './form-field.tsx';
import { PolicyForm } from './policy-form.tsx';
import { cancellationReasons, PolicyStatusForm } from './policy-status-form.tsx';

/** The tag the payment rules read (eligibility): a non-pay policy's owner pays by certified funds. */
const POOR_PAYMENT_HISTORY = 'poor_payment_history';

type Props = { customerNumber: number; policies: Policy[]; today: string; onChanged: (notice: string) => void };

function statusTone(status: string): string {
  if (status === 'active') return 'green';
  if (status === 'cancellation_pending') return 'amber';
  if (status === 'canceled' || status === 'rejected') return 'red';
  return 'gray';
}

function reasonLabel(reason: string | null): string {
  return cancellationReasons.find((r) => r.value === reason)?.label ?? humanize(reason ?? '');
}

export function PoliciesSection({ customerNumber, policies, today, onChanged }: Props) {
  const [adding, setAdding] = useState(false);
  const [open, setOpen] = useState<string | null>(null);
  const selected = policies.find((p) => p.policyNumber === open) ?? null;

  return (
    <section className="card" aria-labelledby="policies-heading">
      <div className="card-header card-header-row">
        <h2 id="policies-heading">Policies</h2>
        {!adding && (
          <button type="button" className="button button-secondary" onClick={() => setAdding(true)}>
            Add policy
          </button>
        )}
      </div>
      {adding && (
        <PolicyForm
          customerNumber={customerNumber}
          policy={null}
          onCancel={() => setAdding(false)}
          onSaved={(policy) => {
            setAdding(false);
            setOpen(policy.policyNumber);
            onChanged(`Policy ${policy.policyNumber} added.`);
          }}
        />
      )}
      <TableWrap label="Policies">
        <table className="data-table" aria-label="Policies">
          <thead>
            <tr>
              <th scope="col">Policy</th>
              <th scope="col">Line of business</th>
              <th scope="col">Term</th>
              <th scope="col" className="num">
                Premium
              </th>
              <th scope="col">Status</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {policies.map((policy) => (
              <tr key={policy.policyNumber}>
                <td className="mono">{policy.policyNumber}</td>
                <td>{policy.lineOfBusiness}</td>
                <td>
                  {formatDate(policy.effectiveDate)} – {formatDate(policy.expirationDate)}
                </td>
                <td className="num money">{formatMoney(policy.premium)}</td>
                <td>
                  <span className={`badge badge-${statusTone(policy.status)}`}>{humanize(policy.status)}</span>
                  {policy.tags.includes(POOR_PAYMENT_HISTORY) && (
                    <span className="badge badge-red badge-inline">Poor payment history</span>
                  )}
                </td>
                <td className="actions">
                  <button
                    type="button"
                    className="button button-secondary"
                    aria-label={`Manage policy ${policy.policyNumber}`}
                    aria-expanded={open === policy.policyNumber}
                    onClick={() => setOpen(open === policy.policyNumber ? null : policy.policyNumber)}
                  >
                    Manage
                  </button>
                </td>
              </tr>
            ))}
            {policies.length === 0 && (
              <tr>
                <td colSpan={6} className="empty-cell">
                  No policies.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </TableWrap>
      {selected && (
        <PolicyPanel
          key={selected.policyNumber}
          policy={selected}
          today={today}
          onClose={() => setOpen(null)}
          onChanged={onChanged}
        />
      )}
    </section>
  );
}

type Mode = 'view' | 'edit' | 'status';

function PolicyPanel({
  policy,
  today,
  onClose,
  onChanged,
}: {
  policy: Policy;
  today: string;
  onClose: () => void;
  onChanged: (notice: string) => void;
}) {
  const [mode, setMode] = useState<Mode>('view');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const tagKey = useRef(newIdempotencyKey());
  const billKey = useRef(newIdempotencyKey());
  const tagged = policy.tags.includes(POOR_PAYMENT_HISTORY);

  async function act(run: () => Promise<string>, key: { current: string }) {
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      const notice = await run();
      key.current = newIdempotencyKey();
      onChanged(notice);
    } catch (caught) {
      if (refusedByServer(caught)) key.current = newIdempotencyKey();
      setError(errorMessage(caught));
    } finally {
      setBusy(false);
    }
  }

  const done = (notice: string) => {
    setMode('view');
    onChanged(notice);
  };

  return (
    <section className="policy-panel" aria-labelledby="policy-panel-heading">
      <div className="policy-panel-header">
        <h3 id="policy-panel-heading">Policy {policy.policyNumber}</h3>
        <button type="button" className="button button-secondary" onClick={onClose}>
          Close
        </button>
      </div>
      <dl className="details policy-details">
        <dt>Status</dt>
        <dd data-testid="policy-status">
          {humanize(policy.status)}
          {policy.cancellationReason && ` · ${reasonLabel(policy.cancellationReason)}`}
          {policy.cancellationEffectiveDate && ` · effective ${formatDate(policy.cancellationEffectiveDate)}`}
        </dd>
        <dt>Installment plan</dt>
        <dd>{policy.installmentPlan ?? 'None'}</dd>
        <dt>Tags</dt>
        <dd>{policy.tags.length ? policy.tags.map(humanize).join(', ') : 'None'}</dd>
      </dl>
      <FormError message={error} />
      {mode === 'view' && (
        <div className="form-actions policy-actions">
          <button type="button" className="button button-primary" onClick={() => setMode('status')}>
            Change status
          </button>
          <button type="button" className="button button-secondary" onClick={() => setMode('edit')}>
            Edit policy
          </button>
          <button
            type="button"
            className="button button-secondary"
            disabled={busy}
            onClick={() =>
              act(async () => {
                if (tagged) await untagPolicy(policy.policyNumber, POOR_PAYMENT_HISTORY);
                else await tagPolicy(policy.policyNumber, POOR_PAYMENT_HISTORY, tagKey.current);
                return `Policy ${policy.policyNumber} ${tagged ? 'no longer tagged' : 'tagged'} poor payment history.`;
              }, tagKey)
            }
          >
            {tagged ? 'Remove poor payment history tag' : 'Tag poor payment history'}
          </button>
          {policy.installmentPlan && (
            <button
              type="button"
              className="button button-secondary"
              disabled={busy}
              onClick={() =>
                act(async () => {
                  const billed = await billPolicy(policy.policyNumber, billKey.current);
                  return `Policy ${policy.policyNumber} billed: ${billed.installments.length} invoices.`;
                }, billKey)
              }
            >
              Bill on its plan
            </button>
          )}
        </div>
      )}
      {mode === 'edit' && (
        <PolicyForm
          customerNumber={policy.customerNumber}
          policy={policy}
          onCancel={() => setMode('view')}
          onSaved={(saved) => done(`Policy ${saved.policyNumber} saved.`)}
        />
      )}
      {mode === 'status' && (
        <PolicyStatusForm
          policy={policy}
          today={today}
          onCancel={() => setMode('view')}
          onSaved={(saved) => done(`Policy ${saved.policyNumber} is now ${humanize(saved.status).toLowerCase()}.`)}
        />
      )}
    </section>
  );
}
