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
  errorResponses,
  invoiceNumberParams,
  money,
  nonEmpty,
} from '../../platform/http/schemas.ts';
import type { App, RouteDeps } from '../../platform/http/types.ts';
import { listInvoiceInstallments } from '../installments.ts';
import { createInvoice, exportInvoices, getInvoice, updateInvoice } from '../invoices.ts';
import { invoiceLedger } from '../ledger-views.ts';
import { invoiceCsvHeader, invoiceCsvRow } from '../rules/invoice-csv.ts';
import { ledgerEntriesSchema, presentLedger } from './ledger-schema.ts';
import { presentInvoice } from './presenters.ts';

const invoiceSchema = z
  .object({
    invoiceNumber: z.number().int(),
    displayNumber: z.string(),
    customerNumber: z.number().int(),
    policyNumber: z.string().nullable(),
    amount,
    balance: amount,
    dueDate: z.string(),
    status: z.enum(['open', 'partially_paid', 'paid']),
    autopayTime: z.string().nullable(),
    suppressAutopay: z.boolean(),
    description: z.string().nullable(),
  })
  .meta({ id: 'Invoice' });

const invoiceInstallmentsSchema = z
  .object({
    invoiceNumber: z.number().int(),
    autopayTime: z.string().nullable().meta({ description: "The earliest of the installments' autopay times" }),
    data: z.array(
      z.object({
        policyNumber: z.string(),
        sequence: z.number().int(),
        dueDate: z.string(),
        amount,
        autopayTime: z
          .string()
          .nullable()
          .meta({ description: "Due date minus the plan's autopayLeadDays at the agency's autopay hour" }),
      }),
    ),
  })
  .meta({ id: 'InvoiceInstallments' });

export function invoiceRoutes(app: App, deps: RouteDeps): void {
  app.post(
    '/api/v1/invoices',
    {
      config: { access: ['staff'] as const },
      schema: {
        tags: ['invoices'],
        summary: 'Create an invoice directly (e.g. importing open AR); posts it to the ledger',
        body: z.strictObject({
          customerNumber,
          policyNumber: nonEmpty(64).optional(),
          invoiceNumber: customerNumber.optional(),
          entitySequence: z.number().int().min(1).max(999).optional(),
          dueDate: calendarDate,
          amount: money(),
          description: z.string().max(500).optional(),
          installments: z
            .array(z.strictObject({ dueDate: calendarDate, amount: money() }))
            .min(1, { error: 'must contain at least one installment' })
            .max(366)
            .optional()
            .meta({
              description:
                "Imported AR: the policy's installments this invoice holds (they add up to amount). Each gets its " +
                "autopay time from the policy's plan, and the invoice the earliest of them.",
            }),
        }),
        response: { 201: invoiceSchema, ...errorResponses },
      },
    },
    async (request, reply) =>
      respond(deps.db, request, reply, 201, async (tx) => {
        const { amount: amountCents, installments, ...rest } = request.body;
        return presentInvoice(
          // The server's clock dates the billing entry (its agency day), as a receipt's reversal.
          await createInvoice(
            tx,
            requireActor(request),
            {
              ...rest,
              amountCents,
              installments: installments?.map((i) => ({ dueDate: i.dueDate, amountCents: i.amount })),
            },
            deps.clock(),
          ),
        );
      }),
  );

  app.get(
    '/api/v1/invoices/export.csv',
    {
      config: { access: ['staff', 'agent'] },
      schema: {
        tags: ['invoices'],
        summary: "Export the agency's invoices with their open balances as CSV, streamed",
        response: { 200: csvResponse('The invoices as CSV, a header row first'), ...errorResponses },
      },
    },
    async (request, reply) => {
      const actor = requireActor(request);
      const today = await agencyToday(deps.db, actor.agencyId, deps.clock());
      const pages = exportInvoices(deps.db, actor);
      return sendCsv(reply, `invoices-${today}.csv`, invoiceCsvHeader, csvRows(pages, invoiceCsvRow));
    },
  );

  app.get(
    '/api/v1/invoices/:invoiceNumber/ledger',
    {
      schema: {
        tags: ['invoices'],
        summary: 'Every journal entry with a line on the invoice (billing, receipts, reversals, fees), with its lines',
        params: invoiceNumberParams,
        response: { 200: ledgerEntriesSchema, ...errorResponses },
      },
    },
    async (request) => presentLedger(await invoiceLedger(deps.db, requireActor(request), request.params.invoiceNumber)),
  );

  app.get(
    '/api/v1/invoices/:invoiceNumber/installments',
    {
      schema: {
        tags: ['invoices'],
        summary: "An invoice's installments with their autopay times (the invoice takes the earliest)",
        params: invoiceNumberParams,
        response: { 200: invoiceInstallmentsSchema, ...errorResponses },
      },
    },
    async (request) => {
      const result = await listInvoiceInstallments(deps.db, requireActor(request), request.params.invoiceNumber);
      return {
        invoiceNumber: result.invoiceNumber,
        autopayTime: result.autopayTime?.toISOString() ?? null,
        data: result.installments.map((i) => ({
          policyNumber: i.policyNumber,
          sequence: i.sequence,
          dueDate: i.dueDate,
          amount: toAmount(i.amountCents),
          autopayTime: i.autopayTime?.toISOString() ?? null,
        })),
      };
    },
  );

  app.get(
    '/api/v1/invoices/:invoiceNumber',
    {
      schema: {
        tags: ['invoices'],
        summary: 'Get an invoice with its open balance',
        params: invoiceNumberParams,
        response: { 200: invoiceSchema, ...errorResponses },
      },
    },
    async (request) => presentInvoice(await getInvoice(deps.db, requireActor(request), request.params.invoiceNumber)),
  );

  app.patch(
    '/api/v1/invoices/:invoiceNumber',
    {
      config: { access: ['staff'] as const },
      schema: {
        tags: ['invoices'],
        summary: 'Update an invoice (suppress autopay)',
        params: invoiceNumberParams,
        body: z.strictObject({ suppressAutopay: z.boolean().optional() }),
        response: { 200: invoiceSchema, ...errorResponses },
      },
    },
    async (request) =>
      presentInvoice(await updateInvoice(deps.db, requireActor(request), request.params.invoiceNumber, request.body)),
  );
}
