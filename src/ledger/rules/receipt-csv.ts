import { instantCell, textCell } from '../../kernel/csv-cells.ts';
import { type Cents, decimalAmount } from '../../kernel/money.ts';

export const receiptCsvHeader = [
  'receiptNumber',
  'customerNumber',
  'receiptDate',
  'amount',
  'onAccount',
  'bankShortName',
  'paymentCheckType',
  'payerCheckNumber',
  'description',
  'status',
  'source',
  'createdAt',
] as const;

interface ReceiptCsvInput {
  receiptNumber: number;
  customerNumber: number;
  receiptDate: string;
  amountCents: Cents;
  onAccountCents: Cents;
  bankShortName: string;
  paymentCheckType: string;
  payerCheckNumber: string | null;
  description: string;
  status: string;
  source: string;
  createdAt: Date;
}

/** A receipt as a CSV row in `receiptCsvHeader`'s order: amounts in dollars, its free text neutralised. */
export function receiptCsvRow(receipt: ReceiptCsvInput): string[] {
  return [
    String(receipt.receiptNumber),
    String(receipt.customerNumber),
    receipt.receiptDate,
    decimalAmount(receipt.amountCents),
    decimalAmount(receipt.onAccountCents),
    textCell(receipt.bankShortName),
    receipt.paymentCheckType,
    textCell(receipt.payerCheckNumber),
    textCell(receipt.description),
    receipt.status,
    textCell(receipt.source),
    instantCell(receipt.createdAt),
  ];
}
