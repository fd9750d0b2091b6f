import { z } from 'zod';
import { agencyToday } from '../../agency/agencies.ts';
import { toAmount } from '../../kernel/money.ts';
import { requireActor } from '../../platform/http/auth.ts';
import { csvResponse, csvRows, sendCsv } from '../../platform/http/csv.ts';
import { respond } from '../../platform/http/idempotency.ts';
import {
  amount,
  calendarDate,
  customerNumber,
  customerNumberParams,
  errorResponses,
  money,
  pageLimit,
} from '../../platform/http/schemas.ts';
import type { App, RouteDeps } from '../../platform/http/types.ts';
import { receiptLedger } from '../ledger-views.ts';
import { applyOnAccountCredit } from '../on-account.ts';
import { exportReceipts, listReceipts } from '../receipt-list.ts';
import { postCustomerReceipt } from '../receipt-posting.ts';
import { reverseReceipt } from '../receipt-reversals.ts';
import { getReceipt, listCustomerReceipts, type ReceiptView } from '../receipt-views.ts';
import { receiptCsvHeader, receiptCsvRow } from '../rules/receipt-csv.ts';
import {
  camelCaseReceiptFields,
  parseInvoiceNumber,
  RECEIPT_DATE_DAYS_AHEAD,
  RECEIPT_DATE_YEARS_BACK,
} from '../rules/receipt-input.ts';
import { ledgerEntriesSchema, presentLedger } from './ledger-schema.ts';
import { receiptExamples } from './receipt-examples.ts';

const invoiceNumberInput = z
  .union([
    z.number().int().positive(),
    z
      .string()
      .trim()
      .regex(/^\d{1,10}(-\d{1,6})?$/, { error: 'must be like 1234 or 1234-1' }),
  ])
  .meta({ description: 'Invoice number; a multi-entity "1234-1" means invoice 1234' });

const receiptBody = z.strictObject({
  customerNumber,
  invoiceInformations: z
    .array(
      z.strictObject({
        invoiceNumber: invoiceNumberInput.nullish(),
        paymentAmount: money(),
        invoicePaymentDescription: z.string().trim().max(500).nullish(),
      }),
      { error: 'must be a list of InvoiceInfoModel items' },
    )
    .min(1, { error: 'must contain at least one item' })
    .max(500),
  receiptAmount: money(),
  receiptDate: z.string().trim().min(1).max(40).meta({ example: '2026-11-21' }),
  receiptDateTimeZone: z.string().trim().min(1).max(100).meta({ example: 'Central Standard Time' }),
  bankShortName: z.string().trim().min(1).max(20),
  receiptDescription: z.string().trim().max(500).nullish(),
  paymentCheckType: z
    .string()
    .trim()
    .min(1)
    .max(20)
    .meta({ description: 'H/Check, A/Cash, R/CreditCard, D/DebitCard, E/EFT' }),
  // Ignored unless paymentCheckType is Check, so not validated here (see domain checkFields).
  payerBankAccountNumber: z
    .unknown()
    .optional()
    .meta({ description: 'Check only (at most 34 characters); ignored for any other payment type' }),
  payerCheckNumber: z
    .unknown()
    .optional()
    .meta({ description: 'Check only (at most 20 characters); ignored for any other payment type' }),
});

const applicationSchema = z.object({
  invoiceNumber: z.number().int().nullable(),
  appliedAmount: amount,
  onAccountAmount: amount,
  invoicePaymentDescription: z.string(),
  note: z.string().optional(),
});

const receiptSchema = z
  .object({
    receiptId: z.string(),
    receiptNumber: z.number().int(),
    customerNumber: z.number().int(),
    receiptAmount: amount,
    receiptDate: z.string(),
    receiptDateTimeZone: z.string(),
    bankShortName: z.string(),
    paymentCheckType: z.enum(['Check', 'Cash', 'CreditCard', 'DebitCard', 'EFT']),
    receiptDescription: z.string(),
    payerBankAccountLast4: z.string().nullable(),
    payerCheckNumber: z.string().nullable(),
    applications: z.array(applicationSchema),
    onAccountAmount: amount,
    convenienceFeeAmount: amount.meta({
      description: 'A card or bank-account convenience fee paid with the receipt: beside receiptAmount, never applied',
    }),
    status: z.enum(['posted', 'reversed']),
    reversal: z
      .object({
        reason: z.string(),
        note: z.string().nullable(),
        at: z.string(),
        feeInvoiceNumber: z.number().int().nullable(),
      })
      .nullable(),
  })
  .meta({ id: 'CustomerReceipt', examples: [receiptExamples.response] });

/** The receipts list's and export's filter (`?from=&to=&bankShortName=&paymentCheckType=&customerNumber=&status=`). */
const receiptFilter = {
  from: calendarDate.optional().meta({ description: 'Receipt date on or after (YYYY-MM-DD)' }),
  to: calendarDate.optional().meta({ description: 'Receipt date on or before (YYYY-MM-DD)' }),
  bankShortName: z.string().trim().min(1).max(20).optional(),
  paymentCheckType: z.enum(['Check', 'Cash', 'CreditCard', 'DebitCard', 'EFT']).optional(),
  customerNumber: customerNumber.optional(),
  status: z.enum(['posted', 'reversed']).optional(),
};

function presentReceipt(r: ReceiptView): z.infer<typeof receiptSchema> {
  return {
    receiptId: r.id,
    receiptNumber: r.receiptNumber,
    customerNumber: r.customerNumber,
    receiptAmount: toAmount(r.amountCents),
    receiptDate: r.receiptDate,
    receiptDateTimeZone: r.receiptDateTimeZone,
    bankShortName: r.bankShortName,
    paymentCheckType: r.paymentCheckType,
    receiptDescription: r.description,
    payerBankAccountLast4: r.payerBankAccountLast4,
    payerCheckNumber: r.payerCheckNumber,
    applications: r.applications.map((a) => ({
      invoiceNumber: a.invoiceNumber,
      appliedAmount: toAmount(a.appliedCents),
      onAccountAmount: toAmount(a.onAccountCents),
      invoicePaymentDescription: a.description,
      ...(a.note ? { note: a.note } : {}),
    })),
    onAccountAmount: toAmount(r.onAccountCents),
    convenienceFeeAmount: toAmount(r.feeCents),
    status: r.status,
    reversal: r.reversal
      ? {
          reason: r.reversal.reason,
          note: r.reversal.note,
          at: r.reversal.at.toISOString(),
          feeInvoiceNumber: r.reversal.feeInvoiceNumber,
        }
      : null,
  };
}

const receiptNumberParams = z.strictObject({ receiptNumber: customerNumber });
const postingRoles = { access: ['staff', 'agent'] as const };

export function receiptRoutes(app: App, deps: RouteDeps): void {
  app.post(
    '/api/v1/receipt/customer',
    {
      config: postingRoles,
      // AMS360's documentation spells the fields PascalCase; both spellings are taken.
      preValidation: async (request) => {
        request.body = camelCaseReceiptFields(request.body) as typeof request.body;
      },
      schema: {
        tags: ['receipts'],
        summary: "Post a customer cash receipt (AMS360's POST /receipt/customer)",
        description:
          'Applies each item to its invoice (the excess, or items without an invoice, go On Account). ' +
          'receiptAmount must equal the sum of paymentAmounts. The caller needs access to the bank and its division. ' +
          "Fields may also be spelled PascalCase as in AMS360's documentation (CustomerNumber, InvoiceInformations/" +
          'InvoiceNumber, …); a field sent in both spellings is refused. receiptDateTimeZone takes any Windows zone ID ' +
          'or IANA zone (EST, CST, MST, PST mean US Eastern, Central, Mountain, Pacific time). receiptDate must be at ' +
          `most ${RECEIPT_DATE_YEARS_BACK} years back and ${RECEIPT_DATE_DAYS_AHEAD} days ahead of today in that zone.`,
        body: receiptBody.meta({ 'x-examples': receiptExamples.requests }),
        response: { 201: receiptSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const body = request.body;
      // Parsing invoice numbers first keeps a malformed one a 400 that names its item.
      const items = body.invoiceInformations.map((item, index) => ({
        invoiceNumber:
          item.invoiceNumber === undefined || item.invoiceNumber === null
            ? undefined
            : parseInvoiceNumber(item.invoiceNumber, `invoiceInformations/${index}/invoiceNumber`),
        amountCents: item.paymentAmount,
        description: item.invoicePaymentDescription || undefined,
      }));
      return respond(deps.db, request, reply, 201, async (tx) =>
        presentReceipt(
          await postCustomerReceipt(
            tx,
            requireActor(request),
            {
              customerNumber: body.customerNumber,
              items,
              receiptAmountCents: body.receiptAmount,
              receiptDate: body.receiptDate,
              receiptDateTimeZone: body.receiptDateTimeZone,
              bankShortName: body.bankShortName,
              receiptDescription: body.receiptDescription ?? undefined,
              paymentCheckType: body.paymentCheckType,
              payerBankAccountNumber: body.payerBankAccountNumber,
              payerCheckNumber: body.payerCheckNumber,
            },
            { now: deps.clock() },
          ),
        ),
      );
    },
  );

  app.get(
    '/api/v1/receipts',
    {
      config: { access: ['staff', 'agent'] },
      schema: {
        tags: ['receipts'],
        summary:
          "The agency's receipts (those of the caller's banks), newest first, filtered, with the filter's totals",
        querystring: z.strictObject({
          ...receiptFilter,
          before: customerNumber.optional().meta({ description: 'Receipts numbered below this (the next page)' }),
          limit: pageLimit(200, 50),
        }),
        response: {
          200: z.object({
            data: z.array(receiptSchema),
            totals: z.object({ count: z.number().int(), amount }),
            nextBefore: z.number().int().nullable(),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { before, limit, ...filter } = request.query;
      const page = await listReceipts(deps.db, requireActor(request), filter, { before, limit });
      return {
        data: page.data.map(presentReceipt),
        totals: { count: page.totals.count, amount: toAmount(page.totals.amountCents) },
        nextBefore: page.nextBefore,
      };
    },
  );

  app.get(
    '/api/v1/receipts/export.csv',
    {
      config: { access: ['staff', 'agent'] },
      schema: {
        tags: ['receipts'],
        summary:
          "Export the agency's receipts (those of the caller's banks) as CSV, streamed; the list's filters apply",
        querystring: z.strictObject(receiptFilter),
        response: { 200: csvResponse('The receipts as CSV, a header row first'), ...errorResponses },
      },
    },
    async (request, reply) => {
      const actor = requireActor(request);
      const today = await agencyToday(deps.db, actor.agencyId, deps.clock());
      const pages = exportReceipts(deps.db, actor, request.query);
      return sendCsv(reply, `receipts-${today}.csv`, receiptCsvHeader, csvRows(pages, receiptCsvRow));
    },
  );

  app.get(
    '/api/v1/receipts/:receiptNumber',
    {
      schema: {
        tags: ['receipts'],
        summary: 'Get a receipt with its applications',
        params: receiptNumberParams,
        response: { 200: receiptSchema, ...errorResponses },
      },
    },
    async (request) => presentReceipt(await getReceipt(deps.db, requireActor(request), request.params.receiptNumber)),
  );

  app.get(
    '/api/v1/receipts/:receiptNumber/ledger',
    {
      schema: {
        tags: ['receipts'],
        summary: "A receipt's journal entries with their lines: posting, reversal, refunds",
        params: receiptNumberParams,
        response: { 200: ledgerEntriesSchema, ...errorResponses },
      },
    },
    async (request) => presentLedger(await receiptLedger(deps.db, requireActor(request), request.params.receiptNumber)),
  );

  app.get(
    '/api/v1/customers/:customerNumber/receipts',
    {
      schema: {
        tags: ['receipts'],
        summary: "A customer's receipts, newest first",
        params: customerNumberParams,
        response: { 200: z.object({ data: z.array(receiptSchema) }), ...errorResponses },
      },
    },
    async (request) => ({
      data: (await listCustomerReceipts(deps.db, requireActor(request), request.params.customerNumber)).map(
        presentReceipt,
      ),
    }),
  );

  app.post(
    '/api/v1/receipts/:receiptNumber/reversal',
    {
      config: { access: ['staff'] as const },
      schema: {
        tags: ['receipts'],
        summary: 'Reverse a receipt (NSF, chargeback, entered in error) with a reversing journal entry',
        params: receiptNumberParams,
        body: z.strictObject({
          reason: z.enum(['nsf', 'chargeback', 'entered_in_error']),
          note: z.string().trim().max(1000).optional(),
        }),
        response: { 200: receiptSchema, ...errorResponses },
      },
    },
    async (request, reply) =>
      respond(deps.db, request, reply, 200, async (tx) =>
        presentReceipt(
          await reverseReceipt(tx, requireActor(request), request.params.receiptNumber, request.body, deps.clock()),
        ),
      ),
  );

  app.post(
    '/api/v1/customers/:customerNumber/on-account/apply',
    {
      config: { access: ['staff'] as const },
      schema: {
        tags: ['receipts'],
        summary: "Pay an open invoice from the customer's On Account credit",
        params: customerNumberParams,
        body: z.strictObject({ invoiceNumber: invoiceNumberInput, amount: money() }),
        response: {
          201: z.object({
            customerNumber: z.number().int(),
            invoiceNumber: z.number().int(),
            appliedAmount: amount,
            invoiceBalance: amount,
            onAccount: amount,
          }),
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const invoiceNumber = parseInvoiceNumber(request.body.invoiceNumber, 'invoiceNumber');
      return respond(deps.db, request, reply, 201, async (tx) => {
        const result = await applyOnAccountCredit(tx, requireActor(request), request.params.customerNumber, {
          invoiceNumber,
          amountCents: request.body.amount,
        });
        return {
          customerNumber: result.customerNumber,
          invoiceNumber: result.invoiceNumber,
          appliedAmount: toAmount(result.appliedCents),
          invoiceBalance: toAmount(result.invoiceBalanceCents),
          onAccount: toAmount(result.onAccountCents),
        };
      });
    },
  );
}
