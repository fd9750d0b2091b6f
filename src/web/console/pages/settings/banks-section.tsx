// /app/settings/banks (staff): the banks money is deposited to (a receipt's bank short name, as the
// AMS360 receipt API calls it), their divisions, and which API keys may use which bank.
import { type FormEvent, useCallback, useEffect, useState } from 'react';
import { type Bank, errorMessage, isAbortError, newIdempotencyKey } from '../../api/api.ts';
import { type BankGrant, createBank, listAllBanks, listBankGrants, updateBank } from '../../api/settings-api.ts';
import { FieldErrorText } from '../../shared/field-errors.tsx';
import { fieldErrorsOf } from '../../shared/problem-fields.ts';
import { TableWrap } from '../../shared/table-wrap.tsx';
import { refusalSummary } from './setting-fields.tsx';

type Form = { shortName: string; name: string; division: string };
const emptyForm: Form = { shortName: '', name: '', division: '' };

export function BanksSection() {
  const [banks, setBanks] = useState<Bank[] | null>(null);
  const [grants, setGrants] = useState<BankGrant[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  /** null: adding a bank; otherwise the bank being edited. */
  const [editing, setEditing] = useState<Bank | null>(null);
  const [form, setForm] = useState<Form>(emptyForm);
  const [error, setError] = useState<string | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [saved, setSaved] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [createKey, setCreateKey] = useState(newIdempotencyKey);

  /** Reads the list again; resolves once it is shown (a saved message then shows with it). */
  const load = useCallback((signal?: AbortSignal) => {
    return Promise.all([listAllBanks(signal), listBankGrants(signal)]).then(
      ([b, g]) => {
        setBanks(b.data);
        setGrants(g.data);
      },
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

  function startEdit(bank: Bank | null) {
    setEditing(bank);
    setForm(bank ? { shortName: bank.shortName, name: bank.name, division: bank.division } : emptyForm);
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
      const bank = editing
        ? await updateBank(editing.id, { name: form.name, division: form.division })
        : await createBank(form, createKey);
      if (!editing) setCreateKey(newIdempotencyKey());
      setEditing(null);
      setForm(emptyForm);
      await load();
      setSaved(editing ? `Bank ${bank.shortName} saved.` : `Bank ${bank.shortName} added.`);
    } catch (caught) {
      const fields = fieldErrorsOf(caught);
      setError(refusalSummary(errorMessage(caught), fields));
      setFieldErrors(fields);
    }
    setBusy(false);
  }

  const divisions = [...new Set((banks ?? []).map((b) => b.division))].sort();
  const title = editing ? `Edit bank ${editing.shortName}` : 'Add a bank';

  return (
    <>
      <div className="section-header">
        <h2>Banks and divisions</h2>
        <p className="page-subtitle">
          Where receipts are deposited. A bank belongs to a division; API keys can be limited to some banks.
        </p>
      </div>
      {loadError && (
        <div className="alert alert-error" role="alert">
          {loadError}
        </div>
      )}
      {saved && <output className="alert alert-success">{saved}</output>}
      <section className="card" aria-labelledby="banks-heading" data-testid="banks">
        <div className="card-header">
          <h3 id="banks-heading">Banks</h3>
        </div>
        {!banks && !loadError && <p className="loading">Loading…</p>}
        {banks && (
          <TableWrap label="Banks">
            <table className="data-table">
              <thead>
                <tr>
                  <th scope="col">Short name</th>
                  <th scope="col">Name</th>
                  <th scope="col">Division</th>
                  <th scope="col" className="actions">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {banks.map((bank) => (
                  <tr key={bank.id}>
                    <td>{bank.shortName}</td>
                    <td>{bank.name}</td>
                    <td>{bank.division}</td>
                    <td className="actions">
                      <button
                        type="button"
                        className="button button-secondary"
                        aria-label={`Edit bank ${bank.shortName}`}
                        onClick={() => startEdit(bank)}
                      >
                        Edit
                      </button>
                    </td>
                  </tr>
                ))}
                {banks.length === 0 && (
                  <tr>
                    <td colSpan={4} className="empty-cell">
                      No banks yet. Add the first below; payments need one to be deposited to.
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
            <div className="field">
              <label htmlFor="bank-short-name">Short name</label>
              <input
                id="bank-short-name"
                value={form.shortName}
                readOnly={editing !== null}
                onChange={(event) => setForm({ ...form, shortName: event.target.value })}
                aria-invalid={fieldErrors.shortName ? true : undefined}
                aria-describedby="bank-short-name-hint bank-short-name-error"
              />
              <p className="field-hint" id="bank-short-name-hint">
                {editing
                  ? "Can't change: receipts, the AMS360 export and API keys name the bank by it."
                  : 'The AMS360 bankShortName: 1–20 letters, digits, _ . or -.'}
              </p>
              <FieldErrorText id="bank-short-name-error" message={fieldErrors.shortName} />
            </div>
            <div className="field">
              <label htmlFor="bank-name">Name</label>
              <input
                id="bank-name"
                value={form.name}
                onChange={(event) => setForm({ ...form, name: event.target.value })}
                aria-invalid={fieldErrors.name ? true : undefined}
                aria-describedby="bank-name-error"
              />
              <FieldErrorText id="bank-name-error" message={fieldErrors.name} />
            </div>
            <div className="field">
              <label htmlFor="bank-division">Division</label>
              <input
                id="bank-division"
                list="bank-divisions"
                value={form.division}
                onChange={(event) => setForm({ ...form, division: event.target.value })}
                aria-invalid={fieldErrors.division ? true : undefined}
                aria-describedby="bank-division-hint bank-division-error"
              />
              <datalist id="bank-divisions">
                {divisions.map((d) => (
                  <option key={d} value={d} />
                ))}
              </datalist>
              <p className="field-hint" id="bank-division-hint">
                Pick one or type a new name: a new division is created.
              </p>
              <FieldErrorText id="bank-division-error" message={fieldErrors.division} />
            </div>
          </div>
          <div className="form-actions">
            <button type="submit" className="button button-primary" disabled={busy}>
              {editing ? 'Save bank' : 'Add bank'}
            </button>
            {editing && (
              <button type="button" className="button button-secondary" onClick={() => startEdit(null)}>
                Cancel
              </button>
            )}
          </div>
        </div>
      </form>

      <section className="card" aria-labelledby="bank-access-heading" data-testid="bank-access">
        <div className="card-header">
          <h3 id="bank-access-heading">Bank access</h3>
        </div>
        <p className="card-body field-hint">
          Signed-in staff and agents may deposit to every bank. An API key may be limited to some banks (and so to their
          divisions) when it is created; a key limited to other banks is refused.
        </p>
        {grants && (
          <TableWrap label="Bank access">
            <table className="data-table">
              <thead>
                <tr>
                  <th scope="col">API key</th>
                  <th scope="col">Role</th>
                  <th scope="col">May deposit to</th>
                </tr>
              </thead>
              <tbody>
                {grants.map((grant) => (
                  <tr key={grant.keyId}>
                    <td>
                      {grant.keyName} <span className="muted">({grant.keyPrefix}…)</span>
                    </td>
                    <td>{grant.role}</td>
                    <td>{grant.banks ? grant.banks.join(', ') : 'Every bank'}</td>
                  </tr>
                ))}
                {grants.length === 0 && (
                  <tr>
                    <td colSpan={3} className="empty-cell">
                      No API keys.
                    </td>
                  </tr>
                )}
              </tbody>
            </table>
          </TableWrap>
        )}
      </section>
    </>
  );
}
