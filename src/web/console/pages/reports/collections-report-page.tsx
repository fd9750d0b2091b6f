// /app/reports/collections: money collected per day, stacked by channel, with a table by method.
import { paymentCheckTypes } from '../../api/receipts-api.ts';
import { type CollectionsReport, channelLabels, collectionChannels } from '../../api/reports-api.ts';
import { formatDate, formatMoney } from '../../shared/format.ts';
import { TableWrap } from '../../shared/table-wrap.tsx';
import { MoneyBars } from './charts.tsx';
import { ChartFigure, ReportShell, useReport } from './report-shell.tsx';

const methodLabel = (method: string) => paymentCheckTypes.find((t) => t.value === method)?.label ?? method;

export function CollectionsReportPage({ search }: { search: string }) {
  const state = useReport<CollectionsReport>('collections', search);
  const report = state.status === 'ready' ? state.report : null;
  return (
    <ReportShell
      report="collections"
      search={search}
      subtitle="Receipts per day by channel and payment method (reversed receipts left out), for your banks."
      fields={[
        { name: 'from', label: 'From', type: 'date' },
        { name: 'to', label: 'To', type: 'date' },
      ]}
      shown={report ? { from: report.from, to: report.to } : {}}
      state={state}
    >
      {report && (
        <>
          <ChartFigure caption={`Collected per day by channel, ${formatDate(report.from)} to ${formatDate(report.to)}`}>
            <MoneyBars
              days
              x="date"
              series={collectionChannels.map((c) => ({ key: c, label: channelLabels[c] ?? c }))}
              data={report.days.map((day) => ({ date: day.date, ...day.byChannel }))}
            />
          </ChartFigure>
          <section className="card" aria-labelledby="collections-caption">
            <p className="card-toolbar toolbar-status" data-testid="collections-summary">
              {report.totals.count === 1 ? '1 receipt' : `${report.totals.count} receipts`} ·{' '}
              {formatMoney(report.totals.total)}
            </p>
            <TableWrap label="Collections">
              <table className="data-table report-table">
                <caption id="collections-caption" className="visually-hidden">
                  Collections per day
                </caption>
                <thead>
                  <tr>
                    <th scope="col">Date</th>
                    {collectionChannels.map((c) => (
                      <th scope="col" className="num" key={c}>
                        {channelLabels[c]}
                      </th>
                    ))}
                    {report.methods.map((m) => (
                      <th scope="col" className="num" key={m}>
                        {methodLabel(m)}
                      </th>
                    ))}
                    <th scope="col" className="num">
                      Total
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {report.days
                    .filter((day) => day.count > 0)
                    .map((day) => (
                      <tr key={day.date}>
                        <td>{formatDate(day.date)}</td>
                        {collectionChannels.map((c) => (
                          <td className="num" key={c}>
                            {formatMoney(day.byChannel[c] ?? 0)}
                          </td>
                        ))}
                        {report.methods.map((m) => (
                          <td className="num" key={m}>
                            {formatMoney(day.byMethod[m] ?? 0)}
                          </td>
                        ))}
                        <td className="num">{formatMoney(day.total)}</td>
                      </tr>
                    ))}
                  {report.totals.count === 0 && (
                    <tr>
                      <td colSpan={2 + collectionChannels.length} className="empty-cell">
                        Nothing was collected in these days.
                      </td>
                    </tr>
                  )}
                </tbody>
                <tfoot>
                  <tr>
                    <th scope="row">Total</th>
                    {collectionChannels.map((c) => (
                      <td className="num" key={c}>
                        {formatMoney(report.totals.byChannel[c] ?? 0)}
                      </td>
                    ))}
                    {report.methods.map((m) => (
                      <td className="num" key={m}>
                        {formatMoney(report.totals.byMethod[m] ?? 0)}
                      </td>
                    ))}
                    <td className="num">{formatMoney(report.totals.total)}</td>
                  </tr>
                </tfoot>
              </table>
            </TableWrap>
          </section>
        </>
      )}
    </ReportShell>
  );
}
