// GET /api/v1/reports/autopay: autopay attempts by the agency day they started, their success rate
// and decline reasons, from real autopay passes against the sandbox processor at fixed instants.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createBank } from '../../src/agency/banks.ts';
import { systemActor } from '../../src/kernel/actor.ts';
import { executePayment } from '../../src/payments/execution.ts';
import { CARD_DECLINED_INSUFFICIENT_FUNDS } from '../../src/payments/processors/sandbox/test-numbers.ts';
import { databaseTargets } from '../support/db.ts';
import { apiClient } from '../support/http.ts';
import { type PaymentsWorld, startPaymentsWorld } from '../support/payments.ts';
import { AUTOPAY_TIME, autopayScenarios, days } from '../support/worlds/autopay-scenario.ts';

for (const target of databaseTargets()) {
  describe(`the autopay report on ${target}`, () => {
    let world: PaymentsWorld;
    const { scenario } = autopayScenarios(() => ({ world, target }));

    before(async () => {
      world = await startPaymentsWorld(target);
    });
    after(async () => world.close());

    it('counts a declined attempt on 5 March and a successful one on 6 March (Chicago days), with the decline code', async () => {
      const s = await scenario();
      // 5 March 06:00 CST: the first installment fires on a card without funds.
      await s.enroll(await s.saveCard(CARD_DECLINED_INSUFFICIENT_FUNDS));
      await s.policy();
      assert.equal((await s.pass(AUTOPAY_TIME)).paymentsCreated, 1);
      const [declining] = await s.paymentsOf();
      const declined = await executePayment(world.database.db, world.processors, declining!.id, { now: AUTOPAY_TIME });
      assert.equal(declined.status, 'declined');
      // 6 March 06:00 CST: another policy's first installment fires on the good card.
      await s.enroll();
      await s.policy({ effectiveDate: '2026-03-11' });
      assert.equal((await s.pass(days(1))).paymentsCreated, 1);
      const paid = (await s.paymentsOf()).find((p) => p.id !== declining!.id)!;
      const succeeded = await executePayment(world.database.db, world.processors, paid.id, { now: days(1) });
      assert.equal(succeeded.status, 'succeeded');

      const res = await s.api.get('/api/v1/reports/autopay?from=2026-03-04&to=2026-03-06');
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.timeZone, 'America/Chicago');
      assert.deepEqual(res.body.days, [
        { date: '2026-03-04', attempts: 0, succeeded: 0, declined: 0, successRate: null, declines: {} },
        {
          date: '2026-03-05',
          attempts: 1,
          succeeded: 0,
          declined: 1,
          successRate: 0,
          declines: { insufficient_funds: 1 },
        },
        { date: '2026-03-06', attempts: 1, succeeded: 1, declined: 0, successRate: 100, declines: {} },
      ]);
      assert.deepEqual(res.body.reasons, [{ code: 'insufficient_funds', count: 1 }]);
      assert.equal(res.body.totals.successRate, 50);

      const reader = await s.api.post('/api/v1/api-keys', { name: 'reports', role: 'agent' });
      assert.equal(reader.status, 201, JSON.stringify(reader.body));
      const csv = await fetch(`${world.url}/api/v1/reports/autopay/export.csv?from=2026-03-05&to=2026-03-06`, {
        headers: { authorization: `Bearer ${reader.body.key}` },
      });
      assert.equal(csv.status, 200);
      assert.deepEqual((await csv.text()).trim().split('\r\n'), [
        'date,attempts,succeeded,declined,successRate,declined:insufficient_funds',
        '2026-03-05,1,0,1,0.0,1',
        '2026-03-06,1,1,0,100.0,0',
      ]);

      // The payment's receipt is collected through the autopay channel, counted once.
      const collected = await s.api.get('/api/v1/reports/collections?from=2026-03-04&to=2026-03-06');
      assert.equal(collected.status, 200, JSON.stringify(collected.body));
      assert.deepEqual(
        [collected.body.totals.count, collected.body.totals.total, collected.body.totals.byChannel.autopay],
        [1, paid.amount, paid.amount],
      );

      // A caller limited to another bank sees no autopay payment (they were deposited to OPER).
      await createBank(world.database.db, systemActor(s.agencyId, 'test'), {
        shortName: 'TRUST',
        name: 'Trust',
        division: 'Main',
      });
      const key = await s.api.post('/api/v1/api-keys', { name: 'trust desk', role: 'agent', banks: ['TRUST'] });
      assert.equal(key.status, 201, JSON.stringify(key.body));
      const trust = await apiClient(world.url, key.body.key).get(
        '/api/v1/reports/autopay?from=2026-03-04&to=2026-03-06',
      );
      assert.equal(trust.status, 200, JSON.stringify(trust.body));
      assert.equal(trust.body.totals.attempts, 0);
    });
  });
}
