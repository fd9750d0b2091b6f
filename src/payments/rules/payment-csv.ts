import { textCell } from '../../kernel/csv-cells.ts';
import { type Cents, decimalAmount } from '../../kernel/money.ts';

export const paymentCsvHeader = [
  'id',
  'createdAt',
  'customerNumber',
  'type',
  'channel',
  'amount',
  'currency',
  'state',
  'attempts',
  'retryPlan',
  'bankShortName',
  'receiptNumber',
  'failureCode',
  'failureMessage',
] as const;

interface PaymentCsvInput {
  id: string;
  createdAt: Date;
  customerNumber: number;
  type: string;
  channel: string;
  amountCents: Cents;
  currency: string;
  state: string;
  attempts: number;
  retryPlan: string;
  bankShortName: string;
  receiptNumber: number | null;
  failureCode: string | null;
  failureMessage: string | null;
}

/** A payment as a CSV row in `paymentCsvHeader`'s order: the amount in dollars, processor text neutralised. */
export function paymentCsvRow(payment: PaymentCsvInput): string[] {
  return [
    payment.id,
    payment.createdAt.toISOString(),
    String(payment.customerNumber),
    payment.type,
    payment.channel,
    decimalAmount(payment.amountCents),
    payment.currency,
    payment.state,
    String(payment.attempts),
    textCell(payment.retryPlan),
    textCell(payment.bankShortName),
    payment.receiptNumber === null ? '' : String(payment.receiptNumber),
    textCell(payment.failureCode),
    textCell(payment.failureMessage),
  ];
}
