// The daily deposit report: per bank, per day, each receipt deposited and the day's total, what an
// accountant ticks against the bank statement. A receipt reversed later (NSF) was still deposited
// that day: it stays on its day, marked, and the reversal shows on the statement as its own debit.
import type { CalendarDate } from '../../kernel/calendar.ts';
import type { Cents } from '../../kernel/money.ts';

export interface DepositReceipt {
  bankShortName: string;
  bankName: string;
  receiptDate: CalendarDate;
  receiptNumber: number;
  customerNumber: number;
  customerName: string;
  paymentCheckType: string;
  payerCheckNumber: string | null;
  amountCents: Cents;
  status: 'posted' | 'reversed';
}

interface DepositDay {
  date: CalendarDate;
  receipts: DepositReceipt[];
  count: number;
  totalCents: Cents;
}

export interface DepositBank {
  bankShortName: string;
  bankName: string;
  days: DepositDay[];
  count: number;
  totalCents: Cents;
}

/** The receipts grouped by bank (by short name), then day (oldest first), receipts by number. */
export function depositSlips(receipts: readonly DepositReceipt[]): {
  banks: DepositBank[];
  count: number;
  totalCents: Cents;
} {
  const sorted = [...receipts].sort(
    (a, b) =>
      a.bankShortName.localeCompare(b.bankShortName) ||
      a.receiptDate.localeCompare(b.receiptDate) ||
      a.receiptNumber - b.receiptNumber,
  );
  const banks: DepositBank[] = [];
  for (const receipt of sorted) {
    let bank = banks.at(-1);
    if (bank?.bankShortName !== receipt.bankShortName) {
      bank = { bankShortName: receipt.bankShortName, bankName: receipt.bankName, days: [], count: 0, totalCents: 0n };
      banks.push(bank);
    }
    let day = bank.days.at(-1);
    if (day?.date !== receipt.receiptDate) {
      day = { date: receipt.receiptDate, receipts: [], count: 0, totalCents: 0n };
      bank.days.push(day);
    }
    day.receipts.push(receipt);
    day.count += 1;
    day.totalCents += receipt.amountCents;
    bank.count += 1;
    bank.totalCents += receipt.amountCents;
  }
  return {
    banks,
    count: receipts.length,
    totalCents: banks.reduce((total, bank) => total + bank.totalCents, 0n),
  };
}
