// What a previewed import will do (or did): its counts, its problems by row, column and rule, the
// commit button, and the progress bar of a commit under way.

import type { BookImport } from '../../api/import-api.ts';
import { formatDateTime } from '../../shared/format.ts';
import { TableWrap } from '../../shared/table-wrap.tsx';
import { kindGuides } from './kind-guide.ts';

type Props = {
  current: BookImport;
  phase: 'previewed' | 'committing' | 'done';
  commitError: string | null;
  onCommit: () => void;
};

function plural(n: number, word: string): string {
  return `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;
}

export function ImportOutcome({ current, phase, commitError, onCommit }: Props) {
  const label = kindGuides[current.kind].label.toLowerCase();
  const file = current.fileName ?? `the ${label} file`;
  if (current.status === 'rejected') return <Problems current={current} file={file} />;

  const { create, unchanged, skipped } = current.counts;
  const done = phase === 'done';
  const alreadyIn = phase === 'previewed' && current.status === 'committed';
  return (
    <section className="card import-outcome" aria-label={done ? 'Import done' : 'Preview'}>
      <div className="card-body">
        <h2>{done ? `Imported ${file}` : `Preview of ${file}`}</h2>
        <dl className="stats">
          <div className="stat">
            <dt>{done ? 'Created' : 'Rows to create'}</dt>
            <dd data-testid="count-create">{create}</dd>
          </div>
          <div className="stat">
            <dt>Unchanged (already in the book)</dt>
            <dd data-testid="count-unchanged">{unchanged}</dd>
          </div>
          <div className="stat">
            <dt>Skipped</dt>
            <dd data-testid="count-skipped">{skipped}</dd>
          </div>
        </dl>
        {skipped > 0 && current.kind === 'invoices' && (
          <p className="muted">Skipped invoices were paid in full in the old system: there is nothing to collect.</p>
        )}
        {alreadyIn && (
          <output className="alert alert-success">
            This file was imported{current.committedAt ? ` on ${formatDateTime(current.committedAt)}` : ''}: it creates
            nothing new.
          </output>
        )}
        {(phase === 'committing' || done) && <Progress current={current} done={done} />}
        {done && (
          <output className="alert alert-success">
            Done: {plural(create, 'row')} created, {unchanged.toLocaleString('en-US')} unchanged,{' '}
            {skipped.toLocaleString('en-US')} skipped.
          </output>
        )}
        {commitError && (
          <div className="alert alert-error" role="alert">
            {commitError}
          </div>
        )}
        {!done && !alreadyIn && (
          <div className="form-actions">
            <button
              type="button"
              className="button button-primary"
              onClick={onCommit}
              disabled={phase === 'committing'}
            >
              {phase === 'committing'
                ? 'Committing…'
                : current.status === 'committing'
                  ? 'Carry on committing'
                  : 'Commit import'}
            </button>
          </div>
        )}
      </div>
    </section>
  );
}

function Progress({ current, done }: { current: BookImport; done: boolean }) {
  const total = current.rowsTotal;
  const rows = done ? total : Math.min(current.rowsDone, total);
  return (
    <div className="import-progress">
      <progress aria-label="Import progress" max={Math.max(total, 1)} value={total === 0 ? 1 : rows} />
      <span aria-live="polite">
        {done ? 'All' : rows.toLocaleString('en-US')} of {plural(total, 'row')} {done ? 'done' : 'written'}
      </span>
    </div>
  );
}

function Problems({ current, file }: { current: BookImport; file: string }) {
  const more = current.problemCount - current.problems.length;
  return (
    <section className="card import-outcome" aria-label="Problems">
      <div className="card-body">
        <h2>Problems in {file}</h2>
        <div className="alert alert-error" role="alert">
          {plural(current.problemCount, 'problem')} found. Nothing will be written until you fix{' '}
          {current.problemCount === 1 ? 'it' : 'these'} in the file and preview it again.
        </div>
        <p className="muted">Rows count as in a spreadsheet: the header is row 1. Column * means the whole row.</p>
        <TableWrap label="Problems">
          <table className="data-table" aria-label="Problems">
            <thead>
              <tr>
                <th scope="col">Row</th>
                <th scope="col">Column</th>
                <th scope="col">Rule</th>
              </tr>
            </thead>
            <tbody>
              {current.problems.map((problem, index) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: a row and column can break two rules; the list never reorders.
                <tr key={index}>
                  <td>{problem.row}</td>
                  <td className="mono">{problem.column}</td>
                  <td>{problem.rule}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
        {more > 0 && <p className="muted">…and {plural(more, 'more problem')} not listed.</p>}
      </div>
    </section>
  );
}
