// Cancelling a payment request that has not been paid (requested or expired): its link stops working.
import { type FormEvent, useEffect, useRef, useState } from 'react';
import {
  cancelPaymentRequest,
  errorMessage,
  newIdempotencyKey,
  type PaymentRequest,
  refusedByServer,
} from '../api/api.ts';
import { formatDate, formatMoney } from '../shared/format.ts';

type Props = {
  request: PaymentRequest;
  onCancelled: (request: PaymentRequest) => void;
  onClose: () => void;
};

export function CancelRequestForm({ request, onCancelled, onClose }: Props) {
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const idempotencyKey = useRef(newIdempotencyKey());
  const headingRef = useRef<HTMLHeadingElement>(null);

  useEffect(() => headingRef.current?.focus(), []);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onCancelled(await cancelPaymentRequest(request.id, reason.trim(), idempotencyKey.current));
    } catch (caught) {
      // A refused request had no effect: a corrected one is a new request with a new key.
      if (refusedByServer(caught)) idempotencyKey.current = newIdempotencyKey();
      setError(errorMessage(caught));
      setBusy(false);
    }
  }

  return (
    <section className="card form-card" aria-labelledby="cancel-request-heading">
      <div className="card-header">
        <h2 id="cancel-request-heading" ref={headingRef} tabIndex={-1}>
          Cancel the request for {formatMoney(request.amount)}
        </h2>
        <p className="muted">
          Sent to {request.contact.name}, due {formatDate(request.dueDate)}. The link in the email will no longer take a
          payment, and the client is e-mailed that the request was cancelled.
        </p>
      </div>
      <form className="card-body" onSubmit={submit}>
        {error && (
          <div className="alert alert-error" role="alert">
            {error}
          </div>
        )}
        <div className="field">
          <label htmlFor="cancel-reason">Reason (optional)</label>
          <input
            id="cancel-reason"
            maxLength={500}
            value={reason}
            onChange={(event) => setReason(event.target.value)}
          />
        </div>
        <div className="form-actions">
          <button type="submit" className="button button-primary" disabled={busy}>
            Cancel request
          </button>
          <button type="button" className="button button-secondary" onClick={onClose} disabled={busy}>
            Keep it
          </button>
        </div>
      </form>
    </section>
  );
}
