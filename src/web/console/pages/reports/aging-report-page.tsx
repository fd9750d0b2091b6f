// /app/reports/ar-aging: open balances by days past due, in total (the chart) and by customer.
import { type AgingReport, agingBuckets, agingLabels } from '../../api/reports-api.ts';
import { formatDate, formatMoney } from '../../shared/format.ts';
import { Link } from '../../shared/router.tsx';
import { TableWrap } from '../../shared/table-wrap.tsx';
import { MoneyBars } from './charts.tsx';
import { ChartFigure, ReportShell, useReport } from './report-shell.tsx';

export function AgingReportPage({ search }: { search: string }) {
  const state = useReport<AgingReport>('ar-aging', search);
  const report = state.status === 'ready' ? state.report : null;
  return (
    <ReportShell
      report="ar-aging"
      search={search}
      subtitle="Open invoice balances by days past due, as of a date in the agency's time zone."
      fields={[{ name: 'asOf', label: 'As of', type: 'date' }]}
      shown={report ? { asOf: report.asOf } : {}}
      state={state}
    >
      {report && (
        <>
          <ChartFigure caption={`Open balances by age on ${formatDate(report.asOf)}`}>
            <MoneyBars
              x="bucket"
              series={[{ key: 'amount', label: 'Open balance' }]}
              data={agingBuckets.map((bucket) => ({ bucket: agingLabels[bucket], amount: report.totals[bucket] }))}
            />
          </ChartFigure>
          <section className="card" aria-labelledby="aging-caption">
            <p className="card-toolbar toolbar-status" data-testid="aging-summary">
              {report.customerCount === 1 ? '1 customer' : `${report.customerCount} customers`} owe{' '}
              {formatMoney(report.totals.total)}
              {report.customers.length < report.customerCount
                ? ` · the ${report.customers.length} owing most shown; the CSV has every one`
                : ''}
            </p>
            <TableWrap label="AR aging">
              <table className="data-table report-table">
                <caption id="aging-caption" className="visually-hidden">
                  AR aging by customer
                </caption>
                <thead>
                  <tr>
                    <th scope="col">Customer</th>
                    {agingBuckets.map((bucket) => (
                      <th scope="col" className="num" key={bucket}>
                        {agingLabels[bucket]}
                      </th>
                    ))}
                    <th scope="col" className="num">
                      Total
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {report.customers.map((customer) => (
                    <tr key={customer.customerNumber}>
                      <td>
                        <Link to={`/app/customers/${customer.customerNumber}`}>
                          {customer.customerNumber} · {customer.customerName}
                        </Link>
                      </td>
                      {agingBuckets.map((bucket) => (
                        <td className="num" key={bucket}>
                          {formatMoney(customer[bucket])}
                        </td>
                      ))}
                      <td className="num">{formatMoney(customer.total)}</td>
                    </tr>
                  ))}
                  {report.customers.length === 0 && (
                    <tr>
                      <td colSpan={7} className="empty-cell">
                        Nothing is owed on this date.
                      </td>
                    </tr>
                  )}
                </tbody>
                <tfoot>
                  <tr>
                    <th scope="row">All customers</th>
                    {agingBuckets.map((bucket) => (
                      <td className="num" key={bucket}>
                        {formatMoney(report.totals[bucket])}
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
