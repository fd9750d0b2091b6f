// The payments engine charging cards: saving a card, posting, lost responses, 503s, declines and
// retries, groups. ACH, refunds, chargebacks, webhooks and deposit banks: payments-settlement.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { executePayment, executePayments } from '../../src/payments/execution.ts';
import { runPaymentJanitor } from '../../src/payments/janitor.ts';
import {
  CARD_DECLINED_INSUFFICIENT_FUNDS,
  CARD_DECLINED_STOLEN,
  CARD_LOST_RESPONSE,
  CARD_SUCCEEDS,
  CARD_UNAVAILABLE,
} from '../../src/payments/processors/sandbox/test-numbers.ts';
import { databaseTargets } from '../support/db.ts';
import { type PaymentsWorld, paymentSteps, startPaymentsWorld } from '../support/payments.ts';

const DAY = 86_400_000;

for (const target of databaseTargets()) {
  describe(`payments engine on ${target}`, () => {
    let world: PaymentsWorld;
    let customerNumber: number;
    const { openInvoice, saveCard, pay, payment, balance, chargesFor } = paymentSteps(() => ({
      world,
      customerNumber,
    }));

    before(async () => {
      world = await startPaymentsWorld(target);
      customerNumber = (await world.api.post('/api/v1/customers', { type: 'individual', name: 'Jane Smith' })).body
        .customerNumber;
    });
    after(async () => world.close());

    it('saves a tokenized card with details from the processor, never the number', async () => {
      const id = await saveCard(CARD_SUCCEEDS);
      const list = await world.api.get(`/api/v1/customers/${customerNumber}/payment-methods`);
      const method = list.body.data.find((m: { id: string }) => m.id === id);
      assert.deepEqual(
        {
          kind: method.kind,
          brand: method.brand,
          last4: method.last4,
          expMonth: method.expMonth,
          isDefault: method.isDefault,
        },
        { kind: 'card', brand: 'visa', last4: '4242', expMonth: 12, isDefault: true },
      );
      const unknown = await world.api.post(`/api/v1/customers/${customerNumber}/payment-methods`, {
        processor: 'sandbox',
        token: 'tok_nope',
      });
      assert.equal(unknown.status, 422);
      assert.equal(unknown.body.errors[0].path, 'token');
    });

    it('charges a card and posts a receipt that applies the money to the target', async () => {
      const { invoiceNumber } = await openInvoice(120);
      const methodId = await saveCard(CARD_SUCCEEDS);
      const id = await pay(methodId, invoiceNumber, 100);
      assert.equal((await payment(id)).state, 'requested');
      const result = await executePayment(world.database.db, world.processors, id);
      assert.equal(result.status, 'succeeded');
      const posted = await payment(id);
      assert.equal(posted.state, 'posted');
      assert.ok(posted.receiptNumber);
      assert.deepEqual(
        posted.transitions.map((t: { from: string | null; to: string }) => `${t.from}→${t.to}`),
        ['null→requested', 'requested→executing', 'executing→posted'],
      );
      assert.equal(await balance(invoiceNumber), 20);
      assert.equal(await chargesFor(id), 1);
      const again = await executePayment(world.database.db, world.processors, id);
      assert.equal(again.status, 'skipped');
      assert.equal(await chargesFor(id), 1);
    });

    it('resolves a lost response through the janitor: posted, with exactly one charge', async () => {
      const { invoiceNumber } = await openInvoice(75);
      const id = await pay(await saveCard(CARD_LOST_RESPONSE), invoiceNumber, 75);
      const result = await executePayment(world.database.db, world.processors, id);
      assert.equal(result.status, 'unknown');
      assert.equal((await payment(id)).state, 'executing');
      assert.equal(await balance(invoiceNumber), 75);
      assert.equal(await chargesFor(id), 1, 'the sandbox charged before the response was lost');
      // Not due for the janitor yet: nothing happens.
      const early = await runPaymentJanitor(world.database.db, world.processors, { now: new Date() });
      assert.equal(early.resolved, 0);
      const report = await runPaymentJanitor(world.database.db, world.processors, {
        now: new Date(Date.now() + 6 * 60_000),
      });
      assert.equal(report.resolved, 1);
      assert.equal((await payment(id)).state, 'posted');
      assert.equal(await balance(invoiceNumber), 0);
      assert.equal(await chargesFor(id), 1);
    });

    it('treats a 503 as unknown, never a decline, and retries after the processor says it never charged', async () => {
      const { invoiceNumber } = await openInvoice(30);
      const id = await pay(await saveCard(CARD_UNAVAILABLE), invoiceNumber, 30);
      assert.equal((await executePayment(world.database.db, world.processors, id)).status, 'unknown');
      assert.equal(await chargesFor(id), 0);
      const report = await runPaymentJanitor(world.database.db, world.processors, {
        now: new Date(Date.now() + 6 * 60_000),
      });
      assert.equal(report.notSent, 1);
      const back = await payment(id);
      assert.equal(back.state, 'requested');
      assert.equal(back.attempts, 1);
    });

    it('retries a soft decline on the plan schedule, fails a hard decline at once', async () => {
      const { invoiceNumber } = await openInvoice(50);
      const id = await pay(await saveCard(CARD_DECLINED_INSUFFICIENT_FUNDS), invoiceNumber, 50);
      const t0 = new Date();
      assert.equal((await executePayment(world.database.db, world.processors, id, { now: t0 })).status, 'declined');
      let p = await payment(id);
      assert.equal(p.state, 'requested');
      assert.equal(p.failureCode, 'insufficient_funds');
      assert.equal(new Date(p.nextAttemptAt).getTime(), t0.getTime() + DAY);
      assert.equal(
        (await executePayment(world.database.db, world.processors, id, { now: new Date(t0.getTime() + DAY - 1000) }))
          .status,
        'skipped',
      );
      assert.equal(
        (await executePayment(world.database.db, world.processors, id, { now: new Date(t0.getTime() + DAY) })).status,
        'declined',
      );
      p = await payment(id);
      assert.equal(new Date(p.nextAttemptAt).getTime(), t0.getTime() + DAY + 3 * DAY);
      assert.equal(p.attempts, 2);

      const hard = await openInvoice(20);
      const hardId = await pay(await saveCard(CARD_DECLINED_STOLEN), hard.invoiceNumber, 20);
      assert.equal((await executePayment(world.database.db, world.processors, hardId)).status, 'declined');
      const failed = await payment(hardId);
      assert.equal(failed.state, 'failed');
      assert.equal(failed.failureCode, 'stolen_card');
    });

    it('does not charge a retry once the target was paid another way', async () => {
      const { invoiceNumber } = await openInvoice(40);
      const id = await pay(await saveCard(CARD_DECLINED_INSUFFICIENT_FUNDS), invoiceNumber, 40);
      const t0 = new Date();
      await executePayment(world.database.db, world.processors, id, { now: t0 });
      const charges = await chargesFor(id);
      const check = await world.api.post('/api/v1/receipt/customer', {
        customerNumber,
        invoiceInformations: [{ invoiceNumber, paymentAmount: 40 }],
        receiptAmount: 40,
        receiptDate: '2026-11-21',
        receiptDateTimeZone: 'America/Chicago',
        bankShortName: 'OPER',
        paymentCheckType: 'Check',
      });
      assert.equal(check.status, 201);
      const result = await executePayment(world.database.db, world.processors, id, {
        now: new Date(t0.getTime() + DAY),
      });
      assert.equal(result.status, 'cancelled');
      assert.equal((await payment(id)).state, 'cancelled');
      assert.equal(await chargesFor(id), charges);
    });

    it('executes a group of payments as each alone: one start, each charged once, each its own outcome', async () => {
      const db = world.database.db;
      const succeeds = await saveCard(CARD_SUCCEEDS);
      const stolen = await saveCard(CARD_DECLINED_STOLEN);
      const good = await pay(succeeds, (await openInvoice(11)).invoiceNumber, 11);
      const declined = await pay(stolen, (await openInvoice(12)).invoiceNumber, 12);
      const paidElsewhere = await openInvoice(13);
      const cancelled = await pay(succeeds, paidElsewhere.invoiceNumber, 13);
      const receipt = await world.api.post('/api/v1/receipt/customer', {
        customerNumber,
        invoiceInformations: [{ invoiceNumber: paidElsewhere.invoiceNumber, paymentAmount: 13 }],
        receiptAmount: 13,
        receiptDate: '2026-11-21',
        receiptDateTimeZone: 'America/Chicago',
        bankShortName: 'OPER',
        paymentCheckType: 'Check',
      });
      assert.equal(receipt.status, 201);
      const unusableCard = await saveCard(CARD_SUCCEEDS);
      const unusable = await pay(unusableCard, (await openInvoice(14)).invoiceNumber, 14);
      await sql`UPDATE payment_methods SET disabled_at = now() WHERE id = ${unusableCard}`.execute(db);
      const notDue = await pay(succeeds, (await openInvoice(15)).invoiceNumber, 15);
      // A processor whose call for one payment throws: that payment alone is left to the janitor.
      const throwing = await pay(succeeds, (await openInvoice(16)).invoiceNumber, 16);
      // A minute on: every payment above is due but the one made due tomorrow.
      const now = new Date(Date.now() + 60_000);
      await sql`UPDATE payments SET next_attempt_at = ${new Date(now.getTime() + DAY)} WHERE id = ${notDue}`.execute(
        db,
      );
      const sandbox = world.processors.get('sandbox')!;
      const processors = new Map([
        [
          'sandbox',
          {
            ...sandbox,
            name: sandbox.name,
            describeToken: (t: string) => sandbox.describeToken(t),
            lookup: (k: string) => sandbox.lookup(k),
            refund: (r: Parameters<typeof sandbox.refund>[0]) => sandbox.refund(r),
            parseWebhook: sandbox.parseWebhook.bind(sandbox),
            charge: (c: Parameters<typeof sandbox.charge>[0]) =>
              c.description.includes(throwing) ? Promise.reject(new Error('connection reset')) : sandbox.charge(c),
          },
        ],
      ]);

      const group = [good, declined, good, cancelled, unusable, notDue, throwing];
      const results = await executePayments(db, processors, group, { now });
      const summary = results.map((r) => (r.status === 'fulfilled' ? r.value.status : `rejected: ${r.reason.message}`));
      assert.deepEqual(summary, [
        'succeeded',
        'declined',
        'skipped', // named twice: started once
        'cancelled',
        'failed',
        'skipped',
        'rejected: connection reset',
      ]);
      assert.equal((await payment(good)).state, 'posted');
      assert.equal(await chargesFor(good), 1);
      assert.equal((await payment(declined)).state, 'failed');
      assert.equal((await payment(cancelled)).state, 'cancelled');
      assert.equal(await chargesFor(cancelled), 0);
      assert.equal((await payment(unusable)).state, 'failed');
      assert.equal(await chargesFor(unusable), 0);
      assert.equal((await payment(notDue)).state, 'requested');
      const left = await sql<{ state: string; status: string; attempts: number }>`
        SELECT p.state, a.status, p.attempts FROM payments p JOIN payment_attempts a ON a.payment_id = p.id
         WHERE p.id = ${throwing}`.execute(db);
      assert.deepEqual(left.rows, [{ state: 'executing', status: 'started', attempts: 1 }]);
      // Every move was recorded once, in order, in the payments' histories.
      const moves = await sql<{ payment_id: string; moves: string }>`
        SELECT payment_id, string_agg(coalesce(from_state, '') || '>' || to_state, ' ' ORDER BY id) AS moves
          FROM payment_transitions WHERE payment_id IN (${sql.join([good, cancelled, unusable, throwing])})
         GROUP BY payment_id`.execute(db);
      const byId = new Map(moves.rows.map((m) => [m.payment_id, m.moves]));
      assert.equal(byId.get(good), '>requested requested>executing executing>posted');
      assert.equal(byId.get(cancelled), '>requested requested>cancelled');
      assert.equal(byId.get(unusable), '>requested requested>executing executing>failed');
      assert.equal(byId.get(throwing), '>requested requested>executing');
    });
  });
}
