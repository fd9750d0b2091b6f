// /app/settings/users (staff): who may use the console, with which role; invite someone by e-mail,
// send a password reset, deactivate someone who left.
import { type FormEvent, useCallback, useEffect, useState } from 'react';
import { errorMessage, isAbortError, newIdempotencyKey, refusedByServer, type Session } from '../../api/api.ts';
import {
  type ConsoleRole,
  deactivateUser,
  inviteUser,
  listUsers,
  type ManagedUser,
  sendPasswordReset,
} from '../../api/people-api.ts';
import { FieldErrorText } from '../../shared/field-errors.tsx';
import { formatDateTime } from '../../shared/format.ts';
import { fieldErrorsOf } from '../../shared/problem-fields.ts';
import { TableWrap } from '../../shared/table-wrap.tsx';

const roleLabel: Record<ConsoleRole, string> = { staff: 'Staff', agent: 'Agent' };
const statusBadge: Record<ManagedUser['status'], { label: string; tone: string }> = {
  active: { label: 'Active', tone: 'badge-green' },
  invited: { label: 'Invited', tone: 'badge-blue' },
  deactivated: { label: 'Deactivated', tone: 'badge-gray' },
};

export function UsersSection({ session }: { session: Session }) {
  const [users, setUsers] = useState<ManagedUser[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<ManagedUser | null>(null);
  const [busy, setBusy] = useState(false);

  const reload = useCallback((signal?: AbortSignal) => {
    listUsers(signal).then(
      (result) => setUsers(result.data),
      (caught: unknown) => {
        if (!isAbortError(caught)) setError(errorMessage(caught));
      },
    );
  }, []);

  useEffect(() => {
    const controller = new AbortController();
    reload(controller.signal);
    return () => controller.abort();
  }, [reload]);

  async function act(work: () => Promise<string>) {
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      setNotice(await work());
      reload();
    } catch (caught) {
      setError(errorMessage(caught));
    }
    setBusy(false);
  }

  const reset = (user: ManagedUser) =>
    act(async () => {
      const { sentTo } = await sendPasswordReset(user.id, newIdempotencyKey());
      return user.status === 'invited'
        ? `Invitation sent again to ${sentTo}.`
        : `Password reset link sent to ${sentTo}. Their current password works until they use it.`;
    });

  const deactivate = (user: ManagedUser) =>
    act(async () => {
      await deactivateUser(user.id, newIdempotencyKey());
      setConfirming(null);
      return `${user.name} is deactivated and can no longer sign in.`;
    });

  return (
    <>
      <div className="section-header">
        <h2>Users and roles</h2>
        <p className="page-subtitle">
          Who can sign in to this console. Staff can do everything, including these settings; agents work with customers
          and payments but cannot change settings.
        </p>
      </div>
      {error && (
        <div className="alert alert-error" role="alert">
          {error}
        </div>
      )}
      {notice && <output className="alert alert-success">{notice}</output>}
      <InviteForm
        onInvited={(user) => {
          setNotice(`Invitation sent to ${user.email}. They choose their password from the link in it.`);
          reload();
        }}
      />
      {!users && !error && <p className="loading">Loading…</p>}
      {users && (
        <div className="card">
          <TableWrap label="Users">
            <table className="data-table" aria-label="Users">
              <thead>
                <tr>
                  <th scope="col">Name and email</th>
                  <th scope="col">Role</th>
                  <th scope="col">Status</th>
                  <th scope="col">Last sign-in</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {users.map((user) => {
                  const self = user.id === session.user.id;
                  const badge = statusBadge[user.status];
                  return (
                    <tr key={user.id}>
                      <td>
                        {user.name}
                        {self && <span className="muted"> (you)</span>}
                        <span className="cell-sub">{user.email}</span>
                      </td>
                      <td>{roleLabel[user.role]}</td>
                      <td>
                        <span className={`badge ${badge.tone}`}>{badge.label}</span>
                      </td>
                      <td>
                        {user.lastSignInAt ? formatDateTime(user.lastSignInAt) : <span className="muted">Never</span>}
                      </td>
                      <td className="actions">
                        {user.status !== 'deactivated' && (
                          <>
                            <button
                              type="button"
                              className="button button-secondary"
                              disabled={busy}
                              onClick={() => reset(user)}
                              aria-label={`${user.status === 'invited' ? 'Resend invitation' : 'Reset password'} for ${user.name}`}
                            >
                              {user.status === 'invited' ? 'Resend invitation' : 'Reset password'}
                            </button>{' '}
                            {!self && (
                              <button
                                type="button"
                                className="button button-secondary text-danger"
                                disabled={busy}
                                onClick={() => setConfirming(user)}
                                aria-label={`Deactivate ${user.name}`}
                              >
                                Deactivate
                              </button>
                            )}
                          </>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </TableWrap>
          <p className="field-hint table-note">
            Invited: has not chosen a password yet. Deactivated: can no longer sign in.
          </p>
        </div>
      )}
      {confirming && (
        <section className="card" aria-label={`Deactivate ${confirming.name}?`} role="alertdialog">
          <div className="card-body">
            <h3>Deactivate {confirming.name}?</h3>
            <p>
              {confirming.email} will be signed out everywhere and can no longer sign in. Customers keep naming them as
              producer or CSR.
            </p>
            <div className="form-actions">
              <button
                type="button"
                className="button button-primary"
                disabled={busy}
                onClick={() => deactivate(confirming)}
              >
                Yes, deactivate
              </button>
              <button type="button" className="button button-secondary" onClick={() => setConfirming(null)}>
                Cancel
              </button>
            </div>
          </div>
        </section>
      )}
    </>
  );
}

type InviteFormState = { email: string; name: string; role: ConsoleRole };
const emptyInvite: InviteFormState = { email: '', name: '', role: 'agent' };

function InviteForm({ onInvited }: { onInvited: (user: ManagedUser) => void }) {
  const [form, setForm] = useState(emptyInvite);
  const [error, setError] = useState<string | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  // One key per invitation: a retry after a network error cannot invite twice.
  const [idempotencyKey, setIdempotencyKey] = useState(newIdempotencyKey);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setFieldErrors({});
    try {
      const user = await inviteUser(
        { email: form.email.trim(), name: form.name.trim(), role: form.role },
        idempotencyKey,
      );
      setForm(emptyInvite);
      setIdempotencyKey(newIdempotencyKey());
      onInvited(user);
    } catch (caught) {
      setError(errorMessage(caught));
      setFieldErrors(fieldErrorsOf(caught));
      if (refusedByServer(caught)) setIdempotencyKey(newIdempotencyKey());
    }
    setBusy(false);
  }

  const set = (patch: Partial<InviteFormState>) => setForm((current) => ({ ...current, ...patch }));

  return (
    <form className="card" onSubmit={submit} noValidate aria-label="Invite a user">
      <div className="card-body">
        <h3>Invite a user</h3>
        <p className="muted">
          They get an e-mail with a link to choose their password; the link works once, for 72 hours.
        </p>
        {error && (
          <div className="alert alert-error" role="alert">
            {error}
          </div>
        )}
        <div className="form-grid">
          <div className="field">
            <label htmlFor="invite-name">Name</label>
            <input
              id="invite-name"
              value={form.name}
              onChange={(event) => set({ name: event.target.value })}
              aria-invalid={fieldErrors.name ? true : undefined}
              aria-describedby="invite-name-error"
            />
            <FieldErrorText id="invite-name-error" message={fieldErrors.name} />
          </div>
          <div className="field">
            <label htmlFor="invite-email">Email</label>
            <input
              id="invite-email"
              type="email"
              value={form.email}
              onChange={(event) => set({ email: event.target.value })}
              aria-invalid={fieldErrors.email ? true : undefined}
              aria-describedby="invite-email-error"
            />
            <FieldErrorText id="invite-email-error" message={fieldErrors.email} />
          </div>
          <div className="field">
            <label htmlFor="invite-role">Role</label>
            <select
              id="invite-role"
              value={form.role}
              onChange={(event) => set({ role: event.target.value as ConsoleRole })}
            >
              <option value="agent">Agent — customers and payments</option>
              <option value="staff">Staff — everything, including settings</option>
            </select>
            <FieldErrorText id="invite-role-error" message={fieldErrors.role} />
          </div>
        </div>
        <div className="form-actions">
          <button type="submit" className="button button-primary" disabled={busy}>
            Send invitation
          </button>
        </div>
      </div>
    </form>
  );
}
