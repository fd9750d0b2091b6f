// Autopay scenarios for test/http/autopay-*.test.ts: each an agency of its own on a PaymentsWorld.
import assert from 'node:assert/strict';
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

// The agency is in America/Chicago with the default autopay hour (06:00). Plan "Monthly 5" bills
// three monthly installments with 5 lead days: a policy effective 2026-03-10 has installments due
// 03-10, 04-10 and 05-10, whose autopay times are 03-05 06:00 CST, 04-05 and 05-05 06:00 CDT.
const EFFECTIVE = '2026-03-10';
export const AUTOPAY_TIME = new Date('2026-03-05T12:00:00Z');
export const minutes = (n: number) => new Date(AUTOPAY_TIME.getTime() + n * 60_000);
export const days = (n: number) => new Date(AUTOPAY_TIME.getTime() + n * 86_400_000);

/** `current` is read at each call: the tests set the world in `before`. */
export function autopayScenarios(current: () => { world: PaymentsWorld; target: Target }) {
  let agencies = 0;

  /** An agency of its own (passes are per agency), with a bank, the plans and one customer with a card. */
  async function scenario(options: { enroll?: boolean } = {}) {
    const { world, target } = current();
    const db = world.database.db;
    const agency = await createTestAgency(db, `Autopay Agency ${++agencies}`);
    await createBank(db, agency.actor, { shortName: 'OPER', name: 'Operating', division: 'Main' });
    const api = apiClient(world.url, agency.apiKey);
    for (const plan of [
      { name: 'Monthly 5', installments: 3, frequency: 'monthly', autopayLeadDays: 5 },
      { name: 'Monthly manual', installments: 3, frequency: 'monthly' },
    ]) {
      const created = await api.post('/api/v1/installment-plans', plan);
      assert.equal(created.status, 201, JSON.stringify(created.body));
    }
    const customer = await api.post('/api/v1/customers', { type: 'individual', name: 'Jane Smith' });
    const customerNumber = customer.body.customerNumber as number;
    const saveCard = async (number: string) => {
      const token = await tokenizeCard(world.sandbox, number);
      const saved = await api.post(`/api/v1/customers/${customerNumber}/payment-methods`, {
        processor: 'sandbox',
        token,
      });
      assert.equal(saved.status, 201, JSON.stringify(saved.body));
      return saved.body.id as string;
    };
    const methodId = await saveCard(CARD_SUCCEEDS);
    let policies = 0;
    const s = {
      agencyId: agency.id,
      /** The agency's staff user, who can sign in to the console. */
      staff: agency.staff,
      api,
      customerNumber,
      methodId,
      saveCard,
      enroll: async (paymentMethodId = methodId) => {
        const res = await api.post(`/api/v1/customers/${customerNumber}/autopay`, { paymentMethodId });
        assert.equal(res.status, 200, JSON.stringify(res.body));
        return res.body;
      },
      /** A policy billed on a plan; returns its invoice numbers in due order. */
      policy: async (
        options: { status?: string; plan?: string; effectiveDate?: string; premium?: number } = {},
      ): Promise<{ policyNumber: string; invoices: number[] }> => {
        const policyNumber = `AP-${agency.id.slice(0, 4)}-${++policies}`;
        const effectiveDate = options.effectiveDate ?? EFFECTIVE;
        const created = await api.post('/api/v1/policies', {
          customerNumber,
          policyNumber,
          lineOfBusiness: 'Auto',
          effectiveDate,
          expirationDate: `${Number(effectiveDate.slice(0, 4)) + 1}${effectiveDate.slice(4)}`,
          premium: options.premium ?? 300,
          status: options.status ?? 'active',
          installmentPlan: options.plan ?? 'Monthly 5',
        });
        assert.equal(created.status, 201, JSON.stringify(created.body));
        const billed = await api.post(`/api/v1/policies/${policyNumber}/bill`);
        assert.equal(billed.status, 201, JSON.stringify(billed.body));
        return {
          policyNumber,
          invoices: billed.body.installments.map((i: { invoiceNumber: number }) => i.invoiceNumber),
        };
      },
      pass: (now: Date, plugin?: AutopayPlugin) =>
        runAutopayPass(world.database.db, systemActor(agency.id, 'autopay'), {
          now,
          plugin,
          trigger: 'manual',
          concurrency: target === 'postgres' ? 4 : 1,
        }),
      autopayOf: async (invoiceNumber: number) => {
        const res = await api.get(`/api/v1/invoices/${invoiceNumber}/autopay`);
        assert.equal(res.status, 200, JSON.stringify(res.body));
        return res.body;
      },
      invoice: async (invoiceNumber: number) => (await api.get(`/api/v1/invoices/${invoiceNumber}`)).body,
      paymentsOf: async () =>
        (await api.get(`/api/v1/payments?customerNumber=${customerNumber}`)).body.data as {
          id: string;
          state: string;
          amount: number;
          channel: string;
          payer: string;
          paymentMethodId: string;
          nextAttemptAt: string | null;
          targets: { invoiceNumber: number; amount: number }[];
        }[],
    };
    if (options.enroll) await s.enroll();
    return s;
  }

  const chargesFor = async (paymentId: string) => {
    const { world } = current();
    const attempts = await sql<{ key: string }>`SELECT idempotency_key AS key FROM payment_attempts
      WHERE payment_id = ${paymentId}`.execute(world.database.db);
    return attempts.rows.reduce((total, a) => total + world.sandbox.chargeCount(a.key), 0);
  };
  return { scenario, chargesFor };
}
