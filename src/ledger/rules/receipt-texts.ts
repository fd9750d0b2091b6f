import { type Cents, formatAmount } from '../../kernel/money.ts';
import type { PaymentCheckType } from './receipt-input.ts';

/**
 * A text that names a receipt's number, kept as the parts on either side of it: the number is
 * taken inside the statement that writes the receipt (after every check that could refuse it), so
 * that statement joins the parts. The wording lives here alone; `withReceiptNumber` reads it whole.
 */
export interface AroundReceiptNumber {
  before: string;
  after: string;
}

export function withReceiptNumber(text: AroundReceiptNumber, receiptNumber: number): string {
  return `${text.before}${receiptNumber}${text.after}`;
}

/** The receipt's journal entry: "Receipt 7: Check #1043 from Jane Smith". */
export function receiptEntryDescription(description: string): AroundReceiptNumber {
  return { before: 'Receipt ', after: `: ${description}` };
}

/** The customer's activity for a posted receipt: "Receipt 7: $120.25 by Check deposited to OPER". */
export function receiptPostedSummary(input: {
  amountCents: Cents;
  paymentCheckType: PaymentCheckType;
  bankShortName: string;
}): AroundReceiptNumber {
  return {
    before: 'Receipt ',
    after: `: ${formatAmount(input.amountCents)} by ${input.paymentCheckType} deposited to ${input.bankShortName}`,
  };
}
