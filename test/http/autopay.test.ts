import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { defaultAutopayPlugin } from '../../src/autopay/default-plugin.ts';
import type { AutopayPlugin } from '../../src/domain/autopay.ts';
import { CARD_SUCCEEDS, CARD_SUCCEEDS_MASTERCARD } from '../../src/processors/sandbox/test-numbers.ts';
import { systemActor } from '../../src/services/actor.ts';
import { createApiKey } from '../../src/services/api-keys.ts';
import { runAutopayPass } from '../../src/services/autopay.ts';
import { createBank } from '../../src/services/banks.ts';
import { duePaymentIds, executePayment } from '../../src/services/payment-execution.ts';
import { databaseTargets } from '../support/db.ts';
import { createTestAgency } from '../support/fixtures.ts';
import { apiClient } from '../support/http.ts';
import { type PaymentsWorld, startPaymentsWorld, tokenizeCard } from '../support/payments.ts';

// The agency is in America/Chicago with the default autopay hour (06:00). Plan "Monthly 5" bills
// three monthly installments with 5 lead days: a policy effective 2026-03-10 has installments due
// 03-10, 04-10 and 05-10, whose autopay times are 03-05 06:00 CST, 04-05 and 05-05 06:00 CDT.
const EFFECTIVE = '2026-03-10';
const AUTOPAY_TIME = new Date('2026-03-05T12:00:00Z');
const minutes = (n: number) => new Date(AUTOPAY_TIME.getTime() + n * 60_000);
const days = (n: number) => new Date(AUTOPAY_TIME.getTime() + n * 86_400_000);

for (const target of databaseTargets()) {
  describe(`autopay on ${target}`, () => {
    let world: PaymentsWorld;
    let agencies = 0;

    before(async () => {
      world = await startPaymentsWorld(target);
    });
    after(async () => world.close());

    /** An agency of its own (passes are per agency), with a bank, the plans and one customer with a card. */
    async function scenario(options: { enroll?: boolean } = {}) {
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
      const attempts = await sql<{ key: string }>`SELECT idempotency_key AS key FROM payment_attempts
        WHERE payment_id = ${paymentId}`.execute(world.database.db);
      return attempts.rows.reduce((total, a) => total + world.sandbox.chargeCount(a.key), 0);
    };

    it('bills installments and invoices with autopay times: due date − lead days at 06:00 agency time, across DST', async () => {
      const s = await scenario();
      // Due 01-13, 02-13 and 03-13: autopay 01-08 and 02-08 at 06:00 CST, 03-08 at 06:00 CDT (the
      // day the clocks spring forward).
      const { invoices } = await s.policy({ effectiveDate: '2026-01-13' });
      const times = await Promise.all(invoices.map(async (n) => (await s.invoice(n)).autopayTime));
      assert.deepEqual(times, ['2026-01-08T12:00:00.000Z', '2026-02-08T12:00:00.000Z', '2026-03-08T11:00:00.000Z']);
      // Each installment has the time too, and an invoice's is the earliest of its installments'.
      const rows = await sql<{ invoice: Date; earliest: Date; installments: bigint }>`
        SELECT i.autopay_time AS invoice, min(s.autopay_time) AS earliest, count(*) AS installments
          FROM invoices i JOIN installments s ON s.invoice_id = i.id
         WHERE i.agency_id = ${s.agencyId} GROUP BY i.id, i.autopay_time`.execute(world.database.db);
      assert.equal(rows.rows.length, 3);
      for (const row of rows.rows) assert.equal(row.invoice.getTime(), row.earliest.getTime());

      // A plan without lead days: no autopay time.
      const manual = await s.policy({ plan: 'Monthly manual' });
      for (const n of manual.invoices) assert.equal((await s.invoice(n)).autopayTime, null);

      // The hour is an agency setting, 0–23.
      for (const bad of [24, -1, 6.5, '6']) {
        const res = await s.api.patch('/api/v1/settings/payments', { autopayHour: bad });
        assert.equal(res.status, 400, `${bad}: ${JSON.stringify(res.body)}`);
        assert.equal(res.body.errors[0].path, 'autopayHour');
      }
      const patched = await s.api.patch('/api/v1/settings/payments', { autopayHour: 9 });
      assert.equal(patched.status, 200);
      assert.equal(patched.body.autopayHour, 9);
      assert.equal((await s.api.get('/api/v1/settings/payments')).body.autopayHour, 9);
      // Due 07-20, 08-20, 09-20 → autopay the 15th at 09:00 CDT.
      const nine = await s.policy({ effectiveDate: '2026-07-20' });
      assert.equal((await s.invoice(nine.invoices[0]!)).autopayTime, '2026-07-15T14:00:00.000Z');
    });

    it('enrolls a customer with a saved method (default: the default method), replaces and cancels the enrollment', async () => {
      const s = await scenario();
      const path = `/api/v1/customers/${s.customerNumber}/autopay`;
      assert.deepEqual((await s.api.get(path)).body, {
        customerNumber: s.customerNumber,
        enrolled: false,
        paymentMethod: null,
        enrolledAt: null,
        enrolledBy: null,
      });
      const byDefault = await s.api.post(path, {});
      assert.equal(byDefault.status, 200, JSON.stringify(byDefault.body));
      assert.equal(byDefault.body.enrolled, true);
      assert.deepEqual(byDefault.body.paymentMethod, {
        id: s.methodId,
        kind: 'card',
        brand: 'visa',
        last4: '4242',
        usable: true,
      });
      // The same method again changes nothing; another method replaces it (history kept).
      assert.equal(
        (await s.api.post(path, { paymentMethodId: s.methodId })).body.enrolledAt,
        byDefault.body.enrolledAt,
      );
      const other = await s.saveCard(CARD_SUCCEEDS_MASTERCARD);
      const replaced = await s.api.post(path, { paymentMethodId: other });
      assert.equal(replaced.body.paymentMethod.id, other);
      assert.equal(replaced.body.paymentMethod.last4, '4444');
      const history = await sql<{ n: bigint }>`SELECT count(*) AS n FROM autopay_enrollments
        WHERE agency_id = ${s.agencyId}`.execute(world.database.db);
      assert.equal(history.rows[0]!.n, 2n);

      for (const bad of ['not-a-uuid', '00000000-0000-4000-8000-000000000000']) {
        const res = await s.api.post(path, { paymentMethodId: bad });
        assert.equal(res.status, 422);
        assert.equal(res.body.errors[0].path, 'paymentMethodId');
      }
      assert.equal((await s.api.post(path, { paymentMethodId: s.methodId, extra: 1 })).status, 400);
      // Another customer's method is not this customer's.
      const stranger = await s.api.post('/api/v1/customers', { type: 'individual', name: 'Sam Stranger' });
      const refused = await s.api.post(`/api/v1/customers/${stranger.body.customerNumber}/autopay`, {
        paymentMethodId: s.methodId,
      });
      assert.equal(refused.status, 422);
      const noDefault = await s.api.post(`/api/v1/customers/${stranger.body.customerNumber}/autopay`, {});
      assert.equal(noDefault.status, 422);
      assert.equal((await s.api.post('/api/v1/customers/999999/autopay', {})).status, 404);

      // Agents may enroll too.
      const agentKey = await createApiKey(world.database.db, systemActor(s.agencyId), { name: 'agent', role: 'agent' });
      const agent = apiClient(world.url, agentKey.key);
      assert.equal((await agent.post(path, { paymentMethodId: s.methodId })).status, 200);

      assert.equal((await s.api.delete(path)).status, 204);
      assert.equal((await s.api.get(path)).body.enrolled, false);
      assert.equal((await s.api.delete(path)).status, 404);
      // Another agency sees neither the customer nor its enrollment.
      assert.equal((await world.api.get(path)).status, 404);
    });

    it('fires an enrolled, eligible invoice once at its autopay time: a requested payment for the open balance, then collected', async () => {
      const s = await scenario({ enroll: true });
      const { invoices } = await s.policy();
      const first = invoices[0]!;

      const early = await s.pass(minutes(-1));
      assert.equal(early.examined, 0);
      assert.equal((await s.paymentsOf()).length, 0);

      const run = await s.pass(AUTOPAY_TIME);
      assert.deepEqual(
        { examined: run.examined, fired: run.fired, paymentsCreated: run.paymentsCreated, skipped: run.skipped },
        { examined: 1, fired: 1, paymentsCreated: 1, skipped: {} },
      );
      const [payment] = await s.paymentsOf();
      assert.ok(payment);
      assert.deepEqual(
        {
          state: payment.state,
          amount: payment.amount,
          channel: payment.channel,
          payer: payment.payer,
          paymentMethodId: payment.paymentMethodId,
          nextAttemptAt: payment.nextAttemptAt,
          targets: payment.targets,
        },
        {
          state: 'requested',
          amount: 100,
          channel: 'autopay',
          payer: 'external',
          paymentMethodId: s.methodId,
          nextAttemptAt: AUTOPAY_TIME.toISOString(),
          targets: [{ invoiceNumber: first, amount: 100 }],
        },
      );
      const status = await s.autopayOf(first);
      assert.equal(status.decided, true);
      assert.equal(status.firing.status, 'payment_created');
      assert.equal(status.firing.paymentId, payment.id);
      assert.equal(status.firing.paymentState, 'requested');
      assert.equal(status.skip, null);

      // A second pass, at the same time or later, fires nothing again.
      for (const now of [AUTOPAY_TIME, minutes(1), days(1)]) {
        const again = await s.pass(now);
        assert.equal(again.fired, 0);
        assert.equal(again.examined, 0);
      }

      // The execution workers collect it like any requested payment.
      const result = await executePayment(world.database.db, world.processors, payment.id, { now: minutes(1) });
      assert.equal(result.status, 'succeeded');
      assert.equal((await s.invoice(first)).balance, 0);
      assert.equal(await chargesFor(payment.id), 1);
      assert.equal((await s.paymentsOf())[0]!.state, 'posted');

      // The next installment fires at its own autopay time (04-05 06:00 CDT).
      const april = await s.pass(new Date('2026-04-05T11:00:00Z'));
      assert.equal(april.paymentsCreated, 1);
      assert.equal((await s.autopayOf(invoices[1]!)).firing.status, 'payment_created');
      assert.equal((await s.autopayOf(invoices[2]!)).firing, null);
    });

    it('skips a suppressed invoice (recording why) until autopay is unsuppressed', async () => {
      const s = await scenario({ enroll: true });
      const first = (await s.policy()).invoices[0]!;
      const suppressed = await s.api.patch(`/api/v1/invoices/${first}`, { suppressAutopay: true });
      assert.equal(suppressed.status, 200);

      const run = await s.pass(AUTOPAY_TIME);
      assert.deepEqual({ fired: run.fired, skipped: run.skipped }, { fired: 0, skipped: { suppressed: 1 } });
      const status = await s.autopayOf(first);
      assert.equal(status.decided, false);
      assert.deepEqual(
        { reason: status.skip.reason, final: status.skip.final, eligibilityReason: status.skip.eligibilityReason },
        { reason: 'suppressed', final: false, eligibilityReason: null },
      );
      // Re-checked each pass without rewriting the record.
      await s.pass(minutes(1));
      assert.equal((await s.autopayOf(first)).skip.skippedAt, status.skip.skippedAt);

      await s.api.patch(`/api/v1/invoices/${first}`, { suppressAutopay: false });
      const later = await s.pass(days(1));
      assert.equal(later.paymentsCreated, 1);
      const fired = await s.autopayOf(first);
      assert.equal(fired.firing.status, 'payment_created');
      assert.equal(fired.skip, null);
    });

    it('pulls nothing without enrollment; enrolling before the due date lets the next pass fire', async () => {
      const s = await scenario();
      const first = (await s.policy()).invoices[0]!;
      const run = await s.pass(AUTOPAY_TIME);
      assert.deepEqual(run.skipped, { not_enrolled: 1 });
      assert.equal((await s.autopayOf(first)).skip.reason, 'not_enrolled');
      assert.equal((await s.paymentsOf()).length, 0);
      await s.enroll();
      assert.equal((await s.pass(days(2))).paymentsCreated, 1);
    });

    it('decides a skip for good once the due date has passed', async () => {
      const s = await scenario();
      const first = (await s.policy()).invoices[0]!;
      // First seen the day after the due date (03-10): checked once, skipped for good.
      const late = await s.pass(new Date('2026-03-11T15:00:00Z'));
      assert.deepEqual(late.skipped, { not_enrolled: 1 });
      const status = await s.autopayOf(first);
      assert.equal(status.skip.final, true);
      assert.equal(status.decided, true);
      await s.enroll();
      const after = await s.pass(new Date('2026-03-12T15:00:00Z'));
      assert.equal(after.examined, 0);
      assert.equal((await s.paymentsOf()).length, 0);
    });

    it('skips ineligible policies with each eligibility reason, and fires once a policy becomes eligible', async () => {
      const s = await scenario({ enroll: true });
      const settings = await s.api.patch('/api/v1/settings/payments', {
        disallowCancellationPendingNonPay: true,
        disallowCancellationPendingUnderwriting: true,
      });
      assert.equal(settings.status, 200, JSON.stringify(settings.body));
      const policy = async (status: string) => (await s.policy({ status })).invoices[0]!;
      const transition = async (policyInvoice: number, body: object) => {
        const { policyNumber } = await s.invoice(policyInvoice);
        const res = await s.api.post(`/api/v1/policies/${policyNumber}/transitions`, body);
        assert.equal(res.status, 200, JSON.stringify(res.body));
        return policyNumber as string;
      };
      const expected: Record<string, number> = {
        policy_unsubmitted: await policy('unsubmitted'),
        submitted_not_allowed: await policy('submitted'),
        policy_rejected: await policy('rejected'),
        policy_expired: await policy('expired'),
      };
      const canceled = await policy('active');
      await transition(canceled, { to: 'canceled', reason: 'insured_request', effectiveDate: '2026-03-01' });
      expected.canceled_outside_window = canceled;
      const nonPay = await policy('active');
      await transition(nonPay, { to: 'cancellation_pending', reason: 'non_pay' });
      expected.cancellation_pending_non_pay_disallowed = nonPay;
      const underwriting = await policy('active');
      await transition(underwriting, { to: 'cancellation_pending', reason: 'underwriting' });
      expected.cancellation_pending_underwriting_disallowed = underwriting;
      const poor = await policy('active');
      const poorPolicy = await transition(poor, { to: 'cancellation_pending', reason: 'non_pay' });
      assert.equal(
        (await s.api.post(`/api/v1/policies/${poorPolicy}/tags`, { tag: 'poor_payment_history' })).status,
        200,
      );

      const run = await s.pass(AUTOPAY_TIME);
      assert.equal(run.fired, 0);
      assert.deepEqual(run.skipped, {
        ...Object.fromEntries(Object.keys(expected).map((reason) => [`ineligible:${reason}`, 1])),
        // With disallowCancellationPendingNonPay on, the tagged policy is refused by that setting.
        'ineligible:cancellation_pending_non_pay_disallowed': 2,
      });
      for (const [reason, invoiceNumber] of Object.entries(expected)) {
        const status = await s.autopayOf(invoiceNumber);
        assert.equal(status.skip.reason, 'ineligible', reason);
        assert.equal(status.skip.eligibilityReason, reason);
        assert.ok(status.skip.message.length > 20, status.skip.message);
      }

      // Switch to refusing only poor payment history: the tagged policy keeps being skipped (for
      // that reason now), the untagged non-pay policy becomes eligible and fires.
      const switched = await s.api.patch('/api/v1/settings/payments', {
        disallowCancellationPendingNonPay: false,
        disallowCancellationPendingNonPayPoorHistory: true,
      });
      assert.equal(switched.status, 200, JSON.stringify(switched.body));
      const second = await s.pass(days(1));
      assert.equal(second.paymentsCreated, 1);
      assert.equal((await s.autopayOf(nonPay)).firing.status, 'payment_created');
      assert.equal(second.skipped['ineligible:cancellation_pending_poor_history_disallowed'], 1);
      assert.equal((await s.autopayOf(poor)).skip.eligibilityReason, 'cancellation_pending_poor_history_disallowed');
    });

    it('skips when the enrolled method was removed, or a payment for the invoice is already in flight', async () => {
      const removed = await scenario({ enroll: true });
      await removed.policy();
      const deleted = await removed.api.delete(
        `/api/v1/customers/${removed.customerNumber}/payment-methods/${removed.methodId}`,
      );
      assert.equal(deleted.status, 204);
      assert.equal(
        (await removed.api.get(`/api/v1/customers/${removed.customerNumber}/autopay`)).body.paymentMethod.usable,
        false,
      );
      assert.deepEqual((await removed.pass(AUTOPAY_TIME)).skipped, { payment_method_unusable: 1 });

      const inFlight = await scenario({ enroll: true });
      const first = (await inFlight.policy()).invoices[0]!;
      const manual = await inFlight.api.post('/api/v1/payments', {
        customerNumber: inFlight.customerNumber,
        type: 'card',
        amount: 100,
        paymentMethodId: inFlight.methodId,
        targets: [{ invoiceNumber: first, amount: 100 }],
        channel: 'secure_checkout',
      });
      assert.equal(manual.status, 201, JSON.stringify(manual.body));
      assert.deepEqual((await inFlight.pass(AUTOPAY_TIME)).skipped, { payment_in_progress: 1 });
      assert.equal((await inFlight.paymentsOf()).length, 1);
    });

    it('a plugin returning nothing takes no payment, and the invoice never fires again', async () => {
      const s = await scenario({ enroll: true });
      const first = (await s.policy()).invoices[0]!;
      const calls: number[] = [];
      const nothing: AutopayPlugin = async (invoice) => {
        calls.push(invoice.invoiceNumber);
        return null;
      };
      const run = await s.pass(AUTOPAY_TIME, nothing);
      assert.deepEqual({ fired: run.fired, noPayment: run.noPayment }, { fired: 1, noPayment: 1 });
      assert.deepEqual(calls, [first]);
      assert.equal((await s.autopayOf(first)).firing.status, 'no_payment');
      assert.equal((await s.paymentsOf()).length, 0);

      // Even if a pass read the invoice again (here: its decided mark wiped), the unique firing
      // (invoice, autopay time) stops it: the plugin is not called twice.
      await sql`UPDATE invoices SET autopay_decided_time = NULL WHERE agency_id = ${s.agencyId}`.execute(
        world.database.db,
      );
      const again = await s.pass(minutes(5), nothing);
      assert.deepEqual({ fired: again.fired, alreadyFired: again.alreadyFired }, { fired: 0, alreadyFired: 1 });
      assert.deepEqual(calls, [first]);
    });

    it('a plugin that collected the money itself (posted) gets a receipt applied, and nothing is executed', async () => {
      const s = await scenario({ enroll: true });
      const first = (await s.policy()).invoices[0]!;
      // The enrolled method is a card: the plugin collected it as a card (Socotra: the payment's type).
      const posted: AutopayPlugin = async (invoice) => ({
        payment: { state: 'posted', type: 'card', amountCents: invoice.balanceCents, extension: { ref: 'EXT-9' } },
      });
      const run = await s.pass(AUTOPAY_TIME, posted);
      assert.deepEqual({ fired: run.fired, receiptsPosted: run.receiptsPosted }, { fired: 1, receiptsPosted: 1 });
      assert.equal((await s.invoice(first)).balance, 0);
      // Socotra: "you can create the payment in posted state" — a posted Payment, never executed.
      assert.deepEqual(
        (await s.paymentsOf()).map((p) => p.state),
        ['posted'],
      );
      const status = await s.autopayOf(first);
      assert.equal(status.firing.status, 'receipt_posted');
      const receipt = await s.api.get(`/api/v1/receipts/${status.firing.receiptNumber}`);
      assert.equal(receipt.status, 200, JSON.stringify(receipt.body));
      const source = await sql<{ source: string }>`SELECT source FROM receipts
        WHERE agency_id = ${s.agencyId} AND receipt_number = ${status.firing.receiptNumber}`.execute(world.database.db);
      assert.equal(source.rows[0]!.source, 'autopay');
      assert.equal(receipt.body.paymentCheckType, 'CreditCard');
      assert.equal(receipt.body.bankShortName, 'OPER');
      assert.equal(
        (
          await sql<{ n: bigint }>`SELECT count(*) AS n FROM payment_attempts a JOIN payments p ON p.id = a.payment_id
          WHERE p.agency_id = ${s.agencyId}`.execute(world.database.db)
        ).rows[0]!.n,
        0n,
      );
    });

    it('a plugin asking for a later nextRequestTime gets a requested payment whose execution starts then', async () => {
      const s = await scenario({ enroll: true });
      const first = (await s.policy()).invoices[0]!;
      const later = new Date('2026-03-09T15:00:00Z');
      const delayed: AutopayPlugin = async () => ({ payment: { state: 'requested' }, nextRequestTime: later });
      const run = await s.pass(AUTOPAY_TIME, delayed);
      assert.equal(run.paymentsCreated, 1);
      const [payment] = await s.paymentsOf();
      assert.equal(payment!.state, 'requested');
      assert.equal(payment!.nextAttemptAt, later.toISOString());
      assert.equal((await s.autopayOf(first)).firing.nextRequestTime, later.toISOString());

      const db = world.database.db;
      assert.ok(!(await duePaymentIds(db, days(1), 10_000)).includes(payment!.id));
      const early = await executePayment(db, world.processors, payment!.id, { now: days(1) });
      assert.deepEqual(early, { status: 'skipped', reason: 'not due yet' });
      assert.equal(await chargesFor(payment!.id), 0);
      assert.ok((await duePaymentIds(db, later, 10_000)).includes(payment!.id));
      const due = await executePayment(db, world.processors, payment!.id, { now: later });
      assert.equal(due.status, 'succeeded');
      assert.equal(await chargesFor(payment!.id), 1);
      assert.equal((await s.invoice(first)).balance, 0);
    });

    it('records a failing plugin, an invalid decision and a refused payment as failed firings, and a draft as a draft', async () => {
      const s = await scenario({ enroll: true });
      const invoices = [
        (await s.policy()).invoices[0]!,
        (await s.policy()).invoices[0]!,
        (await s.policy()).invoices[0]!,
        (await s.policy()).invoices[0]!,
      ];
      const [throws, invalid, refused, draft] = invoices;
      const plugin: AutopayPlugin = async (invoice) => {
        if (invoice.invoiceNumber === throws) throw new Error('the agency system is down');
        if (invoice.invoiceNumber === invalid) return { payment: { amountCents: 100 } } as never;
        if (invoice.invoiceNumber === refused) return { payment: { retryPlan: 'no such plan' } };
        return { payment: { state: 'draft' } };
      };
      const run = await s.pass(AUTOPAY_TIME, plugin);
      assert.deepEqual(
        { fired: run.fired, failed: run.failed, paymentsCreated: run.paymentsCreated },
        { fired: 4, failed: 3, paymentsCreated: 1 },
      );
      assert.match((await s.autopayOf(throws!)).firing.error, /the agency system is down/);
      assert.match((await s.autopayOf(invalid!)).firing.error, /invalid autopay decision.*amountCents/);
      assert.match((await s.autopayOf(refused!)).firing.error, /no such plan/);
      const drafted = await s.autopayOf(draft!);
      assert.equal(drafted.firing.paymentState, 'draft');
      const payments = await s.paymentsOf();
      assert.deepEqual(
        payments.map((p) => [p.state, p.nextAttemptAt]),
        [['draft', null]],
      );
      // Failed firings are decided too: no retry storm every minute.
      assert.equal((await s.pass(minutes(1), plugin)).examined, 0);
    });

    it('with several banks and no default autopay bank, fails the firing naming the setting; its retry plan fires it again once one is set', async () => {
      const s = await scenario({ enroll: true });
      await createBank(world.database.db, systemActor(s.agencyId, 'test'), {
        shortName: 'TRUST',
        name: 'Trust',
        division: 'Main',
      });
      const first = (await s.policy()).invoices[0]!;
      const run = await s.pass(AUTOPAY_TIME);
      assert.deepEqual({ fired: run.fired, failed: run.failed }, { fired: 1, failed: 1 });
      const failed = await s.autopayOf(first);
      assert.equal(failed.firing.status, 'failed');
      assert.match(failed.firing.error, /defaultDepositBanks\.autopay/);
      // The agency's default retry plan (1, 3, 5 days): the next try a day later, not a minute later.
      assert.equal(failed.firing.nextRetryAt, days(1).toISOString());
      assert.deepEqual([failed.firing.attempts, failed.firing.failures], [1, 1]);
      assert.equal((await s.pass(minutes(1))).examined, 0);
      // Still no default a day later: the second failure waits 3 days more.
      const second = await s.pass(days(1));
      assert.equal(second.failed, 1);
      const again = await s.autopayOf(first);
      assert.deepEqual(
        [again.firing.attempts, again.firing.failures, again.firing.nextRetryAt],
        [2, 2, days(4).toISOString()],
      );

      const set = await s.api.patch('/api/v1/settings/payments', { defaultDepositBanks: { autopay: 'TRUST' } });
      assert.equal(set.status, 200, JSON.stringify(set.body));
      assert.equal((await s.pass(days(3))).examined, 0);
      const third = await s.pass(days(4));
      assert.deepEqual(
        { fired: third.fired, paymentsCreated: third.paymentsCreated },
        { fired: 1, paymentsCreated: 1 },
      );
      const created = await s.autopayOf(first);
      assert.deepEqual(
        [created.firing.status, created.firing.attempts, created.firing.nextRetryAt, created.firing.error],
        ['payment_created', 3, null, null],
      );
      const bank = await world.database.db
        .selectFrom('payments')
        .innerJoin('banks', 'banks.id', 'payments.bank_id')
        .select('banks.short_name')
        .where('payments.id', '=', created.firing.paymentId)
        .executeTakeFirstOrThrow();
      assert.equal(bank.short_name, 'TRUST');
      // One firing row, one payment: the retries took the same row over.
      const firings = await sql<{ n: bigint }>`SELECT count(*) AS n FROM autopay_firings f JOIN invoices i
        ON i.id = f.invoice_id WHERE i.agency_id = ${s.agencyId}`.execute(world.database.db);
      assert.equal(firings.rows[0]!.n, 1n);
      assert.equal((await s.paymentsOf()).length, 1);
    });

    it('lets staff re-fire a failed firing (with an Idempotency-Key), never one that created a payment', async () => {
      const s = await scenario({ enroll: true });
      const first = (await s.policy()).invoices[0]!;
      let down = true;
      const plugin: AutopayPlugin = async (invoice, context) => {
        if (down) throw new Error('the agency system is down');
        return defaultAutopayPlugin(invoice, context);
      };
      assert.equal((await s.pass(AUTOPAY_TIME, plugin)).failed, 1);
      assert.equal((await s.autopayOf(first)).firing.status, 'failed');

      const key = { 'idempotency-key': `refire-${s.agencyId}` };
      const refired = await s.api.post(`/api/v1/invoices/${first}/autopay/refire`, undefined, key);
      assert.equal(refired.status, 202, JSON.stringify(refired.body));
      assert.deepEqual([refired.body.firing.status, refired.body.decided], ['retry_due', false]);
      const replay = await s.api.post(`/api/v1/invoices/${first}/autopay/refire`, undefined, key);
      assert.equal(replay.status, 202);
      assert.deepEqual(replay.body, refired.body);

      down = false;
      const run = await s.pass(minutes(2), plugin);
      assert.deepEqual({ fired: run.fired, paymentsCreated: run.paymentsCreated }, { fired: 1, paymentsCreated: 1 });
      const done = await s.autopayOf(first);
      assert.deepEqual([done.firing.status, done.firing.attempts, done.decided], ['payment_created', 2, true]);

      // A firing that created a payment is never fired again; agents may not re-fire.
      const refused = await s.api.post(`/api/v1/invoices/${first}/autopay/refire`);
      assert.equal(refused.status, 409, JSON.stringify(refused.body));
      assert.match(refused.headers.get('content-type') ?? '', /application\/problem\+json/);
      const agentKey = await createApiKey(world.database.db, systemActor(s.agencyId, 'test'), {
        name: 'agent',
        role: 'agent',
      });
      const agent = apiClient(world.url, agentKey.key);
      assert.equal((await agent.post(`/api/v1/invoices/${first}/autopay/refire`)).status, 403);
      assert.equal((await s.paymentsOf()).length, 1);
    });

    it('lists past passes with their figures (GET /api/v1/autopay/runs), per agency', async () => {
      const s = await scenario({ enroll: true });
      await s.policy();
      await s.policy({ status: 'expired' });
      await s.pass(AUTOPAY_TIME);
      const res = await s.api.get('/api/v1/autopay/runs?limit=5');
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.data.length, 1);
      const [run] = res.body.data;
      assert.deepEqual(
        {
          trigger: run.trigger,
          status: run.status,
          asOf: run.asOf,
          examined: run.examined,
          fired: run.fired,
          paymentsCreated: run.paymentsCreated,
          skipped: run.skipped,
        },
        {
          trigger: 'manual',
          status: 'finished',
          asOf: AUTOPAY_TIME.toISOString(),
          examined: 2,
          fired: 1,
          paymentsCreated: 1,
          skipped: { 'ineligible:policy_expired': 1 },
        },
      );
      assert.ok(run.finishedAt);
      // Another agency's passes are not listed.
      assert.equal((await world.api.get('/api/v1/autopay/runs')).body.data.length, 0);
      assert.equal((await s.api.get('/api/v1/autopay/runs?limit=0')).status, 400);
    });
  });
}
