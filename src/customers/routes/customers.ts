import { z } from 'zod';
import { agencyToday } from '../../agency/agencies.ts';
import { getCustomerAccount } from '../../ledger/accounts.ts';
import { presentAccount, presentCustomer, presentPolicy } from '../../ledger/routes/presenters.ts';
import { requireActor } from '../../platform/http/auth.ts';
import { csvResponse, csvRows, sendCsv } from '../../platform/http/csv.ts';
import { respond } from '../../platform/http/idempotency.ts';
import {
  amount,
  customerNumber,
  customerNumberParams,
  errorResponses,
  nonEmpty,
  pageLimit,
} from '../../platform/http/schemas.ts';
import type { App, RouteDeps } from '../../platform/http/types.ts';
import { pushPending } from '../../sync/push.ts';
import { addContact, listContacts, updateContact } from '../contacts.ts';
import { updateCustomer } from '../customer-edits.ts';
import { exportCustomers, listCustomers } from '../customer-list.ts';
import { createCustomer, getCustomer } from '../customers.ts';
import { listCustomerPolicies } from '../policies.ts';
import { customerCsvHeader, customerCsvRow } from '../rules/customer-csv.ts';
import { policySchema } from './policies.ts';

const addressSchema = z
  .strictObject({
    line1: z.string().max(200).optional(),
    line2: z.string().max(200).optional(),
    city: z.string().max(100).optional(),
    state: z.string().max(50).optional(),
    postalCode: z.string().max(20).optional(),
    country: z.string().max(2).optional(),
  })
  .meta({ id: 'Address' });

const customerSchema = z
  .object({
    customerNumber: z.number().int(),
    type: z.enum(['individual', 'group']),
    name: z.string(),
    email: z.string().nullable(),
    phone: z.string().nullable(),
    address: addressSchema.nullable(),
    producerUserId: z.string().nullable(),
    csrUserId: z.string().nullable(),
    createdAt: z.string(),
  })
  .meta({ id: 'Customer' });

const contactSchema = z
  .object({
    id: z.string(),
    customerNumber: z.number().int(),
    name: z.string(),
    email: z.string().nullable(),
    phone: z.string().nullable(),
    primary: z.boolean(),
  })
  .meta({ id: 'Contact' });

const accountSchema = z
  .object({
    customerNumber: z.number().int(),
    arBalance: amount,
    onAccount: amount,
    invoices: z.array(
      z.object({
        invoiceNumber: z.number().int(),
        amount,
        balance: amount,
        dueDate: z.string(),
        status: z.enum(['open', 'partially_paid', 'paid']),
      }),
    ),
  })
  .meta({ id: 'CustomerAccount' });

const email = z.email({ error: 'must be an e-mail address' }).max(320);

function pushAfterCommit(deps: RouteDeps, agencyId: string, log: { error(obj: unknown, msg: string): void }): void {
  void pushPending(deps.db, agencyId).catch((error) => log.error({ err: error }, 'sync push failed'));
}

export function customerRoutes(app: App, deps: RouteDeps): void {
  app.post(
    '/api/v1/customers',
    {
      config: { access: ['staff', 'agent'] },
      schema: {
        tags: ['customers'],
        summary: 'Create a customer (customerNumber assigned when absent)',
        body: z.strictObject({
          customerNumber: customerNumber.optional(),
          type: z.enum(['individual', 'group']),
          name: nonEmpty(200),
          email: email.optional(),
          phone: z.string().trim().max(40).optional(),
          address: addressSchema.optional(),
          producerUserId: z.uuid().optional(),
          csrUserId: z.uuid().optional(),
        }),
        response: { 201: customerSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const actor = requireActor(request);
      const result = await respond(deps.db, request, reply, 201, async (tx) =>
        presentCustomer(await createCustomer(tx, actor, request.body)),
      );
      // The rules' pushOnCreate was queued with the customer; it is sent after commit (a failure
      // stays queued for the sync sweep).
      pushAfterCommit(deps, actor.agencyId, request.log);
      return result;
    },
  );

  app.get(
    '/api/v1/customers',
    {
      schema: {
        tags: ['customers'],
        summary:
          "List customers by number, in keyset pages (`after` the previous page's `nextAfter`), narrowed by a search",
        querystring: z
          .strictObject({
            search: z.string().max(200).optional().meta({
              description:
                'Part of a name, e-mail or policy number, phone digits (any punctuation), a customer or invoice number; a typed customer number lists that customer first',
            }),
            limit: pageLimit(500, 50),
            after: z.coerce
              .number({ error: 'must be a nextAfter this list returned' })
              .int({ error: 'must be a nextAfter this list returned' })
              .min(0, { error: 'must be a nextAfter this list returned' })
              .max(2_147_483_647, { error: 'must be a nextAfter this list returned' })
              .optional()
              .meta({
                description: 'The page after the one that returned this `nextAfter` (customers numbered above it)',
              }),
            offset: z.coerce
              .number()
              .int()
              .min(0)
              .max(2_147_483_647)
              .default(0)
              .meta({ description: 'Deprecated, kept for older clients: skip this many rows (use `after`)' }),
          })
          .refine((query) => query.after === undefined || query.offset === 0, {
            error: 'cannot be combined with after',
            path: ['offset'],
          }),
        response: {
          200: z.object({
            data: z.array(customerSchema),
            nextAfter: z
              .number()
              .int()
              .nullable()
              .meta({ description: 'Pass as `after` for the next page; null on the last' }),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const page = await listCustomers(deps.db, requireActor(request), request.query);
      return { data: page.data.map(presentCustomer), nextAfter: page.nextAfter };
    },
  );

  app.get(
    '/api/v1/customers/export.csv',
    {
      config: { access: ['staff', 'agent'] },
      schema: {
        tags: ['customers'],
        summary: 'Export the customers the list would show (same search) as CSV, streamed',
        querystring: z.strictObject({ search: z.string().max(200).optional() }),
        response: { 200: csvResponse('The customers as CSV, a header row first'), ...errorResponses },
      },
    },
    async (request, reply) => {
      const actor = requireActor(request);
      const today = await agencyToday(deps.db, actor.agencyId, deps.clock());
      const pages = exportCustomers(deps.db, actor, request.query);
      return sendCsv(reply, `customers-${today}.csv`, customerCsvHeader, csvRows(pages, customerCsvRow));
    },
  );

  app.get(
    '/api/v1/customers/:customerNumber',
    {
      schema: {
        tags: ['customers'],
        summary: 'Get a customer',
        params: customerNumberParams,
        response: { 200: customerSchema, ...errorResponses },
      },
    },
    async (request) =>
      presentCustomer(await getCustomer(deps.db, requireActor(request), request.params.customerNumber)),
  );

  app.patch(
    '/api/v1/customers/:customerNumber',
    {
      config: { access: ['staff', 'agent'] },
      schema: {
        tags: ['customers'],
        summary: 'Edit a customer; the edit follows it to the external systems it is synced with',
        params: customerNumberParams,
        body: z.strictObject({
          type: z.enum(['individual', 'group']).optional(),
          name: nonEmpty(200).optional(),
          email: email.nullable().optional(),
          phone: z.string().trim().max(40).nullable().optional(),
          address: addressSchema.nullable().optional(),
        }),
        response: { 200: customerSchema, ...errorResponses },
      },
    },
    async (request) => {
      const actor = requireActor(request);
      const { customer, pushTo } = await updateCustomer(deps.db, actor, request.params.customerNumber, request.body);
      // Pushed after commit; a failure stays queued for the sync sweep.
      if (pushTo.length > 0) pushAfterCommit(deps, actor.agencyId, request.log);
      return presentCustomer(customer);
    },
  );

  app.get(
    '/api/v1/customers/:customerNumber/account',
    {
      schema: {
        tags: ['customers'],
        summary: "A customer's receivables: AR balance, On Account credit and invoices, from the ledger",
        params: customerNumberParams,
        response: { 200: accountSchema, ...errorResponses },
      },
    },
    async (request) =>
      presentAccount(await getCustomerAccount(deps.db, requireActor(request), request.params.customerNumber)),
  );

  app.post(
    '/api/v1/customers/:customerNumber/contacts',
    {
      config: { access: ['staff', 'agent'] },
      schema: {
        tags: ['customers'],
        summary: 'Add a contact to a customer',
        params: customerNumberParams,
        body: z.strictObject({
          name: nonEmpty(200),
          email: email.optional(),
          phone: z.string().trim().max(40).optional(),
          primary: z.boolean().optional(),
        }),
        response: { 201: contactSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const actor = requireActor(request);
      let pushTo: readonly string[] = [];
      const result = await respond(deps.db, request, reply, 201, async (tx) => {
        const { pushTo: systems, ...contact } = await addContact(
          tx,
          actor,
          request.params.customerNumber,
          request.body,
        );
        pushTo = systems;
        return contact;
      });
      // A new primary contact goes to the systems the customer is linked to, after commit.
      if (pushTo.length > 0) pushAfterCommit(deps, actor.agencyId, request.log);
      return result;
    },
  );

  app.patch(
    '/api/v1/customers/:customerNumber/contacts/:contactId',
    {
      config: { access: ['staff', 'agent'] },
      schema: {
        tags: ['customers'],
        summary: "Edit a contact; the customer's primary contact follows to the systems it is synced with",
        params: customerNumberParams.extend({ contactId: z.string().max(100) }),
        body: z
          .strictObject({
            name: nonEmpty(200).optional(),
            email: email.nullable().optional(),
            phone: z.string().trim().max(40).nullable().optional(),
            primary: z.literal(true, { error: 'can only be true (make another contact primary instead)' }).optional(),
          })
          .refine((body) => Object.keys(body).length > 0, { error: 'name the fields to change' }),
        response: { 200: contactSchema, ...errorResponses },
      },
    },
    async (request) => {
      const actor = requireActor(request);
      const { pushTo, ...contact } = await updateContact(
        deps.db,
        actor,
        request.params.customerNumber,
        request.params.contactId,
        request.body,
      );
      if (pushTo.length > 0) pushAfterCommit(deps, actor.agencyId, request.log);
      return contact;
    },
  );

  app.get(
    '/api/v1/customers/:customerNumber/contacts',
    {
      schema: {
        tags: ['customers'],
        summary: "A customer's contacts",
        params: customerNumberParams,
        response: { 200: z.object({ data: z.array(contactSchema) }), ...errorResponses },
      },
    },
    async (request) => ({
      data: await listContacts(deps.db, requireActor(request), request.params.customerNumber),
    }),
  );

  app.get(
    '/api/v1/customers/:customerNumber/policies',
    {
      schema: {
        tags: ['customers'],
        summary: "A customer's policies",
        params: customerNumberParams,
        response: { 200: z.object({ data: z.array(policySchema) }), ...errorResponses },
      },
    },
    async (request) => ({
      data: (await listCustomerPolicies(deps.db, requireActor(request), request.params.customerNumber)).map(
        presentPolicy,
      ),
    }),
  );
}
