// The world of the Socotra autopay fidelity tests (test/http/autopay-fidelity-*.test.ts): the README's
// outside payment service, and an agency of its own per scenario.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { createBank } from '../../../src/agency/banks.ts';
import { runAutopayPass } from '../../../src/autopay/autopay.ts';
import type { AutopayPlugin } from '../../../src/autopay/rules/autopay.ts';
import { systemActor } from '../../../src/kernel/actor.ts';
import { CARD_SUCCEEDS } from '../../../src/payments/processors/sandbox/test-numbers.ts';
import type { Target } from '../db.ts';
import { createTestAgency } from '../fixtures.ts';
import { apiClient } from '../http.ts';
import { type PaymentsWorld, tokenizeCard } from '../payments.ts';

// Issue 16 item 8: Socotra's autopay (seed 003) statement by statement. The agency is in
// America/Chicago with the default autopay hour (06:00); plan "Monthly 5" has 5 lead days, so an
// installment due 2026-03-10 has its autopay time 2026-03-05 06:00 CST = 12:00 UTC.
export const AUTOPAY_TIME = new Date('2026-03-05T12:00:00Z');

/** The outside payment service of the README's worked example: collects once per idempotency key. */
export async function startCollector() {
  const keys: string[] = [];
  let decline = false;
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      const key = String(request.headers['idempotency-key']);
      if (decline) {
        response.writeHead(402).end();
        return;
      }
      if (!keys.includes(key)) keys.push(key);
      const { invoiceNumber } = JSON.parse(body) as { invoiceNumber: number };
      response
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ reference: `EXT-${invoiceNumber}-${keys.indexOf(key) + 1}` }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    keys,
    declineAll: () => {
      decline = true;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export type Collector = Awaited<ReturnType<typeof startCollector>>;

/** `current` is read at each call: the tests set the world in `before`. */
export function fidelityScenarios(current: () => { world: PaymentsWorld; target: Target }) {
  let agencies = 0;

  async function scenario() {
    const { world, target } = current();
    const db = world.database.db;
    const agency = await createTestAgency(db, `Fidelity Autopay ${++agencies}`);
    await createBank(db, agency.actor, { shortName: 'OPER', name: 'Operating', division: 'Main' });
    const api = apiClient(world.url, agency.apiKey);
    for (const plan of [
      { name: 'Monthly 5', installments: 3, frequency: 'monthly', autopayLeadDays: 5 },
      { name: 'Monthly manual', installments: 3, frequency: 'monthly' },
    ]) {
      assert.equal((await api.post('/api/v1/installment-plans', plan)).status, 201);
    }
    const customerNumber = (await api.post('/api/v1/customers', { type: 'individual', name: 'Jane Smith' })).body
      .customerNumber as number;
    const token = await tokenizeCard(world.sandbox, CARD_SUCCEEDS);
    const method = await api.post(`/api/v1/customers/${customerNumber}/payment-methods`, {
      processor: 'sandbox',
      token,
    });
    assert.equal(method.status, 201, JSON.stringify(method.body));
    let policies = 0;
    const s = {
      agencyId: agency.id,
      api,
      customerNumber,
      methodId: method.body.id as string,
      enroll: async () =>
        assert.equal(
          (await api.post(`/api/v1/customers/${customerNumber}/autopay`, { paymentMethodId: s.methodId })).status,
          200,
        ),
      /** A policy on a plan, not billed; returns its number. */
      policy: async (plan = 'Monthly 5') => {
        const policyNumber = `SF-${agency.id.slice(0, 4)}-${++policies}`;
        const created = await api.post('/api/v1/policies', {
          customerNumber,
          policyNumber,
          lineOfBusiness: 'Auto',
          effectiveDate: '2026-03-10',
          expirationDate: '2027-03-10',
          premium: 300,
          status: 'active',
          installmentPlan: plan,
        });
        assert.equal(created.status, 201, JSON.stringify(created.body));
        return policyNumber;
      },
      pass: (now: Date, plugin?: AutopayPlugin) =>
        runAutopayPass(world.database.db, systemActor(agency.id, 'autopay'), {
          now,
          plugin,
          trigger: 'manual',
          concurrency: target === 'postgres' ? 4 : 1,
        }),
      invoices: async () =>
        Number(
          (await sql<{ n: bigint }>`SELECT count(*) AS n FROM invoices WHERE agency_id = ${agency.id}`.execute(db))
            .rows[0]!.n,
        ),
      payments: async () =>
        (await api.get(`/api/v1/payments?customerNumber=${customerNumber}`)).body.data as Record<string, any>[],
    };
    return s;
  }
  return { scenario };
}
