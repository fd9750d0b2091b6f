// The reports as CSV rows: amounts as plain decimals (never a float), free text neutralised, one
// header per report. A report's totals are rows of their own, named in the first column.
import { textCell } from '../../kernel/csv-cells.ts';
import { decimalAmount } from '../../kernel/money.ts';
import { type AgingAmounts, agingBuckets, agingTotal } from './aging.ts';
import type { AutopayDay } from './autopay-outcomes.ts';
import { type CollectionDay, type CollectionsReport, collectionChannels } from './collections.ts';
import type { DepositBank } from './deposits.ts';

export const agingCsvHeader = ['customerNumber', 'customerName', ...agingBuckets, 'total'] as const;

export function agingCsvRow(row: { customerNumber: number | null; customerName: string; amounts: AgingAmounts }) {
  return [
    row.customerNumber === null ? 'TOTAL' : String(row.customerNumber),
    textCell(row.customerName),
    ...agingBuckets.map((bucket) => decimalAmount(row.amounts[bucket])),
    decimalAmount(agingTotal(row.amounts)),
  ];
}

export function collectionsCsv(report: CollectionsReport): { header: string[]; rows: string[][] } {
  const row = (label: string, day: Omit<CollectionDay, 'day'>) => [
    label,
    String(day.count),
    decimalAmount(day.totalCents),
    ...collectionChannels.map((channel) => decimalAmount(day.byChannel[channel])),
    ...report.methods.map((method) => decimalAmount(day.byMethod[method] ?? 0n)),
  ];
  return {
    header: ['date', 'count', 'total', ...collectionChannels, ...report.methods],
    rows: [...report.days.map((day) => row(day.day, day)), row('TOTAL', report.totals)],
  };
}

export const depositCsvHeader = [
  'bankShortName',
  'bankName',
  'date',
  'line',
  'receiptNumber',
  'customerNumber',
  'customerName',
  'paymentCheckType',
  'payerCheckNumber',
  'status',
  'amount',
] as const;

/** Each receipt, then its day's total, then its bank's total (`line` names which). */
export function depositCsvRows(banks: readonly DepositBank[]): string[][] {
  const rows: string[][] = [];
  for (const bank of banks) {
    const bankCells = [textCell(bank.bankShortName), textCell(bank.bankName)];
    for (const day of bank.days) {
      for (const r of day.receipts) {
        rows.push([
          ...bankCells,
          day.date,
          'receipt',
          String(r.receiptNumber),
          String(r.customerNumber),
          textCell(r.customerName),
          r.paymentCheckType,
          textCell(r.payerCheckNumber),
          r.status,
          decimalAmount(r.amountCents),
        ]);
      }
      rows.push([...bankCells, day.date, 'day total', '', '', '', '', '', '', decimalAmount(day.totalCents)]);
    }
    rows.push([...bankCells, '', 'bank total', '', '', '', '', '', '', decimalAmount(bank.totalCents)]);
  }
  return rows;
}

export function autopayCsv(
  days: readonly AutopayDay[],
  reasons: readonly { code: string }[],
): { header: string[]; rows: string[][] } {
  const codes = reasons.map((r) => r.code);
  return {
    header: ['date', 'attempts', 'succeeded', 'declined', 'successRate', ...codes.map((code) => `declined:${code}`)],
    rows: days.map((day) => [
      day.day,
      String(day.attempts),
      String(day.succeeded),
      String(day.declined),
      day.successRate === null ? '' : day.successRate.toFixed(1),
      ...codes.map((code) => String(day.declines[code] ?? 0)),
    ]),
  };
}
