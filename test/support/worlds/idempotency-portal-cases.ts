import { randomUUID } from 'node:crypto';
import { CARD_SUCCEEDS } from '../../../src/payments/processors/sandbox/test-numbers.ts';
import { tokenizeCard } from '../payments.ts';
import {
  agency,
  api,
  customer,
  database,
  ok,
  paymentRequest,
  portalFor,
  type RouteCase,
  receipt,
  sandbox,
} from './idempotency-world.ts';

export const portalRouteCases: Record<string, RouteCase> = {
  '/api/v1/connectors/ams360-receipts/exports/{exportId}/retry': {
    status: 200,
    make: async () => {
      const c = await customer();
      const r = await receipt(c);
      const receiptId = (
        await database.db
          .selectFrom('receipts')
          .select('id')
          .where('agency_id', '=', agency.id)
          .where('receipt_number', '=', r.receiptNumber)
          .executeTakeFirstOrThrow()
      ).id;
      const row = await database.db
        .insertInto('ams_receipt_exports')
        .values({
          agency_id: agency.id,
          receipt_id: receiptId,
          reference: `R-${r.receiptNumber}`,
          idempotency_key: `policypay-receipt-${receiptId}`,
          body: JSON.stringify({}),
          status: 'failed',
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      return { client: api, path: `/api/v1/connectors/ams360-receipts/exports/${row.id}/retry`, other: {} };
    },
  },
  '/api/v1/portal/payment-requests/{id}/pay': {
    status: 201,
    make: async () => {
      const c = await customer();
      const id = await paymentRequest(c);
      return {
        client: await portalFor(c),
        path: `/api/v1/portal/payment-requests/${id}/pay`,
        body: { paymentMethodId: c.methodId },
        other: { paymentMethodId: randomUUID() },
      };
    },
  },
  '/api/v1/portal/payments': {
    status: 201,
    make: async () => {
      const c = await customer();
      return {
        client: await portalFor(c),
        path: '/api/v1/portal/payments',
        body: { amount: 100, paymentMethodId: c.methodId },
        other: { amount: 200, paymentMethodId: c.methodId },
      };
    },
  },
  '/api/v1/portal/payment-methods': {
    status: 201,
    make: async () => {
      const c = await customer();
      const token = await tokenizeCard(sandbox, CARD_SUCCEEDS);
      return {
        client: await portalFor(c),
        path: '/api/v1/portal/payment-methods',
        body: { token },
        other: { token, isDefault: true },
      };
    },
  },
  '/api/v1/portal/payment-methods/{id}/default': {
    status: 200,
    make: async () => {
      const c = await customer();
      const second = ok(
        await api.post(`/api/v1/customers/${c.customerNumber}/payment-methods`, {
          token: await tokenizeCard(sandbox, CARD_SUCCEEDS),
        }),
        201,
      );
      return { client: await portalFor(c), path: `/api/v1/portal/payment-methods/${second.id}/default`, other: {} };
    },
  },
  '/api/v1/portal/session/account': {
    status: 200,
    make: async () => {
      const c = await customer();
      // The same person is a contact of a second customer: their portal may switch to it.
      const email = (
        await database.db.selectFrom('contacts').select('email').where('id', '=', c.contactId).executeTakeFirstOrThrow()
      ).email;
      const second = ok(await api.post('/api/v1/customers', { type: 'group', name: `Idem ${c.n} LLC` }), 201);
      ok(await api.post(`/api/v1/customers/${second.customerNumber}/contacts`, { name: `Idem ${c.n}`, email }), 201);
      return {
        client: await portalFor(c),
        path: '/api/v1/portal/session/account',
        body: { customerNumber: second.customerNumber },
        other: { customerNumber: c.customerNumber },
      };
    },
  },
  '/api/v1/portal/autopay': {
    status: 200,
    make: async () => {
      const c = await customer();
      return {
        client: await portalFor(c),
        path: '/api/v1/portal/autopay',
        body: { paymentMethodId: c.methodId },
        other: { paymentMethodId: randomUUID() },
      };
    },
  },
};
