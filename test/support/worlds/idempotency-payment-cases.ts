// Idempotency-Key route cases for the staff payments API (create, cancel, retry now, refund): how
// to make one first request of each route, and another valid body to reuse its key with.
import assert from 'node:assert/strict';
import { executePayment } from '../../../src/payments/execution.ts';
import {
  CARD_DECLINED_INSUFFICIENT_FUNDS,
  CARD_SUCCEEDS,
} from '../../../src/payments/processors/sandbox/test-numbers.ts';
import { tokenizeCard } from '../payments.ts';
import {
  api,
  customer,
  database,
  ok,
  payment,
  paymentRequest,
  processors,
  type RouteCase,
  sandbox,
} from './idempotency-world.ts';

export const paymentRouteCases: Record<string, RouteCase> = {
  '/api/v1/payments': {
    status: 201,
    make: async () => {
      const c = await customer();
      const body = {
        customerNumber: c.customerNumber,
        type: 'card',
        amount: 100,
        paymentMethodId: c.methodId,
        targets: [{ invoiceNumber: c.invoiceNumber, amount: 100 }],
        channel: 'agent_sweep',
        bankShortName: 'OPER',
      };
      return { client: api, path: '/api/v1/payments', body, other: { ...body, amount: 200 } };
    },
  },
  '/api/v1/payments/{id}/cancel': {
    status: 200,
    make: async () => {
      const id = await payment(await customer());
      return { client: api, path: `/api/v1/payments/${id}/cancel`, other: {} };
    },
  },
  '/api/v1/payments/{id}/retry': {
    status: 200,
    make: async () => {
      // A soft decline leaves the payment waiting for its scheduled retry: what "retry now" runs.
      const c = await customer();
      const declining = ok(
        await api.post(`/api/v1/customers/${c.customerNumber}/payment-methods`, {
          token: await tokenizeCard(sandbox, CARD_DECLINED_INSUFFICIENT_FUNDS),
        }),
        201,
      );
      const id = await payment({ ...c, methodId: declining.id });
      const executed = await executePayment(database.db, processors, id);
      assert.equal(executed.status, 'declined', JSON.stringify(executed));
      return { client: api, path: `/api/v1/payments/${id}/retry`, other: {} };
    },
  },
  '/api/v1/payments/{id}/refunds': {
    status: 201,
    make: async () => {
      const id = await payment(await customer());
      const executed = await executePayment(database.db, processors, id);
      assert.equal(executed.status, 'succeeded', JSON.stringify(executed));
      return { client: api, path: `/api/v1/payments/${id}/refunds`, body: {}, other: { reason: 'other' } };
    },
  },
  // Staff charge the request with the customer's saved card; the key commits with the payment.
  '/api/v1/payment-requests/{id}/charge': {
    status: 201,
    make: async () => {
      const c = await customer();
      const id = await paymentRequest(c);
      // Another card of the customer: the same key with it is refused before anything is charged.
      const other = ok(
        await api.post(`/api/v1/customers/${c.customerNumber}/payment-methods`, {
          token: await tokenizeCard(sandbox, CARD_SUCCEEDS),
        }),
        201,
      );
      return {
        client: api,
        path: `/api/v1/payment-requests/${id}/charge`,
        body: { paymentMethodId: c.methodId },
        other: { paymentMethodId: other.id },
      };
    },
  },
};
