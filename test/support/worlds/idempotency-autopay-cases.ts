// The Idempotency-Key case of re-firing an autopay pull (the staff console's Re-fire): a pull the
// processor declined for good, the customer since enrolled with a good card.
import assert from 'node:assert/strict';
import { runAutopayPass } from '../../../src/autopay/autopay.ts';
import { systemActor } from '../../../src/kernel/actor.ts';
import { executePayment } from '../../../src/payments/execution.ts';
import { CARD_DECLINED_STOLEN } from '../../../src/payments/processors/sandbox/test-numbers.ts';
import { tokenizeCard } from '../payments.ts';
import { agency, api, customer, database, ok, processors, type RouteCase, sandbox } from './idempotency-world.ts';

/** The pass's clock: the invoice's autopay time has come. */
const AUTOPAY_TIME = new Date('2026-03-05T12:00:00Z');

export const autopayRouteCases: Record<string, RouteCase> = {
  '/api/v1/invoices/{invoiceNumber}/autopay/refire': {
    status: 202,
    make: async () => {
      const c = await customer();
      const stolen = ok(
        await api.post(`/api/v1/customers/${c.customerNumber}/payment-methods`, {
          token: await tokenizeCard(sandbox, CARD_DECLINED_STOLEN),
        }),
        201,
      );
      ok(await api.post(`/api/v1/customers/${c.customerNumber}/autopay`, { paymentMethodId: stolen.id }), 200);
      // As billing on a plan with autopay lead days would set it.
      await database.db
        .updateTable('invoices')
        .set({ autopay_time: AUTOPAY_TIME })
        .where('agency_id', '=', agency.id)
        .where('invoice_number', '=', c.invoiceNumber)
        .execute();
      await runAutopayPass(database.db, systemActor(agency.id, 'autopay'), { now: AUTOPAY_TIME, concurrency: 1 });
      const fired = ok(await api.get(`/api/v1/invoices/${c.invoiceNumber}/autopay`), 200);
      assert.ok(fired.firing?.paymentId, JSON.stringify(fired));
      await executePayment(database.db, processors, fired.firing.paymentId, { now: AUTOPAY_TIME });
      ok(await api.post(`/api/v1/customers/${c.customerNumber}/autopay`, { paymentMethodId: c.methodId }), 200);
      return { client: api, path: `/api/v1/invoices/${c.invoiceNumber}/autopay/refire`, other: {} };
    },
  },
};
