// The reports' JSON: amounts as JSON numbers with at most two decimals (toAmount, exact under the
// API's limit), as every other amount the API answers; counts and rates as plain numbers.
import { z } from 'zod';
import { type Cents, toAmount } from '../../kernel/money.ts';
import { amount } from '../../platform/http/schemas.ts';
import type { AgingCustomer, AgingReport } from '../aging.ts';
import type { autopayReport } from '../autopay-outcomes.ts';
import type { collections, deposits } from '../collections.ts';
import { type AgingAmounts, agingBuckets, agingTotal } from '../rules/aging.ts';
import { collectionChannels } from '../rules/collections.ts';

const agingAmountsSchema = z.object({
  current: amount,
  '1-30': amount,
  '31-60': amount,
  '61-90': amount,
  '90+': amount,
  total: amount,
});

export const agingSchema = z
  .object({
    asOf: z.string(),
    totals: agingAmountsSchema,
    customerCount: z.number().int(),
    customers: z.array(agingAmountsSchema.extend({ customerNumber: z.number().int(), customerName: z.string() })),
  })
  .meta({ id: 'ArAgingReport' });

function presentAmounts(amounts: AgingAmounts) {
  const buckets = Object.fromEntries(agingBuckets.map((b) => [b, toAmount(amounts[b])])) as Record<
    (typeof agingBuckets)[number],
    number
  >;
  return { ...buckets, total: toAmount(agingTotal(amounts)) };
}

export function presentAging(report: AgingReport): z.infer<typeof agingSchema> {
  return {
    asOf: report.asOf,
    totals: presentAmounts(report.totals),
    customerCount: report.customerCount,
    customers: report.customers.map((c: AgingCustomer) => ({
      customerNumber: c.customerNumber,
      customerName: c.customerName,
      ...presentAmounts(c.amounts),
    })),
  };
}

const collectionDaySchema = z.object({
  count: z.number().int(),
  total: amount,
  byChannel: z.object(Object.fromEntries(collectionChannels.map((c) => [c, amount])) as Record<string, typeof amount>),
  byMethod: z.record(z.string(), amount),
});

export const collectionsSchema = z
  .object({
    from: z.string(),
    to: z.string(),
    methods: z.array(z.string()),
    days: z.array(collectionDaySchema.extend({ date: z.string() })),
    totals: collectionDaySchema,
  })
  .meta({ id: 'CollectionsReport' });

const amounts = (record: Record<string, Cents>) =>
  Object.fromEntries(Object.entries(record).map(([key, cents]) => [key, toAmount(cents)]));

type CollectionDayView = {
  count: number;
  totalCents: Cents;
  byChannel: Record<string, Cents>;
  byMethod: Record<string, Cents>;
};
const presentCollectionDay = (day: CollectionDayView) => ({
  count: day.count,
  total: toAmount(day.totalCents),
  byChannel: amounts(day.byChannel),
  byMethod: amounts(day.byMethod),
});

export function presentCollections(report: Awaited<ReturnType<typeof collections>>): z.infer<typeof collectionsSchema> {
  return {
    from: report.from,
    to: report.to,
    methods: report.methods,
    days: report.days.map((day) => ({ date: day.day, ...presentCollectionDay(day) })),
    totals: presentCollectionDay(report.totals),
  };
}

export const depositsSchema = z
  .object({
    from: z.string(),
    to: z.string(),
    count: z.number().int(),
    total: amount,
    banks: z.array(
      z.object({
        bankShortName: z.string(),
        bankName: z.string(),
        count: z.number().int(),
        total: amount,
        days: z.array(
          z.object({
            date: z.string(),
            count: z.number().int(),
            total: amount,
            receipts: z.array(
              z.object({
                receiptNumber: z.number().int(),
                customerNumber: z.number().int(),
                customerName: z.string(),
                paymentCheckType: z.string(),
                payerCheckNumber: z.string().nullable(),
                amount,
                status: z.enum(['posted', 'reversed']),
              }),
            ),
          }),
        ),
      }),
    ),
  })
  .meta({ id: 'DepositReport' });

export function presentDeposits(report: Awaited<ReturnType<typeof deposits>>): z.infer<typeof depositsSchema> {
  return {
    from: report.from,
    to: report.to,
    count: report.count,
    total: toAmount(report.totalCents),
    banks: report.banks.map((bank) => ({
      bankShortName: bank.bankShortName,
      bankName: bank.bankName,
      count: bank.count,
      total: toAmount(bank.totalCents),
      days: bank.days.map((day) => ({
        date: day.date,
        count: day.count,
        total: toAmount(day.totalCents),
        receipts: day.receipts.map((r) => ({
          receiptNumber: r.receiptNumber,
          customerNumber: r.customerNumber,
          customerName: r.customerName,
          paymentCheckType: r.paymentCheckType,
          payerCheckNumber: r.payerCheckNumber,
          amount: toAmount(r.amountCents),
          status: r.status,
        })),
      })),
    })),
  };
}

const autopayDaySchema = z.object({
  attempts: z.number().int(),
  succeeded: z.number().int(),
  declined: z.number().int(),
  successRate: z.number().nullable().meta({ description: 'Succeeded ÷ (succeeded + declined), in percent' }),
  declines: z.record(z.string(), z.number().int()),
});

export const autopaySchema = z
  .object({
    from: z.string(),
    to: z.string(),
    timeZone: z.string(),
    days: z.array(autopayDaySchema.extend({ date: z.string() })),
    reasons: z.array(z.object({ code: z.string(), count: z.number().int() })),
    totals: autopayDaySchema,
  })
  .meta({ id: 'AutopayReport' });

export function presentAutopay(report: Awaited<ReturnType<typeof autopayReport>>): z.infer<typeof autopaySchema> {
  return {
    from: report.from,
    to: report.to,
    timeZone: report.timeZone,
    days: report.days.map(({ day, ...rest }) => ({ date: day, ...rest })),
    reasons: report.reasons,
    totals: report.totals,
  };
}
