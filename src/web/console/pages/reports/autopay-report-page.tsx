// /app/reports/autopay: autopay's attempts per day, its success rate and the decline reasons.
import type { AutopayReport } from '../../api/reports-api.ts';
import { formatDate } from '../../shared/format.ts';
import { TableWrap } from '../../shared/table-wrap.tsx';
import { AutopayChart } from './charts.tsx';
import { ChartFigure, ReportShell, useReport } from './report-shell.tsx';

const rate = (value: number | null) => (value === null ? '—' : `${value.toFixed(1)}%`);

export function AutopayReportPage({ search }: { search: string }) {
  const state = useReport<AutopayReport>('autopay', search);
  const report = state.status === 'ready' ? state.report : null;
  return (
    <ReportShell
      report="autopay"
      search={search}
      subtitle="Autopay's attempts at the processor by the day they started: success rate and decline reasons."
      fields={[
        { name: 'from', label: 'From', type: 'date' },
        { name: 'to', label: 'To', type: 'date' },
      ]}
      shown={report ? { from: report.from, to: report.to } : {}}
      state={state}
    >
      {report && (
        <>
          <ChartFigure caption={`Autopay attempts and success rate per day (${report.timeZone})`}>
            <AutopayChart data={report.days} />
          </ChartFigure>
          <p className="card card-toolbar toolbar-status" data-testid="autopay-summary">
            {report.totals.attempts === 1 ? '1 attempt' : `${report.totals.attempts} attempts`} ·{' '}
            {report.totals.succeeded} succeeded · {report.totals.declined} declined · success rate{' '}
            {rate(report.totals.successRate)}
          </p>
          <div className="report-columns">
            <section className="card" aria-labelledby="autopay-reasons-caption">
              <TableWrap label="Decline reasons">
                <table className="data-table report-table">
                  <caption id="autopay-reasons-caption">Decline reasons</caption>
                  <thead>
                    <tr>
                      <th scope="col">Reason</th>
                      <th scope="col" className="num">
                        Declines
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {report.reasons.map((reason) => (
                      <tr key={reason.code}>
                        <td className="mono">{reason.code}</td>
                        <td className="num">{reason.count}</td>
                      </tr>
                    ))}
                    {report.reasons.length === 0 && (
                      <tr>
                        <td colSpan={2} className="empty-cell">
                          No declines.
                        </td>
                      </tr>
                    )}
                  </tbody>
                </table>
              </TableWrap>
            </section>
            <section className="card" aria-labelledby="autopay-days-caption">
              <TableWrap label="Autopay per day">
                <table className="data-table report-table">
                  <caption id="autopay-days-caption">Per day</caption>
                  <thead>
                    <tr>
                      <th scope="col">Date</th>
                      <th scope="col" className="num">
                        Attempts
                      </th>
                      <th scope="col" className="num">
                        Succeeded
                      </th>
                      <th scope="col" className="num">
                        Declined
                      </th>
                      <th scope="col" className="num">
                        Success rate
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {report.days
                      .filter((day) => day.attempts > 0)
                      .map((day) => (
                        <tr key={day.date}>
                          <td>{formatDate(day.date)}</td>
                          <td className="num">{day.attempts}</td>
                          <td className="num">{day.succeeded}</td>
                          <td className="num">{day.declined}</td>
                          <td className="num">{rate(day.successRate)}</td>
                        </tr>
                      ))}
                    {report.totals.attempts === 0 && (
                      <tr>
                        <td colSpan={5} className="empty-cell">
                          Autopay made no attempts in these days.
                        </td>
                      </tr>
                    )}
                  </tbody>
                </table>
              </TableWrap>
            </section>
          </div>
        </>
      )}
    </ReportShell>
  );
}
