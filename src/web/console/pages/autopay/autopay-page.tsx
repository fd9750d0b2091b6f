// /app/autopay: the pulls due in the next 14 days per agency day (today by the server's clock),
// the failed and declined pulls with the processor's reason and Re-fire (staff), the enrollments
// in keyset pages, and each autopay pass's summary.
import { useEffect, useState } from 'react';
import { type AutopayRun, type DueDay, getDueDays, listAutopayRuns } from '../../api/autopay-api.ts';
import { formatMoney, humanize } from '../../shared/format.ts';
import { TableWrap } from '../../shared/table-wrap.tsx';
import { EnrollmentsSection } from './autopay-enrollments.tsx';
import { FailedPullsSection } from './autopay-failures.tsx';
import { agencyDateTime, useLoaded } from './autopay-shared.ts';

const dayLabel = new Intl.DateTimeFormat('en-US', {
  weekday: 'short',
  month: 'short',
  day: 'numeric',
  timeZone: 'UTC',
});

function formatDay(date: string): string {
  const [y, m, d] = date.split('-').map(Number);
  return dayLabel.format(new Date(Date.UTC(y!, m! - 1, d!)));
}

export function AutopayPage({ timeZone, canRefire }: { timeZone: string; canRefire: boolean }) {
  const [reload, setReload] = useState(0);

  useEffect(() => {
    document.title = 'Autopay · policypay';
  }, []);

  return (
    <>
      <div className="page-header">
        <div>
          <h1>Autopay</h1>
          <p className="page-subtitle">Pulls due, failures and passes, on the agency's calendar ({timeZone}).</p>
        </div>
        <div className="filter-actions">
          <button type="button" className="button button-secondary" onClick={() => setReload((n) => n + 1)}>
            Refresh
          </button>
        </div>
      </div>
      <div className="autopay-grid">
        <DueDaysSection reload={reload} />
        <RunsSection reload={reload} timeZone={timeZone} />
      </div>
      <FailedPullsSection
        reload={reload}
        timeZone={timeZone}
        canRefire={canRefire}
        onRefired={() => setReload((n) => n + 1)}
      />
      <EnrollmentsSection reload={reload} timeZone={timeZone} />
    </>
  );
}

function DueDaysSection({ reload }: { reload: number }) {
  const state = useLoaded<{ days: DueDay[] }>(getDueDays, reload);
  const days = state.status === 'ready' ? state.value.days : [];
  const total = days.reduce((sum, day) => ({ count: sum.count + day.count, amount: sum.amount + day.amount }), {
    count: 0,
    amount: 0,
  });
  return (
    <section className="card autopay-section" aria-labelledby="autopay-due-heading">
      <div className="card-header">
        <h2 id="autopay-due-heading">Due in the next 14 days</h2>
      </div>
      {state.status === 'error' && (
        <div className="alert alert-error card-alert" role="alert">
          Could not load the pulls due: {state.message}
        </div>
      )}
      <TableWrap label="Pulls due">
        <table className="data-table" aria-label="Pulls due">
          <thead>
            <tr>
              <th scope="col">Day</th>
              <th scope="col" className="num">
                Pulls
              </th>
              <th scope="col" className="num">
                Amount
              </th>
            </tr>
          </thead>
          <tbody>
            {state.status === 'loading' && (
              <tr>
                <td colSpan={3} className="empty-cell">
                  Loading the pulls due…
                </td>
              </tr>
            )}
            {days.map((day, index) => (
              <tr key={day.date} className={day.count === 0 ? 'autopay-quiet-day' : undefined}>
                <th scope="row">
                  {index === 0 ? 'Today, ' : ''}
                  {formatDay(day.date)}
                </th>
                <td className="num">{day.count}</td>
                <td className="num">{formatMoney(day.amount)}</td>
              </tr>
            ))}
          </tbody>
          {state.status === 'ready' && (
            <tfoot>
              <tr>
                <th scope="row">14 days</th>
                <td className="num">{total.count}</td>
                <td className="num">{formatMoney(total.amount)}</td>
              </tr>
            </tfoot>
          )}
        </table>
      </TableWrap>
    </section>
  );
}

function RunsSection({ reload, timeZone }: { reload: number; timeZone: string }) {
  const state = useLoaded<{ data: AutopayRun[] }>(listAutopayRuns, reload);
  return (
    <section className="card autopay-section" aria-labelledby="autopay-runs-heading">
      <div className="card-header">
        <h2 id="autopay-runs-heading">Passes</h2>
      </div>
      {state.status === 'error' && (
        <div className="alert alert-error card-alert" role="alert">
          Could not load the passes: {state.message}
        </div>
      )}
      <TableWrap label="Passes">
        <table className="data-table" aria-label="Passes">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col" className="num">
                Due
              </th>
              <th scope="col" className="num">
                Fired
              </th>
              <th scope="col" className="num">
                Posted
              </th>
              <th scope="col" className="num">
                Failed
              </th>
              <th scope="col" className="num">
                Skipped
              </th>
            </tr>
          </thead>
          <tbody>
            {state.status === 'loading' && (
              <tr>
                <td colSpan={6} className="empty-cell">
                  Loading the passes…
                </td>
              </tr>
            )}
            {state.status === 'ready' && state.value.data.length === 0 && (
              <tr>
                <td colSpan={6} className="empty-cell">
                  No pass has fired anything yet.
                </td>
              </tr>
            )}
            {state.status === 'ready' &&
              state.value.data.map((run) => (
                <tr key={run.id}>
                  <th scope="row">
                    {agencyDateTime(run.startedAt, timeZone)}
                    <span className="muted autopay-trigger">
                      {' '}
                      {humanize(run.trigger)}
                      {run.status === 'finished' ? '' : ` · ${humanize(run.status)}`}
                    </span>
                  </th>
                  <td className="num">{run.summary.due}</td>
                  <td className="num">{run.summary.fired}</td>
                  <td className="num">{run.summary.posted}</td>
                  <td className="num">{run.summary.failed}</td>
                  <td className="num">{run.summary.skipped}</td>
                </tr>
              ))}
          </tbody>
        </table>
      </TableWrap>
    </section>
  );
}
