// Issue 19: "every action checks the actor's role and bank access, as the API does (an agent
// cannot reverse or refund; tested in the browser)". In Chromium, an agent of the agency sees a
// receipt without Reverse and a payment without Refund or Charge again; the same calls made with
// the agent's session anyway are refused by the API (403 problem, nothing written), and a console
// fooled into offering the Reverse form shows that refusal in words. The finalize queue follows
// the agency's "who may finalize" setting. And Charge again for a payment request's declined
// payment charges the same request (its money held for Finalize Payment), once.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createUser } from '../../../src/agency/users.ts';
import {
  CARD_DECLINED_STOLEN,
  CARD_SUCCEEDS,
  CARD_SUCCEEDS_MASTERCARD,
} from '../../../src/payments/processors/sandbox/test-numbers.ts';
import { launchChromium } from '../../support/browser.ts';
import { type Credentials, fitsAndLabelled, PHONE, signInToConsole } from '../../support/console-pages.ts';
import { databaseTargets } from '../../support/db.ts';
import { settledPayment, tokenizeCard } from '../../support/payments.ts';
import { type PortalCustomer, type PortalWorld, portalSessionFor, startPortalWorld } from '../../support/portal.ts';

const agent = { email: 'avery@roles.example', password: 'an agent password here' };

/** A POST from the page itself, with its session cookie: what a hand-made request would send. */
function postFromPage(
  page: Page,
  path: string,
  body: unknown,
): Promise<{ status: number; type: string; problem: any }> {
  return page.evaluate(
    async ({ path, body }) => {
      const res = await fetch(path, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': crypto.randomUUID() },
        body: JSON.stringify(body),
      });
      return { status: res.status, type: res.headers.get('content-type') ?? '', problem: await res.json() };
    },
    { path, body },
  );
}

for (const target of databaseTargets()) {
  describe(`roles in the staff console (${target})`, { timeout: 300_000 }, () => {
    let world: PortalWorld;
    let browser: Browser;
    let customer: PortalCustomer;
    let receiptNumber: number;
    let posted: string;
    let requestId: string;
    let declined: string;
    const contexts: BrowserContext[] = [];

    /** The client pays a new request of `amount` in the portal with a card of `number`; its payment id. */
    async function clientPays(amount: number, number: string): Promise<{ requestId: string; paymentId: string }> {
      const request = await world.api.post('/api/v1/payment-requests', {
        customerNumber: customer.customerNumber,
        contactId: customer.contactId,
        amount,
        dueDate: '2099-12-15',
      });
      assert.equal(request.status, 201, JSON.stringify(request.body));
      const client = await portalSessionFor(world.database, world.agency, world.url, customer);
      const method = await client.post('/api/v1/portal/payment-methods', {
        token: await tokenizeCard(world.sandbox, number),
      });
      assert.equal(method.status, 201, JSON.stringify(method.body));
      const paid = await client.post(`/api/v1/portal/payment-requests/${request.body.id}/pay`, {
        paymentMethodId: method.body.id,
      });
      // A decline is the checkout's 422 naming the payment it recorded.
      assert.ok([201, 422].includes(paid.status), JSON.stringify(paid.body));
      return { requestId: request.body.id, paymentId: paid.status === 201 ? paid.body.id : paid.body.paymentId };
    }

    before(async () => {
      world = await startPortalWorld(target, { web: true });
      browser = await launchChromium();
      await createUser(world.database.db, world.agency.actor, { ...agent, name: 'Avery Agent', role: 'agent' });
      customer = await world.addCustomer('Rita Request');
      const receipt = await world.api.post('/api/v1/receipt/customer', {
        customerNumber: customer.customerNumber,
        invoiceInformations: [{ invoiceNumber: customer.invoiceNumber, paymentAmount: 40 }],
        receiptAmount: 40,
        receiptDate: '2026-11-20',
        receiptDateTimeZone: 'America/Chicago',
        bankShortName: 'OPER',
        paymentCheckType: 'H',
        payerCheckNumber: '3040',
      });
      assert.equal(receipt.status, 201, JSON.stringify(receipt.body));
      receiptNumber = receipt.body.receiptNumber;

      const card = await world.api.post(`/api/v1/customers/${customer.customerNumber}/payment-methods`, {
        processor: 'sandbox',
        token: await tokenizeCard(world.sandbox, CARD_SUCCEEDS),
      });
      assert.equal(card.status, 201, JSON.stringify(card.body));
      const payment = await world.api.post('/api/v1/payments', {
        customerNumber: customer.customerNumber,
        type: 'card',
        amount: 60,
        paymentMethodId: card.body.id,
        targets: [{ invoiceNumber: customer.invoiceNumber, amount: 60 }],
        channel: 'agent_sweep',
      });
      assert.equal(payment.status, 201, JSON.stringify(payment.body));
      posted = payment.body.id;
      await settledPayment(world.api, posted, ['posted']);

      // The client pays one request with a stolen card (declined for good) and another in full.
      ({ requestId, paymentId: declined } = await clientPays(75, CARD_DECLINED_STOLEN));
      await settledPayment(world.api, declined, ['failed']);
      await settledPayment(world.api, (await clientPays(25, CARD_SUCCEEDS)).paymentId, ['posted']);
      // The card the agency will charge the declined request with.
      const mastercard = await world.api.post(`/api/v1/customers/${customer.customerNumber}/payment-methods`, {
        processor: 'sandbox',
        token: await tokenizeCard(world.sandbox, CARD_SUCCEEDS_MASTERCARD),
      });
      assert.equal(mastercard.status, 201, JSON.stringify(mastercard.body));
    });
    after(async () => {
      for (const context of contexts) await context.close().catch(() => {});
      await browser?.close();
      await world?.close();
    });

    function signedIn(as: Credentials, viewport = PHONE): Promise<{ page: Page; pageErrors: string[] }> {
      return signInToConsole(browser, contexts, world.url, as, viewport);
    }

    test('an agent sees a receipt without Reverse; the API refuses the reversal, and a fooled console shows why', async () => {
      const { page, pageErrors } = await signedIn(agent);
      await page.goto(`${world.url}/app/receipts/${receiptNumber}`);
      await page.getByRole('heading', { level: 1, name: new RegExp(`^Receipt ${receiptNumber} Posted`) }).waitFor();
      await page.getByRole('table', { name: 'Applications' }).waitFor();
      assert.equal(await page.getByRole('button', { name: 'Reverse receipt' }).count(), 0);
      assert.equal(await page.getByRole('heading', { name: 'Reverse this receipt' }).count(), 0);
      await fitsAndLabelled(page, `${target}-roles-01-agent-receipt`);

      const forced = await postFromPage(page, `/api/v1/receipts/${receiptNumber}/reversal`, { reason: 'nsf' });
      assert.equal(forced.status, 403, JSON.stringify(forced.problem));
      assert.match(forced.type, /^application\/problem\+json/);
      assert.equal(forced.problem.detail, 'this operation needs the role staff');

      // A console that believes the agent is staff (a stale or tampered session answer) offers the
      // form; the API still decides, and its refusal is shown in words.
      await page.route('**/api/v1/me', async (route) => {
        const response = await route.fetch();
        const session = await response.json();
        await route.fulfill({ response, json: { ...session, user: { ...session.user, role: 'staff' } } });
      });
      await page.goto(`${world.url}/app/receipts/${receiptNumber}`);
      await page.getByLabel('Reason').selectOption('nsf');
      page.once('dialog', (dialog) => void dialog.accept());
      await page.getByRole('button', { name: 'Reverse receipt' }).click();
      await page.getByRole('alert').getByText('this operation needs the role staff').waitFor();
      await fitsAndLabelled(page, `${target}-roles-02-agent-reverse-refused`);
      assert.equal((await world.api.get(`/api/v1/receipts/${receiptNumber}`)).body.status, 'posted');
      assert.deepEqual(pageErrors, []);
    });

    test('an agent sees payments without Refund or Charge again; the API refuses both', async () => {
      const { page, pageErrors } = await signedIn(agent);
      await page.goto(`${world.url}/app/payments/${posted}`);
      await page.getByRole('heading', { level: 1, name: /^Payment of \$60\.00 Posted/ }).waitFor();
      await page.getByRole('table', { name: 'Attempts' }).waitFor();
      assert.equal(await page.getByRole('button', { name: 'Refund to the card' }).count(), 0);
      await fitsAndLabelled(page, `${target}-roles-03-agent-payment`);
      const refund = await postFromPage(page, `/api/v1/payments/${posted}/refunds`, { amount: 10 });
      assert.equal(refund.status, 403, JSON.stringify(refund.problem));
      assert.equal(refund.problem.detail, 'this operation needs the role staff');

      await page.goto(`${world.url}/app/payments/${declined}`);
      await page.getByRole('heading', { level: 1, name: /^Payment of \$75\.00 Failed/ }).waitFor();
      await page.getByRole('table', { name: 'Attempts' }).waitFor();
      assert.equal(await page.getByRole('button', { name: 'Charge again' }).count(), 0);
      assert.equal(await page.getByRole('button', { name: 'Retry now' }).count(), 0);
      const charge = await postFromPage(page, `/api/v1/payment-requests/${requestId}/charge`, {
        paymentMethodId: 'any',
      });
      assert.equal(charge.status, 403, JSON.stringify(charge.problem));
      const history = (await world.api.get(`/api/v1/payments/${posted}/history`)).body;
      assert.deepEqual(history.refunds, [], 'nothing refunded for the agent');
      assert.deepEqual(pageErrors, []);
    });

    test("the finalize queue follows the agency's who-may-finalize setting", async () => {
      const agentSees = await signedIn(agent);
      await agentSees.page.goto(`${world.url}/app/payments/finalize`);
      await agentSees.page.getByRole('button', { name: 'Finalize $25.00 from Rita Request' }).waitFor();

      const restricted = await world.api.patch('/api/v1/settings/payments', { finalizeRestrictedToStaff: true });
      assert.equal(restricted.status, 200, JSON.stringify(restricted.body));
      const { page, pageErrors } = await signedIn(agent);
      await page.goto(`${world.url}/app/payments/finalize`);
      const queue = page.getByRole('table', { name: 'Awaiting finalize' });
      await queue.getByRole('row', { name: /Rita Request .*\$25\.00 Staff finalize/ }).waitFor();
      await page.getByText('This agency lets only staff finalize payment requests.').waitFor();
      assert.equal(await queue.getByRole('button').count(), 0);
      await fitsAndLabelled(page, `${target}-roles-04-agent-finalize-queue`);
      await page.goto(`${world.url}/app/customers/${customer.customerNumber}`);
      const requests = page.getByTestId('payment-requests');
      await requests.getByRole('row', { name: /\$25\.00 Paid .*Staff finalize/ }).waitFor();
      assert.equal(await requests.getByRole('button', { name: 'Finalize Payment' }).count(), 0);
      const paidRequest = (await world.api.get('/api/v1/payment-requests?state=paid')).body.data[0].id;
      const forced = await postFromPage(page, `/api/v1/payment-requests/${paidRequest}/finalize`, {});
      assert.equal(forced.status, 403, JSON.stringify(forced.problem));
      assert.equal(forced.problem.detail, 'this agency lets only staff finalize payment requests');

      // Staff still finalize.
      const staff = await signedIn(world.agency.staff);
      await staff.page.goto(`${world.url}/app/payments/finalize`);
      await staff.page.getByRole('button', { name: 'Finalize $25.00 from Rita Request' }).waitFor();
      assert.equal(await staff.page.getByText('This agency lets only staff finalize payment requests.').count(), 0);
      assert.deepEqual([...agentSees.pageErrors, ...pageErrors, ...staff.pageErrors], []);
    });

    test("Charge again for a request's declined payment charges the same request, whose money waits for Finalize", async () => {
      const { page, pageErrors } = await signedIn(world.agency.staff);
      await page.goto(`${world.url}/app/payments/${declined}`);
      await page.getByRole('heading', { level: 1, name: /^Payment of \$75\.00 Failed/ }).waitFor();
      await page
        .getByText(
          /^A new payment of \$75\.00 for the payment request to Rita Request, due Dec 15, 2099: its money is held for Finalize Payment/,
        )
        .waitFor();
      await page.getByText(/· for a payment request$/).waitFor();
      await page.getByLabel('Saved payment method').selectOption({ label: 'mastercard ending 4444' });
      await fitsAndLabelled(page, `${target}-roles-05-charge-request-again`);
      await page.getByRole('button', { name: 'Charge again' }).click();
      await page.waitForURL((url) => url.pathname.startsWith('/app/payments/') && !url.pathname.endsWith(declined));
      const id = new URL(page.url()).pathname.split('/').at(-1)!;
      const created = (await world.api.get(`/api/v1/payments/${id}`)).body;
      assert.equal(created.paymentRequestId, requestId);
      assert.equal(created.amount, 75);
      assert.equal(created.channel, 'agent_sweep');
      await settledPayment(world.api, id, ['posted']);
      // Held for the request, not applied: the request is paid and waits in the finalize queue.
      const request = (await world.api.get(`/api/v1/payment-requests/${requestId}`)).body;
      assert.equal(request.state, 'paid');
      assert.equal(request.payment.id, id);
      await page.reload();
      await page.getByRole('heading', { level: 1, name: /^Payment of \$75\.00 Posted/ }).waitFor();
      await page.goto(`${world.url}/app/payments/finalize`);
      await page.getByRole('button', { name: 'Finalize $75.00 from Rita Request' }).waitFor();

      // The declined payment's page no longer offers it, and the API refuses a second charge.
      await page.goto(`${world.url}/app/payments/${declined}`);
      await page.getByText('The payment request is Paid: there is nothing to charge.').waitFor();
      assert.equal(await page.getByRole('button', { name: 'Charge again' }).count(), 0);
      const again = await postFromPage(page, `/api/v1/payment-requests/${requestId}/charge`, {
        paymentMethodId: created.paymentMethodId,
      });
      assert.equal(again.status, 409, JSON.stringify(again.problem));
      assert.equal(again.problem.detail, 'the payment request is already paid');
      assert.deepEqual(pageErrors, []);
    });
  });
}
