import { instantCell, textCell } from '../../kernel/csv-cells.ts';
import { type Cents, decimalAmount } from '../../kernel/money.ts';

export const invoiceCsvHeader = [
  'invoiceNumber',
  'customerNumber',
  'policyNumber',
  'description',
  'amount',
  'balance',
  'dueDate',
  'status',
  'autopayTime',
  'suppressAutopay',
] as const;

interface InvoiceCsvInput {
  displayNumber: string;
  customerNumber: number;
  policyNumber: string | null;
  description: string | null;
  amountCents: Cents;
  balanceCents: Cents;
  dueDate: string;
  status: string;
  autopayTime: Date | null;
  suppressAutopay: boolean;
}

/** An invoice as a CSV row in `invoiceCsvHeader`'s order: amounts in dollars, its free text neutralised. */
export function invoiceCsvRow(invoice: InvoiceCsvInput): string[] {
  return [
    invoice.displayNumber,
    String(invoice.customerNumber),
    textCell(invoice.policyNumber),
    textCell(invoice.description),
    decimalAmount(invoice.amountCents),
    decimalAmount(invoice.balanceCents),
    invoice.dueDate,
    invoice.status,
    instantCell(invoice.autopayTime),
    String(invoice.suppressAutopay),
  ];
}
