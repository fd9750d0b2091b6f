import { z } from 'zod';
import { toAmount } from '../../kernel/money.ts';
import { amount } from '../../platform/http/schemas.ts';
import type { LedgerEntryView } from '../ledger-views.ts';

export const ledgerEntriesSchema = z
  .object({
    data: z.array(
      z.object({
        id: z.string(),
        kind: z.string(),
        description: z.string(),
        occurredOn: z.string(),
        createdAt: z.string(),
        reversesEntryId: z.string().nullable(),
        lines: z.array(
          z.object({
            account: z.string(),
            debit: amount.nullable(),
            credit: amount.nullable(),
            customerNumber: z.number().int().nullable(),
            invoiceNumber: z.number().int().nullable(),
            bankShortName: z.string().nullable(),
          }),
        ),
      }),
    ),
  })
  .meta({ id: 'LedgerEntries' });

/** Lines as an accountant reads them: a debit or a credit column, never a signed number. */
export function presentLedger(entries: LedgerEntryView[]): z.infer<typeof ledgerEntriesSchema> {
  return {
    data: entries.map((entry) => ({
      ...entry,
      createdAt: entry.createdAt.toISOString(),
      lines: entry.lines.map(({ amountCents, ...line }) => ({
        ...line,
        debit: amountCents > 0n ? toAmount(amountCents) : null,
        credit: amountCents < 0n ? toAmount(-amountCents) : null,
      })),
    })),
  };
}
