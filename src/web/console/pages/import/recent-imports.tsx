// The agency's latest imports on /app/import: what was imported, when, and how it ended.

import type { BookImport } from '../../api/import-api.ts';
import { formatDateTime } from '../../shared/format.ts';
import { TableWrap } from '../../shared/table-wrap.tsx';
import { kindGuides } from './kind-guide.ts';

const states: Record<BookImport['status'], { label: string; tone: string }> = {
  rejected: { label: 'Has problems', tone: 'badge-red' },
  previewed: { label: 'Previewed', tone: 'badge-blue' },
  committing: { label: 'Committing', tone: 'badge-amber' },
  committed: { label: 'Imported', tone: 'badge-green' },
};

export function RecentImports({ imports }: { imports: BookImport[] | null }) {
  return (
    <section className="card import-recent" aria-labelledby="recent-imports-heading">
      <div className="card-body">
        <h2 id="recent-imports-heading">Recent imports</h2>
        {imports === null && <p className="loading">Loading…</p>}
        {imports?.length === 0 && <p className="muted">Nothing has been imported yet.</p>}
      </div>
      {imports && imports.length > 0 && (
        <TableWrap label="Recent imports">
          <table className="data-table" aria-label="Recent imports">
            <thead>
              <tr>
                <th scope="col">Kind</th>
                <th scope="col">File</th>
                <th scope="col">When</th>
                <th scope="col">State</th>
                <th scope="col" className="num">
                  Rows
                </th>
                <th scope="col" className="num">
                  Create
                </th>
                <th scope="col" className="num">
                  Unchanged
                </th>
                <th scope="col" className="num">
                  Skipped
                </th>
                <th scope="col" className="num">
                  Problems
                </th>
              </tr>
            </thead>
            <tbody>
              {imports.map((item) => (
                <tr key={item.id}>
                  <td>{kindGuides[item.kind].label}</td>
                  <td>{item.fileName ?? <span className="muted">(no name)</span>}</td>
                  <td>{formatDateTime(item.committedAt ?? item.createdAt)}</td>
                  <td>
                    <span className={`badge ${states[item.status].tone}`}>{states[item.status].label}</span>
                    {item.status === 'committing' && (
                      <span className="cell-sub">
                        {item.rowsDone} of {item.rowsTotal} rows
                      </span>
                    )}
                  </td>
                  <td className="num">{item.counts.rows}</td>
                  <td className="num">{item.counts.create}</td>
                  <td className="num">{item.counts.unchanged}</td>
                  <td className="num">{item.counts.skipped}</td>
                  <td className="num">{item.problemCount}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
    </section>
  );
}
