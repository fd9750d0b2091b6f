// /app/reports/deposits: the daily deposit report, per bank, per day, each receipt and the total,
// what the accountant ticks against the bank statement (print it: one table per bank).
import { useEffect, useState } from 'react';
import { type Bank, listBanks } from '../../api/api.ts';
import { paymentCheckTypes } from '../../api/receipts-api.ts';
import type { DepositReport } from '../../api/reports-api.ts';
import { formatDate, formatMoney } from '../../shared/format.ts';
import { Link } from '../../shared/router.tsx';
import { TableWrap } from '../../shared/table-wrap.tsx';
import { MoneyBars } from './charts.tsx';
import { ChartFigure, ReportShell, useReport } from './report-shell.tsx';

const typeLabel = (type: string) => paymentCheckTypes.find((t) => t.value === type)?.label ?? type;

/** One row per day, a column per bank: the chart's data. */
function dailyByBank(report: DepositReport) {
  const days = new Map<string, Record<string, number | string>>();
  for (const bank of report.banks) {
    for (const day of bank.days) {
      const row = days.get(day.date) ?? { date: day.date };
      row[bank.bankShortName] = day.total;
      days.set(day.date, row);
    }
  }
  return [...days.values()].sort((a, b) => String(a.date).localeCompare(String(b.date)));
}

export function DepositsReportPage({ search }: { search: string }) {
  const state = useReport<DepositReport>('deposits', search);
  const report = state.status === 'ready' ? state.report : null;
  const [banks, setBanks] = useState<Bank[]>([]);
  useEffect(() => {
    const controller = new AbortController();
    listBanks(controller.signal).then(
      (result) => setBanks(result.data),
      () => {},
    );
    return () => controller.abort();
  }, []);

  return (
    <ReportShell
      report="deposits"
      search={search}
      subtitle="Each receipt deposited per bank and day with the day's total (at most 31 days)."
      fields={[
        { name: 'from', label: 'From', type: 'date' },
        { name: 'to', label: 'To', type: 'date' },
        {
          name: 'bankShortName',
          label: 'Bank',
          type: 'select',
          options: [
            { value: '', label: 'All banks' },
            ...banks.map((b) => ({ value: b.shortName, label: `${b.shortName} · ${b.name}` })),
          ],
        },
      ]}
      shown={report ? { from: report.from, to: report.to } : {}}
      state={state}
    >
      {report && (
        <>
          <ChartFigure caption="Deposited per day by bank">
            <MoneyBars
              days
              x="date"
              series={report.banks.map((b) => ({ key: b.bankShortName, label: b.bankShortName }))}
              data={dailyByBank(report)}
            />
          </ChartFigure>
          <p className="card card-toolbar toolbar-status" data-testid="deposit-summary">
            {report.count === 1 ? '1 receipt' : `${report.count} receipts`} · {formatMoney(report.total)} ·{' '}
            {formatDate(report.from)}
            {report.to !== report.from ? ` to ${formatDate(report.to)}` : ''}
          </p>
          {report.banks.length === 0 && <p className="card empty-cell">No receipts were deposited in these days.</p>}
          {report.banks.map((bank) => (
            <section
              className="card report-bank"
              key={bank.bankShortName}
              aria-labelledby={`bank-${bank.bankShortName}`}
            >
              <h2 id={`bank-${bank.bankShortName}`} className="card-title">
                {bank.bankShortName} · {bank.bankName}: {formatMoney(bank.total)}
              </h2>
              <TableWrap label={`Deposits to ${bank.bankShortName}`}>
                <table className="data-table report-table">
                  <caption className="visually-hidden">Deposits to {bank.bankShortName}</caption>
                  <thead>
                    <tr>
                      <th scope="col">Date</th>
                      <th scope="col">Receipt</th>
                      <th scope="col">Customer</th>
                      <th scope="col">Type</th>
                      <th scope="col">Check</th>
                      <th scope="col" className="num">
                        Amount
                      </th>
                    </tr>
                  </thead>
                  {bank.days.map((day) => (
                    <tbody key={day.date}>
                      {day.receipts.map((r) => (
                        <tr key={r.receiptNumber}>
                          <td>{formatDate(day.date)}</td>
                          <td className="mono">
                            <Link to={`/app/receipts/${r.receiptNumber}`}>{r.receiptNumber}</Link>
                            {r.status === 'reversed' && <span className="badge badge-red">Reversed</span>}
                          </td>
                          <td>
                            {r.customerNumber} · {r.customerName}
                          </td>
                          <td>{typeLabel(r.paymentCheckType)}</td>
                          <td>{r.payerCheckNumber ?? ''}</td>
                          <td className="num">{formatMoney(r.amount)}</td>
                        </tr>
                      ))}
                      <tr className="report-subtotal">
                        <th scope="row" colSpan={5}>
                          {formatDate(day.date)} · {day.count === 1 ? '1 receipt' : `${day.count} receipts`}
                        </th>
                        <td className="num">{formatMoney(day.total)}</td>
                      </tr>
                    </tbody>
                  ))}
                </table>
              </TableWrap>
            </section>
          ))}
        </>
      )}
    </ReportShell>
  );
}
