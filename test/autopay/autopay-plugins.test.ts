// Autopay plugins and failures over HTTP: nothing taken, collected outside, later requests, failed
// firings, deposit banks, re-fire, and the list of passes. Times and skips: autopay-firing.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { createApiKey } from '../../src/agency/api-keys.ts';
import { createBank } from '../../src/agency/banks.ts';
import { defaultAutopayPlugin } from '../../src/autopay/plugins/default-plugin.ts';
import type { AutopayPlugin } from '../../src/autopay/rules/autopay.ts';
import { systemActor } from '../../src/kernel/actor.ts';
import { duePaymentIds, executePayment } from '../../src/payments/execution.ts';
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
