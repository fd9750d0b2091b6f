// /app/import (staff): bring the agency's book in from CSV, one kind of file at a time, in order.
// Choose the kind and the file, preview it (what it creates, and every problem by row, column and
// rule), then commit it and follow its progress. Nothing is written before the commit, and a file
// with problems cannot be committed. The same file again is the same import: it creates nothing.
import { type ChangeEvent, type FormEvent, useCallback, useEffect, useRef, useState } from 'react';
import { errorMessage, isAbortError, newIdempotencyKey, refusedByServer } from '../../api/api.ts';
import {
  type BookImport,
  commitImport,
  getImport,
  type ImportKind,
  importKinds,
  listImports,
  previewImport,
} from '../../api/import-api.ts';
import { ImportOutcome } from './import-outcome.tsx';
import { exampleHref, kindGuides } from './kind-guide.ts';
import { RecentImports } from './recent-imports.tsx';

type ChosenFile = { name: string; text: string };
/** How often the page asks for a running commit's progress. */
const POLL_MS = 1000;

export function ImportPage() {
  const [kind, setKind] = useState<ImportKind>('customers');
  const [file, setFile] = useState<ChosenFile | null>(null);
  const [reading, setReading] = useState(false);
  const [current, setCurrent] = useState<BookImport | null>(null);
  const [phase, setPhase] = useState<'idle' | 'previewing' | 'previewed' | 'committing' | 'done'>('idle');
  const [error, setError] = useState<string | null>(null);
  const [commitError, setCommitError] = useState<string | null>(null);
  const [recent, setRecent] = useState<BookImport[] | null>(null);
  // One key per action, kept while the same action is retried (a network error), renewed after.
  const [previewKey, setPreviewKey] = useState(newIdempotencyKey);
  const [commitKey, setCommitKey] = useState(newIdempotencyKey);
  const alive = useRef(true);

  useEffect(() => {
    document.title = 'Import the book · policypay';
    alive.current = true;
    return () => {
      alive.current = false;
    };
  }, []);

  const reloadRecent = useCallback((signal?: AbortSignal) => {
    listImports(signal).then(
      (result) => setRecent(result.imports),
      (caught: unknown) => {
        if (!isAbortError(caught)) setError(errorMessage(caught));
      },
    );
  }, []);

  useEffect(() => {
    const controller = new AbortController();
    reloadRecent(controller.signal);
    return () => controller.abort();
  }, [reloadRecent]);

  function startOver() {
    setCurrent(null);
    setPhase('idle');
    setError(null);
    setCommitError(null);
    setPreviewKey(newIdempotencyKey());
  }

  async function chooseFile(event: ChangeEvent<HTMLInputElement>) {
    const chosen = event.target.files?.[0];
    startOver();
    setFile(null);
    if (!chosen) return;
    setReading(true);
    try {
      const text = await chosen.text();
      setFile({ name: chosen.name, text });
    } catch (caught) {
      setError(`Could not read ${chosen.name}: ${errorMessage(caught)}`);
    }
    setReading(false);
  }

  async function preview(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!file) {
      setError('Choose a CSV file first.');
      return;
    }
    setPhase('previewing');
    setError(null);
    try {
      const found = await previewImport({ kind, fileName: file.name, csv: file.text }, previewKey);
      setCurrent(found);
      setPhase('previewed');
      setPreviewKey(newIdempotencyKey());
      setCommitKey(newIdempotencyKey());
      reloadRecent();
    } catch (caught) {
      setError(errorMessage(caught));
      setPhase('idle');
      if (refusedByServer(caught)) setPreviewKey(newIdempotencyKey());
    }
  }

  async function commit() {
    if (!current) return;
    const id = current.id;
    setPhase('committing');
    setCommitError(null);
    let running = true;
    // The commit answers when every batch is in; meanwhile its progress is read as it is recorded.
    const follow = async () => {
      while (running && alive.current) {
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
        if (!running || !alive.current) return;
        try {
          const progress = await getImport(id);
          if (running && alive.current) setCurrent(progress);
        } catch {
          // A missed reading is harmless: the next one (or the commit's answer) catches up.
        }
      }
    };
    void follow();
    try {
      const done = await commitImport(id, commitKey);
      running = false;
      if (!alive.current) return;
      setCurrent(done);
      setPhase('done');
      setCommitKey(newIdempotencyKey());
    } catch (caught) {
      running = false;
      if (!alive.current) return;
      setCommitError(`${errorMessage(caught)} Commit again to carry on: rows already written are not written twice.`);
      setPhase('previewed');
      if (refusedByServer(caught)) setCommitKey(newIdempotencyKey());
    }
    reloadRecent();
  }

  const busy = reading || phase === 'previewing' || phase === 'committing';
  const guide = kindGuides[kind];

  return (
    <>
      <div className="page-header">
        <div>
          <h1>Import the book</h1>
          <p className="page-subtitle">
            Bring your customers, contacts, policies and open invoices over from your AMS as CSV files, one kind at a
            time, in the order below. Each file is checked first; nothing is written until you commit it.
          </p>
        </div>
      </div>
      <form className="card import-form" onSubmit={preview} aria-label="Import a file" noValidate>
        <div className="card-body">
          <fieldset>
            <legend>What does the file hold?</legend>
            <ol className="import-kinds">
              {importKinds.map((k, index) => (
                <li key={k}>
                  <label className="choice">
                    <input
                      type="radio"
                      name="import-kind"
                      value={k}
                      checked={kind === k}
                      disabled={busy}
                      onChange={() => {
                        setKind(k);
                        startOver();
                      }}
                    />
                    <span>
                      {index + 1}. {kindGuides[k].label}
                    </span>
                  </label>
                  <span className="field-hint">{kindGuides[k].summary}</span>
                </li>
              ))}
            </ol>
          </fieldset>
          <details className="import-columns">
            <summary>Columns of the {guide.label.toLowerCase()} file</summary>
            <p>
              <strong>Required:</strong> {guide.required}.
            </p>
            <p>
              <strong>Optional:</strong> {guide.optional}. Other columns are ignored.
            </p>
            <p className="muted">
              The first row names the columns. Dates are 2026-01-31 or 1/31/2026; amounts are dollars ($1,234.50). The
              full rules are in the policypay documentation, docs/import.md.{' '}
              <a href={exampleHref(kind)} download={`${kind}.csv`}>
                Download an example {kind}.csv
              </a>
            </p>
          </details>
          <div className="field">
            <label htmlFor="import-file">CSV file</label>
            <input id="import-file" type="file" accept=".csv,text/csv" onChange={chooseFile} disabled={busy} />
          </div>
          {error && (
            <div className="alert alert-error" role="alert">
              {error}
            </div>
          )}
          <div className="form-actions">
            <button type="submit" className="button button-primary" disabled={busy || !file}>
              {phase === 'previewing' ? 'Checking…' : 'Preview'}
            </button>
          </div>
        </div>
      </form>
      {current && (
        <ImportOutcome
          current={current}
          phase={phase === 'committing' ? 'committing' : phase === 'done' ? 'done' : 'previewed'}
          commitError={commitError}
          onCommit={commit}
        />
      )}
      <RecentImports imports={recent} />
    </>
  );
}
