// /app/settings/api-keys (staff): the keys other systems use to call policypay's API. A new key's
// secret is shown once, here, with a copy button; only its hash is stored. Revoking is immediate.
import { type FormEvent, useCallback, useEffect, useState } from 'react';
import { type Bank, errorMessage, isAbortError, listBanks, newIdempotencyKey, refusedByServer } from '../../api/api.ts';
import {
  type ApiKey,
  type ConsoleRole,
  type CreatedApiKey,
  createApiKey,
  listApiKeys,
  revokeApiKey,
} from '../../api/people-api.ts';
import { FieldErrorText } from '../../shared/field-errors.tsx';
import { formatDateTime } from '../../shared/format.ts';
import { fieldErrorsOf } from '../../shared/problem-fields.ts';
import { TableWrap } from '../../shared/table-wrap.tsx';

export function ApiKeysSection() {
  const [keys, setKeys] = useState<ApiKey[] | null>(null);
  const [banks, setBanks] = useState<Bank[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [created, setCreated] = useState<CreatedApiKey | null>(null);
  const [confirming, setConfirming] = useState<ApiKey | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const reload = useCallback((signal?: AbortSignal) => {
    listApiKeys(signal).then(
      (result) => setKeys(result.data),
      (caught: unknown) => {
        if (!isAbortError(caught)) setError(errorMessage(caught));
      },
    );
  }, []);

  useEffect(() => {
    const controller = new AbortController();
    reload(controller.signal);
    listBanks(controller.signal).then(
      (result) => setBanks(result.data),
      (caught: unknown) => {
        if (!isAbortError(caught)) setError(errorMessage(caught));
      },
    );
    return () => controller.abort();
  }, [reload]);

  async function revoke(key: ApiKey) {
    setBusy(true);
    setError(null);
    try {
      await revokeApiKey(key.id);
      setConfirming(null);
      setNotice(`"${key.name}" is revoked: the API refuses it from now on.`);
      reload();
    } catch (caught) {
      setError(errorMessage(caught));
    }
    setBusy(false);
  }

  return (
    <>
      <div className="section-header">
        <h2>API keys</h2>
        <p className="page-subtitle">
          Keys let another system (your AMS, a lockbox, a script) call the policypay API: it sends the key in the
          Authorization header ("Bearer" and the key). A key limited to some banks can only deposit payments to them.
        </p>
      </div>
      {error && (
        <div className="alert alert-error" role="alert">
          {error}
        </div>
      )}
      {notice && <output className="alert alert-success">{notice}</output>}
      {created ? (
        <NewKey created={created} onDone={() => setCreated(null)} />
      ) : (
        <CreateKeyForm
          banks={banks}
          onCreated={(key) => {
            setNotice(null);
            setCreated(key);
            reload();
          }}
        />
      )}
      {!keys && !error && <p className="loading">Loading…</p>}
      {keys && (
        <div className="card">
          <TableWrap label="API keys">
            <table className="data-table" aria-label="API keys">
              <thead>
                <tr>
                  <th scope="col">Name and key</th>
                  <th scope="col">Role</th>
                  <th scope="col">Banks</th>
                  <th scope="col">Created</th>
                  <th scope="col">Last used</th>
                  <th scope="col">Status</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {keys.map((key) => (
                  <tr key={key.id}>
                    <td>
                      {key.name}
                      <span className="cell-sub mono">{key.prefix}…</span>
                    </td>
                    <td>{key.role === 'staff' ? 'Staff' : 'Agent'}</td>
                    <td>{key.banks?.length ? key.banks.join(', ') : 'All banks'}</td>
                    <td>{formatDateTime(key.createdAt)}</td>
                    <td>{key.lastUsedAt ? formatDateTime(key.lastUsedAt) : <span className="muted">Never</span>}</td>
                    <td>
                      {key.revokedAt ? (
                        <span className="badge badge-gray">Revoked {formatDateTime(key.revokedAt)}</span>
                      ) : (
                        <span className="badge badge-green">Active</span>
                      )}
                    </td>
                    <td className="actions">
                      {!key.revokedAt && (
                        <button
                          type="button"
                          className="button button-secondary text-danger"
                          disabled={busy}
                          onClick={() => setConfirming(key)}
                          aria-label={`Revoke ${key.name}`}
                        >
                          Revoke
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        </div>
      )}
      {confirming && (
        <section className="card" role="alertdialog" aria-label={`Revoke ${confirming.name}?`}>
          <div className="card-body">
            <h3>Revoke "{confirming.name}"?</h3>
            <p>Every system using this key is refused from the next request on. This cannot be undone.</p>
            <div className="form-actions">
              <button
                type="button"
                className="button button-primary"
                disabled={busy}
                onClick={() => revoke(confirming)}
              >
                Yes, revoke the key
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

/** The secret, once: nothing can show it again (only its hash is stored). */
function NewKey({ created, onDone }: { created: CreatedApiKey; onDone: () => void }) {
  const [copied, setCopied] = useState<'yes' | 'failed' | null>(null);

  async function copy() {
    try {
      await navigator.clipboard.writeText(created.key);
      setCopied('yes');
    } catch {
      setCopied('failed');
    }
  }

  return (
    <section className="card" aria-label="New API key">
      <div className="card-body">
        <h3>Key "{created.name}" created</h3>
        <div className="alert alert-warning">
          Copy the key now and store it where the other system keeps its secrets. You won't see it again: policypay
          keeps only a fingerprint of it.
        </div>
        <div className="field">
          <label htmlFor="new-api-key">Your new API key</label>
          <input
            id="new-api-key"
            className="mono secret-key"
            readOnly
            value={created.key}
            onFocus={(event) => event.currentTarget.select()}
          />
        </div>
        <div className="form-actions">
          <button type="button" className="button button-primary" onClick={copy}>
            Copy key
          </button>
          <button type="button" className="button button-secondary" onClick={onDone}>
            Done, I've stored it
          </button>
          {copied === 'yes' && <output>Copied to the clipboard.</output>}
          {copied === 'failed' && <output>The browser refused to copy: select the key and copy it yourself.</output>}
        </div>
      </div>
    </section>
  );
}

type KeyForm = { name: string; role: ConsoleRole; banks: string[] };
const emptyKey: KeyForm = { name: '', role: 'staff', banks: [] };

function CreateKeyForm({ banks, onCreated }: { banks: Bank[]; onCreated: (key: CreatedApiKey) => void }) {
  const [form, setForm] = useState(emptyKey);
  const [error, setError] = useState<string | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const [idempotencyKey, setIdempotencyKey] = useState(newIdempotencyKey);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setFieldErrors({});
    try {
      const key = await createApiKey(
        { name: form.name.trim(), role: form.role, ...(form.banks.length ? { banks: form.banks } : {}) },
        idempotencyKey,
      );
      setForm(emptyKey);
      setIdempotencyKey(newIdempotencyKey());
      onCreated(key);
    } catch (caught) {
      setError(errorMessage(caught));
      setFieldErrors(fieldErrorsOf(caught));
      if (refusedByServer(caught)) setIdempotencyKey(newIdempotencyKey());
    }
    setBusy(false);
  }

  const toggleBank = (shortName: string, on: boolean) =>
    setForm((current) => ({
      ...current,
      banks: on ? [...current.banks, shortName] : current.banks.filter((b) => b !== shortName),
    }));

  return (
    <form className="card" onSubmit={submit} noValidate aria-label="Create an API key">
      <div className="card-body">
        <h3>Create an API key</h3>
        {error && (
          <div className="alert alert-error" role="alert">
            {error}
          </div>
        )}
        <div className="form-grid">
          <div className="field">
            <label htmlFor="key-name">Name</label>
            <input
              id="key-name"
              value={form.name}
              onChange={(event) => setForm({ ...form, name: event.target.value })}
              aria-invalid={fieldErrors.name ? true : undefined}
              aria-describedby="key-name-hint key-name-error"
            />
            <p className="field-hint" id="key-name-hint">
              What uses it, e.g. "AMS360 sync".
            </p>
            <FieldErrorText id="key-name-error" message={fieldErrors.name} />
          </div>
          <div className="field">
            <label htmlFor="key-role">Acts as</label>
            <select
              id="key-role"
              value={form.role}
              onChange={(event) => setForm({ ...form, role: event.target.value as ConsoleRole })}
            >
              <option value="staff">Staff — everything, including settings</option>
              <option value="agent">Agent — customers and payments</option>
            </select>
          </div>
        </div>
        <fieldset className="field">
          <legend>Banks it may deposit to</legend>
          {banks.length === 0 && <p className="muted">The agency has no banks yet: the key may use every bank.</p>}
          {banks.map((bank) => (
            <label className="choice" key={bank.id}>
              <input
                type="checkbox"
                checked={form.banks.includes(bank.shortName)}
                onChange={(event) => toggleBank(bank.shortName, event.target.checked)}
              />{' '}
              {bank.shortName} — {bank.name} ({bank.division})
            </label>
          ))}
          <p className="field-hint">None ticked: every bank, including banks added later.</p>
          <FieldErrorText id="key-banks-error" message={fieldErrors.banks} />
        </fieldset>
        <div className="form-actions">
          <button type="submit" className="button button-primary" disabled={busy}>
            Create key
          </button>
        </div>
      </div>
    </form>
  );
}
