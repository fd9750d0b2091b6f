// Issue 19's "every page usable at 390 px wide, every control labelled", for the console pages
// whose own tests run at desktop width: Receipts (list, a receipt with its Reverse form, Post a
// receipt with the amount to apply on screen), Payments (list, a posted payment with its Refund
// form, the finalize queue with its form open), Sync, Email, Import, each Settings section and
// the sign-in page. Each page is screenshotted under test-results/ and checked: nothing wider
// than the phone, no control without a name.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { CARD_SUCCEEDS } from '../../../src/payments/processors/sandbox/test-numbers.ts';
import { launchChromium } from '../../support/browser.ts';
import { fitsAndLabelled, PHONE, signInToConsole } from '../../support/console-pages.ts';
import { databaseTargets } from '../../support/db.ts';
import { settledPayment, tokenizeCard } from '../../support/payments.ts';
import { type PortalCustomer, type PortalWorld, portalSessionFor, startPortalWorld } from '../../support/portal.ts';

for (const target of databaseTargets()) {
  describe(`every console page on a 390 px phone (${target})`, { timeout: 300_000 }, () => {
    let world: PortalWorld;
    let browser: Browser;
    let customer: PortalCustomer;
    let receiptNumber: number;
    let posted: string;
    const contexts: BrowserContext[] = [];

    before(async () => {
      world = await startPortalWorld(target, { web: true });
      browser = await launchChromium();
      customer = await world.addCustomer('Phoebe Phone');
      const receipt = await world.api.post('/api/v1/receipt/customer', {
        customerNumber: customer.customerNumber,
        invoiceInformations: [{ invoiceNumber: customer.invoiceNumber, paymentAmount: 40 }],
        receiptAmount: 40,
        receiptDate: '2026-11-20',
        receiptDateTimeZone: 'America/Chicago',
        bankShortName: 'OPER',
        paymentCheckType: 'H',
        payerCheckNumber: '2040',
      });
      assert.equal(receipt.status, 201, JSON.stringify(receipt.body));
      receiptNumber = receipt.body.receiptNumber;

      const method = await world.api.post(`/api/v1/customers/${customer.customerNumber}/payment-methods`, {
        processor: 'sandbox',
        token: await tokenizeCard(world.sandbox, CARD_SUCCEEDS),
      });
      assert.equal(method.status, 201, JSON.stringify(method.body));
      const payment = await world.api.post('/api/v1/payments', {
        customerNumber: customer.customerNumber,
        type: 'card',
        amount: 60,
        paymentMethodId: method.body.id,
        targets: [{ invoiceNumber: customer.invoiceNumber, amount: 60 }],
        channel: 'agent_sweep',
      });
      assert.equal(payment.status, 201, JSON.stringify(payment.body));
      posted = payment.body.id;
      await settledPayment(world.api, posted, ['posted']);

      // A request the client paid in the portal: it waits in the finalize queue.
      const request = await world.api.post('/api/v1/payment-requests', {
        customerNumber: customer.customerNumber,
        contactId: customer.contactId,
        amount: 75,
        dueDate: '2099-12-15',
      });
      assert.equal(request.status, 201, JSON.stringify(request.body));
      const client = await portalSessionFor(world.database, world.agency, world.url, customer);
      const saved = await client.post('/api/v1/portal/payment-methods', {
        token: await tokenizeCard(world.sandbox, CARD_SUCCEEDS),
      });
      assert.equal(saved.status, 201, JSON.stringify(saved.body));
      const paid = await client.post(`/api/v1/portal/payment-requests/${request.body.id}/pay`, {
        paymentMethodId: saved.body.id,
      });
      assert.ok([200, 201].includes(paid.status), JSON.stringify(paid.body));
    });
    after(async () => {
      for (const context of contexts) await context.close().catch(() => {});
      await browser?.close();
      await world?.close();
    });

    function staffOnPhone(): Promise<{ page: Page; pageErrors: string[] }> {
      return signInToConsole(browser, contexts, world.url, world.agency.staff, PHONE);
    }

    async function check(page: Page, name: string): Promise<void> {
      await fitsAndLabelled(page, `${target}-phone-${name}`);
    }

    test('Receipts: the list, a receipt with its Reverse form, and Post a receipt', async () => {
      const { page, pageErrors } = await staffOnPhone();
      await page.goto(`${world.url}/app/receipts`);
      // The check receipt and the card payment's receipt.
      await page.getByTestId('receipt-totals').getByText('2 receipts · $100.00').waitFor();
      await check(page, 'receipts');

      await page.goto(`${world.url}/app/receipts/${receiptNumber}`);
      await page.getByRole('heading', { level: 1, name: new RegExp(`^Receipt ${receiptNumber}`) }).waitFor();
      await page.getByRole('button', { name: 'Reverse receipt' }).waitFor();
      await check(page, 'receipt');

      await page.goto(`${world.url}/app/receipts/new`);
      await page.getByRole('heading', { level: 1, name: 'Post a receipt' }).waitFor();
      await page.getByLabel('Customer number').fill(String(customer.customerNumber));
      const apply = page.getByLabel(`Apply to invoice ${customer.invoiceNumber}`);
      await apply.waitFor();
      await check(page, 'new-receipt');
      // What the form is for is on screen without scrolling the invoices sideways.
      const box = await apply.boundingBox();
      const wrap = await page
        .locator('.table-wrap', { has: page.getByRole('table', { name: 'Open invoices' }) })
        .boundingBox();
      assert.ok(
        box && wrap && box.x + box.width <= wrap.x + wrap.width,
        `the Apply amount ends at ${box?.x}+${box?.width}px`,
      );
      assert.ok(box.width >= 80, `the Apply amount is ${box.width}px wide`);
      await page.getByText('due Dec 1, 2099').waitFor();
      assert.deepEqual(pageErrors, []);
    });

    test('Payments: the list, a posted payment with its Refund form, and the finalize queue with its form open', async () => {
      const { page, pageErrors } = await staffOnPhone();
      await page.goto(`${world.url}/app/payments`);
      await page
        .getByRole('table', { name: 'Payments' })
        .getByRole('row', { name: /Posted/ })
        .first()
        .waitFor();
      await check(page, 'payments');

      await page.goto(`${world.url}/app/payments/${posted}`);
      await page.getByRole('heading', { level: 1, name: /^Payment of \$60\.00 Posted/ }).waitFor();
      await page.getByRole('button', { name: 'Refund to the card' }).waitFor();
      await check(page, 'payment');

      await page.goto(`${world.url}/app/payments/finalize`);
      await page
        .getByRole('table', { name: 'Awaiting finalize' })
        .getByRole('row', { name: /Phoebe Phone/ })
        .waitFor();
      await check(page, 'finalize-queue');
      await page.getByRole('button', { name: 'Finalize $75.00 from Phoebe Phone' }).click();
      await page
        .getByRole('region', { name: /^Finalize payment of/ })
        .getByRole('button', { name: 'Finalize Payment' })
        .waitFor();
      await check(page, 'finalize-form');
      assert.deepEqual(pageErrors, []);
    });

    test('Sync, Email and Import', async () => {
      const { page, pageErrors } = await staffOnPhone();
      for (const [path, heading, name] of [
        ['/app/sync', 'Sync', 'sync'],
        ['/app/emails', 'Email', 'emails'],
        ['/app/import', 'Import the book', 'import'],
      ] as const) {
        await page.goto(`${world.url}${path}`);
        await page.getByRole('heading', { level: 1, name: heading }).waitFor();
        await page.waitForLoadState('networkidle');
        await check(page, name);
      }
      assert.deepEqual(pageErrors, []);
    });

    test('the sign-in page', async () => {
      const context = await browser.newContext({ viewport: PHONE });
      contexts.push(context);
      const page = await context.newPage();
      await page.goto(`${world.url}/login`);
      await page.getByRole('button', { name: 'Sign in' }).waitFor();
      await check(page, 'sign-in');
    });

    test('every Settings section', async () => {
      const { page, pageErrors } = await staffOnPhone();
      for (const section of [
        'payment-rules',
        'users',
        'api-keys',
        'processor',
        'banks',
        'installment-plans',
        'email',
        'branding',
        'import',
      ]) {
        await page.goto(`${world.url}/app/settings/${section}`);
        await page.getByRole('heading', { level: 1, name: 'Settings' }).waitFor();
        await page.waitForLoadState('networkidle');
        await page.locator('.loading').waitFor({ state: 'detached' });
        await check(page, `settings-${section}`);
      }
      assert.deepEqual(pageErrors, []);
    });
  });
}
