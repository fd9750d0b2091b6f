import { z } from 'zod';
import { createInvoice, getInvoice, updateInvoice } from '../../services/invoices.ts';
import { requireActor } from '../auth.ts';
import { respond } from '../idempotency.ts';
import { presentInvoice } from '../presenters.ts';
import {
  amount,
  calendarDate,
  customerNumber,
  errorResponses,
  invoiceNumberParams,
  money,
  nonEmpty,
} from '../schemas.ts';
import type { App, RouteDeps } from '../types.ts';

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
        }),
        response: { 201: invoiceSchema, ...errorResponses },
      },
    },
    async (request, reply) =>
      respond(deps.db, request, reply, 201, async (tx) => {
        const { amount: amountCents, ...rest } = request.body;
        return presentInvoice(await createInvoice(tx, requireActor(request), { ...rest, amountCents }));
      }),
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
