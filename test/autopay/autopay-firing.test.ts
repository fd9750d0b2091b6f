// Autopay over HTTP: autopay times, enrollment, firing once, skips (suppressed, not enrolled, past
// due, ineligible, method removed, in flight). Plugins, failures, re-fire and runs: autopay-plugins.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { createApiKey } from '../../src/agency/api-keys.ts';
import { systemActor } from '../../src/kernel/actor.ts';
import { executePayment } from '../../src/payments/execution.ts';
import { CARD_SUCCEEDS_MASTERCARD } from '../../src/payments/processors/sandbox/test-numbers.ts';
import { databaseTargets } from '../support/db.ts';
import { apiClient } from '../support/http.ts';
import { type PaymentsWorld, startPaymentsWorld } from '../support/payments.ts';
import { AUTOPAY_TIME, autopayScenarios, days, minutes } from '../support/worlds/autopay-scenario.ts';

for (const target of databaseTargets()) {
  describe(`autopay on ${target}`, () => {
    let world: PaymentsWorld;
    const { scenario, chargesFor } = autopayScenarios(() => ({ world, target }));

    before(async () => {
      world = await startPaymentsWorld(target);
    });
    after(async () => world.close());

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
  });
}
