// The Payments pages of the staff console in Chromium: the list by state with a decline's words,
// a payment's attempts and its refund, and the finalize queue with its count in the navigation.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { CARD_DECLINED_STOLEN, CARD_SUCCEEDS } from '../../../src/payments/processors/sandbox/test-numbers.ts';
import { launchChromium } from '../../support/browser.ts';
import { databaseTargets } from '../../support/db.ts';
import { tokenizeCard } from '../../support/payments.ts';
import { type PortalCustomer, type PortalWorld, portalSessionFor, startPortalWorld } from '../../support/portal.ts';

for (const target of databaseTargets()) {
  describe(`payments in the staff console (${target})`, { timeout: 300_000 }, () => {
    let world: PortalWorld;
    let browser: Browser;
    let customer: PortalCustomer;
    let posted: string;
    const contexts: BrowserContext[] = [];

    /** Waits on the payment's state (the workers execute it), not on a timer. */
    async function settled(id: string, states: string[]): Promise<void> {
      const deadline = Date.now() + 120_000;
      for (;;) {
        const payment = await world.api.get(`/api/v1/payments/${id}`);
        if (states.includes(payment.body.state)) return;
        if (Date.now() > deadline) assert.fail(`payment ${id} is ${payment.body.state}, not ${states.join('/')}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }

    async function cardPayment(card: string, amount: number): Promise<string> {
      const method = await world.api.post(`/api/v1/customers/${customer.customerNumber}/payment-methods`, {
        processor: 'sandbox',
        token: await tokenizeCard(world.sandbox, card),
      });
      assert.equal(method.status, 201, JSON.stringify(method.body));
      const payment = await world.api.post('/api/v1/payments', {
        customerNumber: customer.customerNumber,
        type: 'card',
        amount,
        paymentMethodId: method.body.id,
        targets: [{ invoiceNumber: customer.invoiceNumber, amount }],
        channel: 'agent_sweep',
      });
      assert.equal(payment.status, 201, JSON.stringify(payment.body));
      return payment.body.id;
    }

    before(async () => {
      world = await startPortalWorld(target, { web: true });
      browser = await launchChromium();
      customer = await world.addCustomer('Paula Payer');
      posted = await cardPayment(CARD_SUCCEEDS, 100);
      await settled(posted, ['posted']);
      const declined = await cardPayment(CARD_DECLINED_STOLEN, 50);
      await settled(declined, ['failed']);

      // A request the client pays in the portal: it waits for Finalize Payment.
      const request = await world.api.post('/api/v1/payment-requests', {
        customerNumber: customer.customerNumber,
        contactId: customer.contactId,
        amount: 75,
        dueDate: '2026-12-15',
      });
      assert.equal(request.status, 201, JSON.stringify(request.body));
      const client = await portalSessionFor(world.database, world.agency, world.url, customer);
      const method = await client.post('/api/v1/portal/payment-methods', {
        token: await tokenizeCard(world.sandbox, CARD_SUCCEEDS),
      });
      assert.equal(method.status, 201, JSON.stringify(method.body));
      const paid = await client.post(`/api/v1/portal/payment-requests/${request.body.id}/pay`, {
        paymentMethodId: method.body.id,
      });
      assert.ok([200, 201].includes(paid.status), JSON.stringify(paid.body));
    });
    after(async () => {
      for (const context of contexts) await context.close().catch(() => {});
      await browser?.close();
      await world?.close();
    });

    async function signedIn(): Promise<{ page: Page; pageErrors: string[] }> {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      contexts.push(context);
      context.setDefaultTimeout(30_000);
      const page = await context.newPage();
      const pageErrors: string[] = [];
      page.on('pageerror', (error) => pageErrors.push(error.message));
      await page.goto(`${world.url}/login`);
      await page.getByLabel('Email').fill(world.agency.staff.email);
      await page.getByLabel('Password').fill(world.agency.staff.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL((url) => url.pathname === '/app/customers');
      return { page, pageErrors };
    }

    test('the list by state shows a decline in words; a posted payment shows its attempt and takes a refund', async () => {
      const { page, pageErrors } = await signedIn();
      const nav = page.getByRole('navigation', { name: 'Main' });
      await nav.getByRole('link', { name: /^Payments/ }).click();
      await page.getByRole('heading', { level: 1, name: 'Payments' }).waitFor();
      const table = page.getByRole('table', { name: 'Payments' });
      await table.getByRole('row', { name: /Failed/ }).waitFor();
      await page.getByLabel('State').selectOption('failed');
      await page.waitForURL((url) => url.searchParams.get('state') === 'failed');
      await table.getByRole('row', { name: /\$50\.00 Failed/ }).waitFor();
      assert.equal(await table.getByRole('row', { name: /Posted/ }).count(), 0);

      await page.goto(`${world.url}/app/payments/${posted}`);
      await page.getByRole('heading', { level: 1, name: /^Payment of \$100\.00 Posted/ }).waitFor();
      await page
        .getByRole('table', { name: 'Attempts' })
        .getByRole('row', { name: /sandbox .*Succeeded/ })
        .waitFor();
      await page.getByLabel(/^Amount \(empty: the \$100\.00 not yet refunded\)/).fill('20');
      await page.getByLabel('Reason (optional)').fill('overpaid');
      await page.getByRole('button', { name: 'Refund to the card' }).click();
      await page.getByRole('table', { name: 'History' }).getByText('Refund of $20.00: Succeeded').waitFor();
      await page.getByLabel(/^Amount \(empty: the \$80\.00 not yet refunded\)/).waitFor();
      assert.deepEqual(pageErrors, []);
    });

    test('the finalize queue lists the paid request across customers, its count in the navigation, until finalized', async () => {
      const { page, pageErrors } = await signedIn();
      const nav = page.getByRole('navigation', { name: 'Main' });
      await nav.getByRole('link', { name: 'Payments 1 awaiting finalize' }).waitFor();
      await page.goto(`${world.url}/app/payments/finalize`);
      const queue = page.getByRole('table', { name: 'Awaiting finalize' });
      await queue.getByRole('row', { name: /Paula Payer/ }).waitFor();
      await page.getByRole('button', { name: 'Finalize $75.00 from Paula Payer' }).click();
      await page
        .getByRole('region', { name: /^Finalize payment of/ })
        .getByRole('button', { name: 'Finalize Payment' })
        .click();
      await page.getByText(/^Finalized \$75\.00 from Paula Payer into receipt \d+\.$/).waitFor();
      await queue.getByText('Nothing to finalize: every paid request is a receipt.').waitFor();
      await nav.getByRole('link', { name: 'Payments', exact: true }).waitFor();
      assert.deepEqual(pageErrors, []);
    });
  });
}
