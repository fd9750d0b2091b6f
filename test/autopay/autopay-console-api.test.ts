// The reads behind the console's Autopay page over HTTP, on the server's clock: the pulls due per
// agency day, failed and declined pulls with the processor's reason and their re-fire (staff only,
// refused when paid meanwhile or in flight), the enrollments by keyset, and the passes' summaries.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createApiKey } from '../../src/agency/api-keys.ts';
import { createBank } from '../../src/agency/banks.ts';
import { systemActor } from '../../src/kernel/actor.ts';
import { executePayment } from '../../src/payments/execution.ts';
import { CARD_DECLINED_STOLEN, CARD_SUCCEEDS } from '../../src/payments/processors/sandbox/test-numbers.ts';
import { databaseTargets } from '../support/db.ts';
import { apiClient } from '../support/http.ts';
import { type PaymentsWorld, startPaymentsWorld, tokenizeCard } from '../support/payments.ts';
import { AUTOPAY_TIME, autopayScenarios, minutes } from '../support/worlds/autopay-scenario.ts';

// The server's clock: 2026-03-01 04:00 UTC is still 28 February, 22:00, in the agency's Chicago.
const SERVER_NOW = new Date('2026-03-01T04:00:00Z');

for (const target of databaseTargets()) {
  describe(`the autopay console API on ${target}`, () => {
    let world: PaymentsWorld;
    const { scenario } = autopayScenarios(() => ({ world, target }));

    before(async () => {
      world = await startPaymentsWorld(target, { clock: () => SERVER_NOW });
    });
    after(async () => world.close());

    async function agentOf(agencyId: string, banks?: string[]) {
      const key = await createApiKey(world.database.db, systemActor(agencyId, 'test'), {
        name: `agent ${banks?.join(',') ?? 'all'}`,
        role: 'agent',
        ...(banks ? { banks } : {}),
      });
      return apiClient(world.url, key.key);
    }

    /** A customer whose autopay pull was declined for good (a stolen card), then enrolled with a good card. */
    async function declinedPull() {
      const s = await scenario();
      const stolen = await s.saveCard(CARD_DECLINED_STOLEN);
      await s.enroll(stolen);
      const first = (await s.policy()).invoices[0]!;
      assert.equal((await s.pass(AUTOPAY_TIME)).paymentsCreated, 1);
      const [payment] = await s.paymentsOf();
      await executePayment(world.database.db, world.processors, payment!.id, { now: minutes(1) });
      assert.equal((await s.paymentsOf())[0]!.state, 'failed');
      return { s, first, declinedPaymentId: payment!.id };
    }

    it("counts the pulls due per agency day for 14 days from the server's today", async () => {
      const s = await scenario({ enroll: true });
      await s.policy(); // autopay times 03-05, 04-05, 05-05 at 06:00 Chicago, $100 each
      await s.policy({ premium: 600 }); // $200 each, the same times
      const suppressed = (await s.policy()).invoices[0]!;
      const off = await s.api.patch(`/api/v1/invoices/${suppressed}`, { suppressAutopay: true });
      assert.equal(off.status, 200, JSON.stringify(off.body));

      const res = await s.api.get('/api/v1/autopay/due');
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const days: { date: string; count: number; amount: number }[] = res.body.days;
      assert.equal(days.length, 14);
      assert.deepEqual([days[0]!.date, days[13]!.date], ['2026-02-28', '2026-03-13']);
      assert.deepEqual(
        days.filter((d) => d.count > 0),
        [{ date: '2026-03-05', count: 2, amount: 300 }],
      );
      // An agent reads it too; a key limited to a bank that is not autopay's sees no pulls.
      assert.deepEqual((await (await agentOf(s.agencyId)).get('/api/v1/autopay/due')).body, res.body);
      await createBank(world.database.db, systemActor(s.agencyId, 'test'), {
        shortName: 'NORTH',
        name: 'North',
        division: 'North',
      });
      const limited = await agentOf(s.agencyId, ['NORTH']);
      // With two banks and no default autopay bank, autopay's bank is unknown: nobody limited sees it.
      const hidden = await limited.get('/api/v1/autopay/due');
      assert.equal(hidden.status, 200);
      assert.equal(
        hidden.body.days.reduce((n: number, d: { count: number }) => n + d.count, 0),
        0,
      );
      // Once fired, a pull is no longer due.
      await s.pass(AUTOPAY_TIME);
      assert.equal(
        (await s.api.get('/api/v1/autopay/due')).body.days.reduce((n: number, d: { count: number }) => n + d.count, 0),
        0,
      );
    });

    it("lists a declined pull with the processor's reason; staff re-fire it once, and it posts", async () => {
      const { s, first, declinedPaymentId } = await declinedPull();
      const failures = await s.api.get('/api/v1/autopay/failures');
      assert.equal(failures.status, 200, JSON.stringify(failures.body));
      assert.equal(failures.body.data.length, 1);
      const [pull] = failures.body.data;
      assert.deepEqual(
        {
          invoiceNumber: pull.invoiceNumber,
          status: pull.status,
          paymentId: pull.paymentId,
          amount: pull.amount,
          reasonCode: pull.reasonCode,
        },
        {
          invoiceNumber: first,
          status: 'declined',
          paymentId: declinedPaymentId,
          amount: 100,
          reasonCode: 'stolen_card',
        },
      );
      assert.ok(pull.reason, 'the decline message');
      const [run] = (await s.api.get('/api/v1/autopay/runs')).body.data;
      assert.deepEqual(run.summary, { due: 1, fired: 1, posted: 0, failed: 1, skipped: 0 });

      // An agent sees the list but may not re-fire.
      const agent = await agentOf(s.agencyId);
      assert.equal((await agent.get('/api/v1/autopay/failures')).body.data.length, 1);
      const forbidden = await agent.post(`/api/v1/invoices/${first}/autopay/refire`);
      assert.equal(forbidden.status, 403);
      // A key limited to banks sees a decline only if the declined payment was for one of them.
      await createBank(world.database.db, systemActor(s.agencyId, 'test'), {
        shortName: 'NORTH',
        name: 'North',
        division: 'North',
      });
      assert.equal((await (await agentOf(s.agencyId, ['OPER'])).get('/api/v1/autopay/failures')).body.data.length, 1);
      assert.deepEqual((await (await agentOf(s.agencyId, ['NORTH'])).get('/api/v1/autopay/failures')).body.data, []);
      const ok = await s.api.patch('/api/v1/settings/payments', { defaultDepositBanks: { autopay: 'OPER' } });
      assert.equal(ok.status, 200, JSON.stringify(ok.body));

      await s.enroll(s.methodId); // the customer gave a good card
      const key = { 'idempotency-key': `console-refire-${s.agencyId}` };
      const refired = await s.api.post(`/api/v1/invoices/${first}/autopay/refire`, undefined, key);
      assert.equal(refired.status, 202, JSON.stringify(refired.body));
      assert.deepEqual([refired.body.firing.status, refired.body.decided], ['retry_due', false]);
      const replay = await s.api.post(`/api/v1/invoices/${first}/autopay/refire`, undefined, key);
      assert.deepEqual([replay.status, replay.body], [202, refired.body]);
      assert.equal((await s.api.get('/api/v1/autopay/failures')).body.data[0].status, 'queued');

      // The next pass fires it through the same rules, with the card now enrolled.
      const run2 = await s.pass(minutes(5));
      assert.equal(run2.paymentsCreated, 1);
      const created = (await s.paymentsOf()).find((p) => p.id !== declinedPaymentId)!;
      assert.equal(created.paymentMethodId, s.methodId);
      await executePayment(world.database.db, world.processors, created.id, { now: minutes(6) });
      assert.equal((await s.invoice(first)).balance, 0);
      assert.deepEqual((await s.api.get('/api/v1/autopay/failures')).body.data, []);
      const [latest] = (await s.api.get('/api/v1/autopay/runs')).body.data;
      assert.deepEqual(latest.summary, { due: 1, fired: 1, posted: 1, failed: 0, skipped: 0 });

      // Posted: never fired again.
      const again = await s.api.post(`/api/v1/invoices/${first}/autopay/refire`);
      assert.equal(again.status, 409, JSON.stringify(again.body));
      assert.match(again.headers.get('content-type') ?? '', /application\/problem\+json/);
      assert.equal((await s.paymentsOf()).length, 2);
    });

    it('refuses to re-fire a pull paid meanwhile or with a payment in flight, writing nothing', async () => {
      const paid = await declinedPull();
      const receipt = await paid.s.api.post('/api/v1/receipt/customer', {
        customerNumber: paid.s.customerNumber,
        invoiceInformations: [{ invoiceNumber: paid.first, paymentAmount: 100 }],
        receiptAmount: 100,
        receiptDate: '2026-03-01',
        receiptDateTimeZone: 'America/Chicago',
        bankShortName: 'OPER',
        paymentCheckType: 'H',
        payerCheckNumber: '1001',
      });
      assert.equal(receipt.status, 201, JSON.stringify(receipt.body));
      const refused = await paid.s.api.post(`/api/v1/invoices/${paid.first}/autopay/refire`);
      assert.equal(refused.status, 409, JSON.stringify(refused.body));
      assert.match(refused.body.detail, /paid meanwhile/);
      assert.equal((await paid.s.autopayOf(paid.first)).firing.status, 'payment_created');

      const busy = await declinedPull();
      const manual = await busy.s.api.post('/api/v1/payments', {
        customerNumber: busy.s.customerNumber,
        type: 'card',
        amount: 100,
        paymentMethodId: busy.s.methodId,
        targets: [{ invoiceNumber: busy.first, amount: 100 }],
        channel: 'agent_sweep',
      });
      assert.equal(manual.status, 201, JSON.stringify(manual.body));
      const inFlight = await busy.s.api.post(`/api/v1/invoices/${busy.first}/autopay/refire`);
      assert.equal(inFlight.status, 409, JSON.stringify(inFlight.body));
      assert.equal(inFlight.body.paymentId, manual.body.id);
      assert.equal((await busy.s.autopayOf(busy.first)).decided, true);
    });

    it('pages the enrollments by customer number, and names a bad parameter', async () => {
      const s = await scenario({ enroll: true });
      const other = await s.api.post('/api/v1/customers', { type: 'individual', name: 'Omar Other' });
      assert.equal(other.status, 201);
      const idle = await s.api.post('/api/v1/customers', { type: 'individual', name: 'Ida Idle' });
      assert.equal(idle.status, 201);
      const method = await s.api.post(`/api/v1/customers/${other.body.customerNumber}/payment-methods`, {
        processor: 'sandbox',
        token: await tokenizeCard(world.sandbox, CARD_SUCCEEDS),
      });
      assert.equal(method.status, 201, JSON.stringify(method.body));
      const enrolled = await s.api.post(`/api/v1/customers/${other.body.customerNumber}/autopay`, {});
      assert.equal(enrolled.status, 200, JSON.stringify(enrolled.body));

      const first = await s.api.get('/api/v1/autopay/enrollments?limit=1');
      assert.equal(first.status, 200, JSON.stringify(first.body));
      assert.deepEqual(
        first.body.data.map((e: { customerNumber: number; customerName: string }) => e.customerName),
        ['Jane Smith'],
      );
      assert.equal(first.body.data[0].paymentMethod.last4, '4242');
      assert.equal(first.body.nextAfter, s.customerNumber);
      const second = await s.api.get(`/api/v1/autopay/enrollments?limit=1&after=${first.body.nextAfter}`);
      assert.deepEqual(
        second.body.data.map((e: { customerName: string }) => e.customerName),
        ['Omar Other'],
      );
      assert.equal(second.body.nextAfter, null);

      const bad = await s.api.get('/api/v1/autopay/enrollments?after=abc');
      assert.equal(bad.status, 400);
      assert.match(bad.headers.get('content-type') ?? '', /application\/problem\+json/);
      assert.ok(
        bad.body.errors.some((e: { path: string }) => e.path.includes('after')),
        JSON.stringify(bad.body),
      );
      const tooMany = await s.api.get('/api/v1/autopay/failures?limit=500');
      assert.equal(tooMany.status, 400);
      assert.ok(tooMany.body.errors.some((e: { path: string }) => e.path.includes('limit')));
    });
  });
}
