// Issue 16 items 2, 3, 4 and 9 through the API: Finalize Payment moves AR (every open invoice,
// oldest due first when the request named none; the channel's deposit bank), On Account credit
// applied later, the agency's receipt copy and the cancelled-request e-mail over real SMTP,
// customer search the way staff think of customers, and activities in words.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { createBank } from '../../src/agency/banks.ts';
import { createPolicy } from '../../src/customers/policies.ts';
import { createInvoice } from '../../src/ledger/invoices.ts';
import { CARD_SUCCEEDS } from '../../src/payments/processors/sandbox/test-numbers.ts';
import { databaseTargets } from '../support/db.ts';
import { waitFor } from '../support/mail.ts';
import { tokenizeCard } from '../support/payments.ts';
import { type PortalCustomer, type PortalWorld, portalSessionFor, startPortalWorld } from '../support/portal.ts';

for (const target of databaseTargets()) {
  describe(`finalize, On Account, e-mails, search and activity words on ${target}`, () => {
    let world: PortalWorld;
    const backup = 'office@harbor.example';
    let seq = 0;

    before(async () => {
      world = await startPortalWorld(target);
      // Three banks: "AAA" is first by name, the secure-checkout default is "ZED".
      await createBank(world.database.db, world.agency.actor, {
        shortName: 'AAA',
        name: 'A first bank',
        division: 'Main',
      });
      await createBank(world.database.db, world.agency.actor, {
        shortName: 'ZED',
        name: 'Zed trust',
        division: 'Main',
      });
      const patched = await world.api.patch('/api/v1/settings/payments', {
        backupEmail: backup,
        defaultDepositBanks: { secure_checkout: 'ZED' },
      });
      assert.equal(patched.status, 200, JSON.stringify(patched.body));
    });
    after(async () => world?.close());

    /** A customer with the $500 invoice due 2099-12-01 and an older $300 one due 2099-06-01. */
    async function customerWithTwoInvoices(name: string) {
      const customer = await world.addCustomer(name);
      const older = await createInvoice(world.database.db, world.agency.actor, {
        customerNumber: customer.customerNumber,
        dueDate: '2099-06-01',
        amountCents: 30_000n,
      });
      return { ...customer, olderInvoiceNumber: older.invoiceNumber };
    }

    /** Staff request `amount` (naming `invoices` or none); the contact pays it by card in the portal. */
    async function paidRequest(customer: PortalCustomer, amount: number, invoices?: unknown[]): Promise<string> {
      const created = await world.api.post('/api/v1/payment-requests', {
        customerNumber: customer.customerNumber,
        contactId: customer.contactId,
        amount,
        dueDate: '2099-11-01',
        ...(invoices ? { invoices } : {}),
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const portal = await portalSessionFor(world.database, world.agency, world.url, customer);
      const method = await portal.post(
        '/api/v1/portal/payment-methods',
        { token: await tokenizeCard(world.sandbox, CARD_SUCCEEDS) },
        { 'idempotency-key': `pm-${++seq}` },
      );
      assert.equal(method.status, 201, JSON.stringify(method.body));
      const paid = await portal.post(`/api/v1/portal/payment-requests/${created.body.id}/pay`, {
        paymentMethodId: method.body.id,
      });
      assert.equal(paid.status, 201, JSON.stringify(paid.body));
      return created.body.id;
    }

    const account = async (n: number) => (await world.api.get(`/api/v1/customers/${n}/account`)).body;
    const ledgerRows = async () =>
      Number(
        (await sql<{ n: string }>`SELECT count(*)::text AS n FROM journal_lines`.execute(world.database.db)).rows[0]!.n,
      );

    it('a request that named no invoices finalizes to the open invoices oldest due first, at the channel deposit bank', async () => {
      const customer = await customerWithTwoInvoices('Olive Oldest');
      const id = await paidRequest(customer, 650);
      assert.equal((await account(customer.customerNumber)).arBalance, 800);

      const proposal = await world.api.get(`/api/v1/payment-requests/${id}/finalization`);
      assert.equal(proposal.status, 200, JSON.stringify(proposal.body));
      assert.equal(proposal.body.bankShortName, 'ZED', 'the secure-checkout deposit bank, not the first by name');
      assert.deepEqual(
        proposal.body.invoices.map((i: { invoiceNumber: number; proposedAmount: number; balance: number }) => [
          i.invoiceNumber,
          i.balance,
          i.proposedAmount,
        ]),
        [
          [customer.olderInvoiceNumber, 300, 300],
          [customer.invoiceNumber, 500, 350],
        ],
      );
      assert.equal(proposal.body.onAccount, 0);

      const finalized = await world.api.post(`/api/v1/payment-requests/${id}/finalize`, {});
      assert.equal(finalized.status, 200, JSON.stringify(finalized.body));
      const after = await account(customer.customerNumber);
      assert.equal(after.arBalance, 150, 'the cash receipt is reflected in AR');
      assert.equal(after.onAccount, 0);
      const receipt = await world.api.get(`/api/v1/receipts/${finalized.body.receiptNumber}`);
      assert.equal(receipt.body.bankShortName, 'ZED');
    });

    it('staff apply the money to another open invoice than the request named; the rest On Account', async () => {
      const customer = await customerWithTwoInvoices('Rita Redirect');
      const id = await paidRequest(customer, 200, [{ invoiceNumber: customer.invoiceNumber, amount: 200 }]);
      const proposal = (await world.api.get(`/api/v1/payment-requests/${id}/finalization`)).body;
      assert.deepEqual(
        proposal.invoices.map((i: { invoiceNumber: number; proposedAmount: number }) => [
          i.invoiceNumber,
          i.proposedAmount,
        ]),
        [
          [customer.invoiceNumber, 200],
          [customer.olderInvoiceNumber, 0],
        ],
        "the request's invoice first, prefilled; every other open invoice offered",
      );
      const finalized = await world.api.post(`/api/v1/payment-requests/${id}/finalize`, {
        applications: [{ invoiceNumber: customer.olderInvoiceNumber, amount: 150 }, { amount: 50 }],
      });
      assert.equal(finalized.status, 200, JSON.stringify(finalized.body));
      const after = await account(customer.customerNumber);
      assert.equal(after.arBalance, 650);
      assert.equal(after.onAccount, 50);
      const older = after.invoices.find(
        (i: { invoiceNumber: number }) => i.invoiceNumber === customer.olderInvoiceNumber,
      );
      assert.equal(older.balance, 150);
    });

    it('applies On Account credit to invoices later: never above the credit or the open balance, problem+json, nothing written', async () => {
      const customer = await customerWithTwoInvoices('Oscar Credit');
      const other = await world.addCustomer('Someone Else');
      const id = await paidRequest(customer, 400);
      const finalized = await world.api.post(`/api/v1/payment-requests/${id}/finalize`, {
        applications: [{ amount: 400 }],
      });
      assert.equal(finalized.status, 200, JSON.stringify(finalized.body));
      assert.equal((await account(customer.customerNumber)).onAccount, 400);
      const path = `/api/v1/customers/${customer.customerNumber}/on-account/apply`;

      const before = await ledgerRows();
      const refusals: [unknown, number, string][] = [
        [{ invoiceNumber: customer.olderInvoiceNumber, amount: 300.01 }, 422, 'amount'], // above the $300 balance
        [{ invoiceNumber: customer.invoiceNumber, amount: 400.01 }, 422, 'amount'], // above the $400 credit
        [{ invoiceNumber: other.invoiceNumber, amount: 10 }, 422, 'invoiceNumber'], // another customer's
        [{ invoiceNumber: 2_000_000_000, amount: 10 }, 422, 'invoiceNumber'], // no such invoice
        [{ invoiceNumber: customer.invoiceNumber, amount: 0 }, 400, 'amount'],
        [{ invoiceNumber: customer.invoiceNumber, amount: -5 }, 400, 'amount'],
        [{ invoiceNumber: customer.invoiceNumber, amount: 1.001 }, 400, 'amount'],
        [{ invoiceNumber: customer.invoiceNumber, amount: '10' }, 400, 'amount'],
        [{ invoiceNumber: customer.invoiceNumber }, 400, 'amount'],
        [{ amount: 10 }, 400, 'invoiceNumber'],
        [{ invoiceNumber: 'abc', amount: 10 }, 400, 'invoiceNumber'],
        [{ invoiceNumber: customer.invoiceNumber, amount: 10, note: 'x' }, 400, 'note'],
      ];
      for (const [body, status, field] of refusals) {
        const res = await world.api.post(path, body);
        assert.equal(res.status, status, `${JSON.stringify(body)} → ${JSON.stringify(res.body)}`);
        assert.match(res.headers.get('content-type') ?? '', /application\/problem\+json/);
        assert.ok(
          JSON.stringify(res.body.errors ?? []).includes(field),
          `${JSON.stringify(body)} names ${field}: ${JSON.stringify(res.body)}`,
        );
      }
      assert.equal(await ledgerRows(), before, 'a refusal writes nothing');
      assert.equal(
        (await world.api.post(`/api/v1/customers/999999/on-account/apply`, { invoiceNumber: 1, amount: 1 })).status,
        404,
      );

      const applied = await world.api.post(path, { invoiceNumber: customer.olderInvoiceNumber, amount: 300 });
      assert.equal(applied.status, 201, JSON.stringify(applied.body));
      assert.deepEqual(
        [applied.body.appliedAmount, applied.body.invoiceBalance, applied.body.onAccount],
        [300, 0, 100],
      );
      const after = await account(customer.customerNumber);
      assert.equal(after.arBalance, 500);
      assert.equal(after.onAccount, 100);
      // Append-only: the application is a new entry, the receipt's entry untouched.
      const entries = await sql<{ kind: string }>`
        SELECT e.kind FROM journal_entries e JOIN journal_lines l ON l.entry_id = e.id
        WHERE l.invoice_id IS NOT NULL AND e.kind = 'on_account_application' GROUP BY e.id, e.kind`.execute(
        world.database.db,
      );
      assert.ok(entries.rows.length >= 1);
    });

    it('the agency receives the payment receipt at its address on file; a cancelled request e-mails the client', async () => {
      const customer = await world.addCustomer('Rhea Receipt');
      await paidRequest(customer, 120);
      const copy = await waitFor('the agency copy of the receipt', () =>
        world.smtp.messages.find(
          (m) => m.to.includes(backup) && /^Payment receipt: Rhea Receipt paid \$120\.00/.test(m.subject),
        ),
      );
      assert.match(copy.decoded, /Visa ending in 4242|Card ending in 4242/);
      await waitFor('the client receipt', () =>
        world.smtp.messages.find(
          (m) => m.to.includes(customer.email) && /^Receipt for your payment of \$120\.00/.test(m.subject),
        ),
      );

      const cancelledCustomer = await world.addCustomer('Carl Cancel');
      const created = await world.api.post('/api/v1/payment-requests', {
        customerNumber: cancelledCustomer.customerNumber,
        contactId: cancelledCustomer.contactId,
        amount: 75,
        dueDate: '2099-11-01',
        note: 'Endorsement premium',
      });
      assert.equal(created.status, 201);
      const cancelled = await world.api.post(`/api/v1/payment-requests/${created.body.id}/cancel`, {
        reason: 'Billed on the renewal instead',
      });
      assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));
      const mail = await waitFor('the cancellation e-mail', () =>
        world.smtp.messages.find((m) => m.to.includes(cancelledCustomer.email) && /cancelled/.test(m.subject)),
      );
      assert.match(mail.subject, /payment request of \$75\.00 cancelled/);
      assert.match(mail.decoded, /Billed on the renewal instead/);
      assert.match(mail.decoded, /Endorsement premium/);
    });

    it('finds a customer by customer, policy and invoice number, name, e-mail and phone digits', async () => {
      const customer = await world.addCustomer('Quincy Findme');
      const db = world.database.db;
      await db
        .updateTable('customers')
        .set({ phone: '(555) 010-4477' })
        .where('agency_id', '=', world.agency.id)
        .where('customer_number', '=', customer.customerNumber)
        .execute();
      await world.api.post(`/api/v1/customers/${customer.customerNumber}/contacts`, {
        name: 'Bea Spouse',
        email: 'bea.spouse@example.net',
        phone: '555.010.9911',
      });
      await createPolicy(db, world.agency.actor, {
        customerNumber: customer.customerNumber,
        policyNumber: 'HO-FIND-2099',
        lineOfBusiness: 'Homeowners',
        effectiveDate: '2099-01-01',
        expirationDate: '2100-01-01',
        premiumCents: 100_000n,
      });
      const find = async (search: string) => {
        const res = await world.api.get(`/api/v1/customers?search=${encodeURIComponent(search)}`);
        assert.equal(res.status, 200, JSON.stringify(res.body));
        return res.body.data.map((c: { customerNumber: number }) => c.customerNumber) as number[];
      };
      for (const search of [
        String(customer.customerNumber),
        `#${customer.customerNumber}`,
        String(customer.invoiceNumber),
        'HO-FIND-2099',
        'ho-find',
        'findme',
        customer.email.toUpperCase(),
        '555-010-4477',
        '+1 (555) 010 4477',
        '5550104477',
        'Bea Spouse',
        'bea.spouse@',
        '(555) 010-9911',
      ]) {
        assert.ok((await find(search)).includes(customer.customerNumber), `"${search}" finds the customer`);
      }
      // The customer whose number was typed comes first.
      assert.equal((await find(String(customer.customerNumber)))[0], customer.customerNumber);
      assert.deepEqual(await find('555-999-0000'), []);
      assert.deepEqual(await find('100%_\\'), []);
      const tooLong = await world.api.get(`/api/v1/customers?search=${'x'.repeat(201)}`);
      assert.equal(tooLong.status, 400);
      assert.match(JSON.stringify(tooLong.body.errors), /search/);
    });

    it('activities read in words: who by name, card payments as words, receipts by method in words', async () => {
      const customer = await world.addCustomer('Wanda Words');
      const signIn = await fetch(`${world.url}/api/v1/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(world.agency.staff),
      });
      const cookie = signIn.headers.getSetCookie()[0]!.split(';')[0]!;
      const method = await world.api.post(`/api/v1/customers/${customer.customerNumber}/payment-methods`, {
        token: await tokenizeCard(world.sandbox, CARD_SUCCEEDS),
      });
      assert.equal(method.status, 201, JSON.stringify(method.body));
      const payment = await fetch(`${world.url}/api/v1/payments`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie, origin: world.url },
        body: JSON.stringify({
          customerNumber: customer.customerNumber,
          type: 'card',
          amount: 250,
          paymentMethodId: method.body.id,
          targets: [{ invoiceNumber: customer.invoiceNumber, amount: 250 }],
          channel: 'agent_sweep',
          state: 'draft',
          bankShortName: 'OPER',
        }),
      });
      assert.equal(payment.status, 201, await payment.text());
      const activities = (await world.api.get(`/api/v1/customers/${customer.customerNumber}/activities`)).body.data as {
        kind: string;
        summary: string;
        actor: string;
        actorName: string;
      }[];
      const created = activities.find((a) => a.kind === 'payment_created');
      assert.equal(created?.summary, 'Card payment of $250.00 requested by Sam Staff');
      assert.equal(created?.actorName, 'Sam Staff');
      assert.match(created?.actor ?? '', /^user:staff@/);
      for (const activity of activities) {
        assert.doesNotMatch(activity.summary, /user:|client:|CreditCard|\bcard requested/, activity.summary);
      }
    });
  });
}
