// Issue 20.3 in Chromium, on both databases: staff set a card convenience fee on Settings > Payment
// rules (a bad percent is named); a client in Texas paying by credit card sees the fee and the
// total before paying and is charged amount + fee (the receipt's own fee line, the invoice reduced
// by the amount only); a client paying by debit card, and one in Connecticut, see why there is no
// fee and are charged the amount only. Screenshots under test-results/.
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { CARD_DEBIT, CARD_SUCCEEDS } from '../../src/payments/processors/sandbox/test-numbers.ts';
import { launchChromium } from '../support/browser.ts';
import { databaseTargets } from '../support/db.ts';
import { tokenizeCard } from '../support/payments.ts';
import { type PortalWorld, portalSessionFor, startPortalWorld } from '../support/portal.ts';

const RESULTS = join(import.meta.dirname, '..', '..', 'test-results');
const atPath = (pathname: string) => (url: URL) => url.pathname === pathname;

for (const target of databaseTargets()) {
  describe(`card convenience fees in Chromium (${target})`, { timeout: 300_000 }, () => {
    let world: PortalWorld;
    let browser: Browser;
    const contexts: BrowserContext[] = [];
    const pageErrors: string[] = [];

    before(async () => {
      await mkdir(RESULTS, { recursive: true });
      world = await startPortalWorld(target, { web: true });
      browser = await launchChromium();
    });
    after(async () => {
      for (const context of contexts) await context.close().catch(() => {});
      await browser?.close();
      await world?.close();
    });

    async function openPage(): Promise<Page> {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      contexts.push(context);
      context.setDefaultTimeout(30_000);
      const page = await context.newPage();
      page.on('pageerror', (error) => pageErrors.push(error.message));
      return page;
    }

    const shot = (page: Page, name: string) =>
      page.screenshot({ path: join(RESULTS, `${target}-fees-${name}.png`), fullPage: true });

    /** A client of `state` with a saved card, on the one-time payment page with $100.00 entered. */
    async function clientPaying(state: string, card: string) {
      const customer = await world.addCustomer(`Client ${state} ${card.slice(-4)}`);
      const moved = await world.api.patch(`/api/v1/customers/${customer.customerNumber}`, { address: { state } });
      assert.equal(moved.status, 200, JSON.stringify(moved.body));
      const client = await portalSessionFor(world.database, world.agency, world.url, customer);
      const saved = await client.post('/api/v1/portal/payment-methods', {
        token: await tokenizeCard(world.sandbox, card),
      });
      assert.equal(saved.status, 201, JSON.stringify(saved.body));
      const page = await openPage();
      const [name, value] = client.cookie.split('=') as [string, string];
      await page.context().addCookies([{ name, value, url: world.url }]);
      await page.goto(`${world.url}/portal/pay`);
      await page.getByRole('radio', { name: new RegExp(`ending ${card.slice(-4)}`) }).check();
      await page.getByLabel('Amount to pay').fill('100.00');
      return { customer, page };
    }

    const lastCharge = () => world.sandbox.charges().at(-1)!;

    test('staff set a card fee; a Texas client by credit card sees it and pays amount + fee', async () => {
      const page = await openPage();
      await page.goto(`${world.url}/login`);
      await page.getByLabel('Email').fill(world.agency.staff.email);
      await page.getByLabel('Password').fill(world.agency.staff.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(atPath('/app/customers'));
      await page.goto(`${world.url}/app/settings/payment-rules`);
      const form = page.getByRole('form', { name: 'Convenience fees' });
      await form.getByLabel('Charge a fee on card payments').check();
      await form.getByLabel('Card fee percent').fill('12.345');
      await form.getByRole('button', { name: 'Save fees' }).click();
      await form.getByText('must be a percent from 0 to 100 with at most 2 decimals', { exact: true }).waitFor();
      assert.deepEqual((await world.api.get('/api/v1/settings/convenience-fees')).body, { card: null, ach: null });
      await form.getByLabel('Card fee percent').fill('2.5');
      await form.getByLabel('Card fee fixed amount').fill('0.30');
      await form.getByRole('button', { name: 'Save fees' }).click();
      await page.getByText('Fees saved.').waitFor();
      await shot(page, 'settings');
      assert.deepEqual((await world.api.get('/api/v1/settings/convenience-fees')).body.card, {
        percent: 2.5,
        fixed: 0.3,
        cap: null,
      });

      const { customer, page: portal } = await clientPaying('TX', CARD_SUCCEEDS);
      await portal.getByTestId('fee-amount').filter({ hasText: '$2.80' }).waitFor();
      assert.equal(await portal.getByTestId('fee-total').textContent(), '$102.80');
      assert.equal(
        await portal.getByTestId('fee-message').textContent(),
        'A $2.80 convenience fee applies to credit card payments.',
      );
      await shot(portal, 'credit-quote');
      await portal.getByRole('button', { name: 'Pay $102.80' }).click();
      await portal.getByTestId('payment-confirmation').waitFor();
      assert.match(
        (await portal.getByTestId('payment-confirmation').textContent()) ?? '',
        /\$100\.00 and a \$2\.80 convenience fee/,
      );
      await shot(portal, 'credit-paid');
      assert.equal(lastCharge().amountCents, 10_280n);

      const receipt = (await world.api.get(`/api/v1/customers/${customer.customerNumber}/receipts`)).body.data[0];
      assert.deepEqual([receipt.receiptAmount, receipt.convenienceFeeAmount], [100, 2.8]);
      assert.equal((await world.api.get(`/api/v1/invoices/${customer.invoiceNumber}`)).body.balance, 400);
      const payment = await world.database.db
        .selectFrom('payments')
        .select(['fee_cents', 'fee_rule_id'])
        .where('receipt_id', '=', receipt.receiptId)
        .executeTakeFirstOrThrow();
      assert.deepEqual([payment.fee_cents, payment.fee_rule_id], [280n, 'visa-us-credit-surcharge-cap']);
      // Staff see the fee as the receipt's own line in the console.
      await page.goto(`${world.url}/app/receipts/${receipt.receiptNumber}`);
      await page
        .getByTestId('receipt-convenience-fee')
        .filter({ hasText: '$2.80 (not applied to invoices)' })
        .waitFor();
      await shot(page, 'receipt');
    });

    test('a debit card, and a credit card in Connecticut: no fee, and why; charged the amount only', async () => {
      const cases: [string, string, string][] = [
        ['TX', CARD_DEBIT, 'No fee on debit cards.'],
        ['CT', CARD_SUCCEEDS, 'No fee: not allowed in the insured’s state.'],
      ];
      for (const [state, card, message] of cases) {
        const { customer, page } = await clientPaying(state, card);
        await page.getByTestId('fee-message').filter({ hasText: message }).waitFor();
        assert.equal(await page.getByTestId('fee-amount').textContent(), '$0.00');
        assert.equal(await page.getByTestId('fee-total').textContent(), '$100.00');
        await shot(page, `${state.toLowerCase()}-${card.slice(-4)}-quote`);
        await page.getByRole('button', { name: 'Pay now' }).click();
        await page.getByTestId('payment-confirmation').waitFor();
        assert.equal(lastCharge().amountCents, 10_000n, message);
        const receipt = (await world.api.get(`/api/v1/customers/${customer.customerNumber}/receipts`)).body.data[0];
        assert.deepEqual([receipt.receiptAmount, receipt.convenienceFeeAmount], [100, 0]);
      }
      assert.deepEqual(pageErrors, []);
    });
  });
}
