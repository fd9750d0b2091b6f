// The payments engine after the charge: ACH settlement and returns, eligibility, cancel, refunds,
// chargebacks, webhook signatures, deposit banks, and no card number left anywhere. Charging
// cards: payments-charges.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { executePayment } from '../../src/payments/execution.ts';
import {
  ACH_RETURN_R02_ACCOUNT_CLOSED,
  ACH_ROUTING_NUMBER,
  ACH_SETTLES,
  CARD_SUCCEEDS,
} from '../../src/payments/processors/sandbox/test-numbers.ts';
import { databaseTargets } from '../support/db.ts';
import {
  findCardNumbers,
  type PaymentsWorld,
  paymentSteps,
  startPaymentsWorld,
  tokenizeBankAccount,
} from '../support/payments.ts';

for (const target of databaseTargets()) {
  describe(`payments engine on ${target}`, () => {
    let world: PaymentsWorld;
    let customerNumber: number;
    const { openInvoice, saveCard, pay, payment, balance } = paymentSteps(() => ({
      world,
      customerNumber,
    }));

    before(async () => {
      world = await startPaymentsWorld(target);
      customerNumber = (await world.api.post('/api/v1/customers', { type: 'individual', name: 'Jane Smith' })).body
        .customerNumber;
    });
    after(async () => world.close());

    it('settles ACH by webhook, and an R01 return reopens the invoice exactly once', async () => {
      const { invoiceNumber } = await openInvoice(210.55);
      const token = await tokenizeBankAccount(world.sandbox, ACH_SETTLES, ACH_ROUTING_NUMBER);
      const method = await world.api.post(`/api/v1/customers/${customerNumber}/payment-methods`, { token });
      const id = await pay(method.body.id, invoiceNumber, 200, 'ach');
      assert.equal((await executePayment(world.database.db, world.processors, id)).status, 'pending');
      assert.equal((await payment(id)).state, 'executing');
      world.sandbox.advanceDays(3);
      await world.sandbox.flushWebhooks();
      const posted = await payment(id);
      assert.equal(posted.state, 'posted');
      assert.equal(await balance(invoiceNumber), 10.55);

      const attempt = await sql<{
        reference: string;
      }>`SELECT processor_reference AS reference FROM payment_attempts WHERE payment_id = ${id}`.execute(
        world.database.db,
      );
      const event = world.sandbox.returnCharge(attempt.rows[0]!.reference, 'R01');
      await world.sandbox.flushWebhooks();
      const reversed = await payment(id);
      assert.equal(reversed.state, 'reversed');
      assert.equal(reversed.failureCode, 'R01');
      assert.equal(await balance(invoiceNumber), 210.55);
      const receipt = await world.api.get(`/api/v1/receipts/${posted.receiptNumber}`);
      assert.equal(receipt.body.status, 'reversed');
      assert.equal(receipt.body.reversal.reason, 'nsf');

      world.sandbox.redeliver(event.id);
      await world.sandbox.flushWebhooks();
      assert.equal(await balance(invoiceNumber), 210.55);
      const outcomes = await sql<{
        outcome: string;
      }>`SELECT outcome FROM processor_events WHERE event_id = ${event.id}`.execute(world.database.db);
      assert.deepEqual(
        outcomes.rows.map((r) => r.outcome),
        ['reversed'],
      );

      const representment = await world.api.get(`/api/v1/payments?customerNumber=${customerNumber}&state=requested`);
      assert.ok(
        representment.body.data.some((p: { representsPaymentId: string | null }) => p.representsPaymentId === id),
      );
    });

    it('disables the bank account on an R02 return', async () => {
      const { invoiceNumber } = await openInvoice(15);
      const token = await tokenizeBankAccount(world.sandbox, ACH_RETURN_R02_ACCOUNT_CLOSED, ACH_ROUTING_NUMBER);
      const method = await world.api.post(`/api/v1/customers/${customerNumber}/payment-methods`, { token });
      const id = await pay(method.body.id, invoiceNumber, 15, 'ach');
      await executePayment(world.database.db, world.processors, id);
      world.sandbox.advanceDays(3);
      await world.sandbox.flushWebhooks();
      assert.equal((await payment(id)).state, 'failed');
      const methods = await world.api.get(`/api/v1/customers/${customerNumber}/payment-methods`);
      const disabled = methods.body.data.find((m: { id: string }) => m.id === method.body.id);
      assert.equal(disabled.disabled, true);
      const refused = await world.api.post('/api/v1/payments', {
        customerNumber,
        type: 'ach',
        amount: 15,
        paymentMethodId: method.body.id,
        targets: [{ invoiceNumber, amount: 15 }],
        channel: 'secure_checkout',
      });
      assert.equal(refused.status, 422);
      assert.equal(refused.body.errors[0].path, 'paymentMethodId');
      // The R01 before and this R02: two returns in 12 months tags the customer's policies.
      const policy = await world.api.get('/api/v1/policies/PAY-1');
      assert.ok(policy.body.tags.includes('poor_payment_history'), JSON.stringify(policy.body.tags));
    });

    it('refuses a payment the eligibility rules refuse, with the reason', async () => {
      const { invoiceNumber } = await openInvoice(60, 'submitted');
      const methodId = await saveCard(CARD_SUCCEEDS);
      const refused = await world.api.post('/api/v1/payments', {
        customerNumber,
        type: 'card',
        amount: 60,
        paymentMethodId: methodId,
        targets: [{ invoiceNumber, amount: 60 }],
        channel: 'secure_checkout',
      });
      assert.equal(refused.status, 422);
      assert.equal(refused.body.reason, 'submitted_not_allowed');
    });

    it('cancels a requested payment and refuses illegal moves', async () => {
      const { invoiceNumber } = await openInvoice(10);
      const id = await pay(await saveCard(CARD_SUCCEEDS), invoiceNumber, 10);
      const cancelled = await world.api.post(`/api/v1/payments/${id}/cancel`);
      assert.equal(cancelled.status, 200);
      assert.equal(cancelled.body.state, 'cancelled');
      const again = await world.api.post(`/api/v1/payments/${id}/cancel`);
      assert.equal(again.status, 409);
      assert.equal((await executePayment(world.database.db, world.processors, id)).status, 'skipped');
    });

    it('refunds a posted card payment in parts, reopening the invoice, staff only', async () => {
      const { invoiceNumber } = await openInvoice(100);
      const id = await pay(await saveCard(CARD_SUCCEEDS), invoiceNumber, 100);
      await executePayment(world.database.db, world.processors, id);
      assert.equal(await balance(invoiceNumber), 0);
      const partial = await world.api.post(`/api/v1/payments/${id}/refunds`, { amount: 30, reason: 'overpaid' });
      assert.equal(partial.status, 201, JSON.stringify(partial.body));
      assert.equal(partial.body.amount, 30);
      assert.equal(await balance(invoiceNumber), 30);
      const tooMuch = await world.api.post(`/api/v1/payments/${id}/refunds`, { amount: 70.01 });
      assert.equal(tooMuch.status, 422);
      const rest = await world.api.post(`/api/v1/payments/${id}/refunds`, {});
      assert.equal(rest.body.amount, 70);
      assert.equal(await balance(invoiceNumber), 100);
      assert.equal(world.sandbox.refunds().filter((r) => r.amountCents > 0n).length >= 2, true);
      const key = await world.api.post('/api/v1/api-keys', { name: 'agent', role: 'agent' });
      const agent = (await import('../support/http.ts')).apiClient(world.url, key.body.key);
      assert.equal((await agent.post(`/api/v1/payments/${id}/refunds`, {})).status, 403);
      const net = await sql<{ net: bigint }>`SELECT sum(amount_cents)::int8 AS net FROM journal_lines`.execute(
        world.database.db,
      );
      assert.equal(net.rows[0]!.net, 0n);
    });

    it('reverses a posted card payment on a chargeback', async () => {
      const { invoiceNumber } = await openInvoice(45);
      const id = await pay(await saveCard(CARD_SUCCEEDS), invoiceNumber, 45);
      await executePayment(world.database.db, world.processors, id);
      const attempt = await sql<{
        reference: string;
      }>`SELECT processor_reference AS reference FROM payment_attempts WHERE payment_id = ${id}`.execute(
        world.database.db,
      );
      world.sandbox.chargeback(attempt.rows[0]!.reference);
      await world.sandbox.flushWebhooks();
      const reversed = await payment(id);
      assert.equal(reversed.state, 'reversed');
      assert.equal(reversed.failureCode, 'chargeback');
      assert.equal(await balance(invoiceNumber), 45);
    });

    it('refuses forged and unsigned webhooks', async () => {
      const body = JSON.stringify({ id: 'evt_forged', type: 'payment.settled' });
      const forged = await fetch(`${world.url}/api/v1/webhooks/sandbox`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'policypay-sandbox-signature': `t=${Math.floor(Date.now() / 1000)},v1=deadbeef`,
        },
        body,
      });
      assert.equal(forged.status, 401);
      const unsigned = await fetch(`${world.url}/api/v1/webhooks/sandbox`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      assert.equal(unsigned.status, 401);
    });

    it("deposits a payment that names no bank to its channel's default; with several banks and none, refuses naming the setting", async () => {
      // Last but one: from here on the agency has two banks.
      const methodId = await saveCard(CARD_SUCCEEDS);
      const { invoiceNumber } = await openInvoice(90);
      const bankOf = async (id: string) =>
        (
          await world.database.db
            .selectFrom('payments')
            .innerJoin('banks', 'banks.id', 'payments.bank_id')
            .select('banks.short_name')
            .where('payments.id', '=', id)
            .executeTakeFirstOrThrow()
        ).short_name;
      const agentSweep = (amount: number, bankShortName?: string) =>
        world.api.post('/api/v1/payments', {
          customerNumber,
          type: 'card',
          amount,
          paymentMethodId: methodId,
          targets: [{ invoiceNumber, amount }],
          channel: 'agent_sweep',
          state: 'draft',
          ...(bankShortName ? { bankShortName } : {}),
        });
      // One bank: that bank.
      const only = await agentSweep(10);
      assert.equal(only.status, 201, JSON.stringify(only.body));
      assert.equal(await bankOf(only.body.id), 'OPER');

      assert.equal(
        (await world.api.post('/api/v1/banks', { shortName: 'TRUST', name: 'Trust', division: 'Main' })).status,
        201,
      );
      const refused = await agentSweep(10);
      assert.equal(refused.status, 422, JSON.stringify(refused.body));
      assert.match(refused.headers.get('content-type') ?? '', /application\/problem\+json/);
      assert.match(refused.body.detail, /defaultDepositBanks\.agent_sweep/);
      assert.equal(refused.body.errors[0].path, 'bankShortName');
      const named = await agentSweep(10, 'OPER');
      assert.equal(named.status, 201, JSON.stringify(named.body));

      const set = await world.api.patch('/api/v1/settings/payments', { defaultDepositBanks: { agent_sweep: 'TRUST' } });
      assert.equal(set.status, 200, JSON.stringify(set.body));
      const defaulted = await agentSweep(10);
      assert.equal(defaulted.status, 201, JSON.stringify(defaulted.body));
      assert.equal(await bankOf(defaulted.body.id), 'TRUST');
      // Another channel's default does not stand in for this one's.
      const checkout = await world.api.post('/api/v1/payments', {
        customerNumber,
        type: 'card',
        amount: 10,
        paymentMethodId: methodId,
        targets: [{ invoiceNumber, amount: 10 }],
        channel: 'secure_checkout',
        state: 'draft',
      });
      assert.equal(checkout.status, 422, JSON.stringify(checkout.body));
      assert.match(checkout.body.detail, /defaultDepositBanks\.secure_checkout/);
    });

    it('leaves no card number or CVV in the database or the logs', async () => {
      const tables = await sql<{ schema: string; name: string }>`
        SELECT table_schema AS schema, table_name AS name FROM information_schema.tables
        WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')
          AND table_schema = ANY (current_schemas(false))`.execute(world.database.db);
      let dump = '';
      for (const table of tables.rows) {
        const rows = await sql<{
          row: unknown;
        }>`SELECT row_to_json(t)::text AS row FROM ${sql.id(table.schema, table.name)} t`.execute(world.database.db);
        dump += rows.rows.map((r) => String(r.row)).join('\n');
      }
      assert.ok(dump.includes('4242'), 'the dump has content (last 4 digits are kept)');
      assert.deepEqual(
        findCardNumbers(`leaked ${CARD_SUCCEEDS} here`),
        [CARD_SUCCEEDS],
        'the scan finds a card number',
      );
      const everything = `${dump}\n${world.logs.join('')}`;
      assert.deepEqual(findCardNumbers(everything), []);
      assert.ok(!/"(cvc|cvv)"/i.test(everything));
      assert.ok(!everything.includes(CARD_SUCCEEDS));
    });
  });
}
