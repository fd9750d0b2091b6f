import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import {
  ACH_RETURN_R02_ACCOUNT_CLOSED,
  ACH_ROUTING_NUMBER,
  ACH_SETTLES,
  CARD_DECLINED_INSUFFICIENT_FUNDS,
  CARD_DECLINED_STOLEN,
  CARD_LOST_RESPONSE,
  CARD_SUCCEEDS,
  CARD_UNAVAILABLE,
} from '../../src/processors/sandbox/test-numbers.ts';
import { executePayment, executePayments } from '../../src/services/payment-execution.ts';
import { runPaymentJanitor } from '../../src/services/payment-janitor.ts';
import { databaseTargets } from '../support/db.ts';
import {
  findCardNumbers,
  type PaymentsWorld,
  startPaymentsWorld,
  tokenizeBankAccount,
  tokenizeCard,
} from '../support/payments.ts';

const DAY = 86_400_000;

for (const target of databaseTargets()) {
  describe(`payments engine on ${target}`, () => {
    let world: PaymentsWorld;
    let customerNumber: number;
    let policySeq = 0;

    /** A fresh active policy with one open invoice of `amount`. */
    const openInvoice = async (amount: number, status = 'active') => {
      const policyNumber = `PAY-${++policySeq}`;
      const policy = await world.api.post('/api/v1/policies', {
        customerNumber,
        policyNumber,
        lineOfBusiness: 'Auto',
        effectiveDate: '2026-01-01',
        expirationDate: '2027-01-01',
        premium: amount,
        status,
      });
      assert.equal(policy.status, 201, JSON.stringify(policy.body));
      const invoice = await world.api.post('/api/v1/invoices', {
        customerNumber,
        policyNumber,
        dueDate: '2026-11-01',
        amount,
      });
      assert.equal(invoice.status, 201, JSON.stringify(invoice.body));
      return { policyNumber, invoiceNumber: invoice.body.invoiceNumber as number };
    };
    const saveCard = async (number: string) => {
      const token = await tokenizeCard(world.sandbox, number);
      const saved = await world.api.post(`/api/v1/customers/${customerNumber}/payment-methods`, {
        processor: 'sandbox',
        token,
      });
      assert.equal(saved.status, 201, JSON.stringify(saved.body));
      return saved.body.id as string;
    };
    const pay = async (methodId: string, invoiceNumber: number, amount: number, type: 'card' | 'ach' = 'card') => {
      const res = await world.api.post('/api/v1/payments', {
        customerNumber,
        type,
        amount,
        paymentMethodId: methodId,
        targets: [{ invoiceNumber, amount }],
        channel: 'secure_checkout',
      });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return res.body.id as string;
    };
    const payment = async (id: string) => (await world.api.get(`/api/v1/payments/${id}`)).body;
    const balance = async (invoiceNumber: number) =>
      (await world.api.get(`/api/v1/invoices/${invoiceNumber}`)).body.balance;
    const chargesFor = async (paymentId: string) => {
      const attempts = await sql<{
        key: string;
      }>`SELECT idempotency_key AS key FROM payment_attempts WHERE payment_id = ${paymentId}`.execute(
        world.database.db,
      );
      return attempts.rows.reduce((total, a) => total + world.sandbox.chargeCount(a.key), 0);
    };

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
