// The account switcher: a person who is a contact of several customers (a personal and a business
// account) picks which one the portal shows. Requests, payments, methods and autopay are per account.
import { useState } from 'react';
import { errorMessage, newIdempotencyKey } from '../console/api/api.ts';
import { type PortalSession, switchAccount } from './api.ts';

type Props = { session: PortalSession; onSwitched: (next: PortalSession) => void };

function accountLabel(account: { customerNumber: number; name: string }): string {
  return `${account.name} (#${account.customerNumber})`;
}

export function AccountSwitcher({ session, onSwitched }: Props) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  if (session.accounts.length < 2) return null;

  async function choose(customerNumber: number) {
    setBusy(true);
    setError(null);
    try {
      onSwitched(await switchAccount(customerNumber, newIdempotencyKey()));
    } catch (caught) {
      setError(errorMessage(caught));
    }
    setBusy(false);
  }

  return (
    <div className="account-switcher">
      <label htmlFor="account-switcher">Account</label>
      <select
        id="account-switcher"
        value={session.customer.customerNumber}
        disabled={busy}
        onChange={(event) => void choose(Number(event.target.value))}
      >
        {session.accounts.map((account) => (
          <option key={account.customerNumber} value={account.customerNumber}>
            {accountLabel(account)}
          </option>
        ))}
      </select>
      {error && (
        <span className="alert alert-error" role="alert">
          {error}
        </span>
      )}
    </div>
  );
}
