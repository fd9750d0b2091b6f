// A payment's Retry now and Charge again in the staff console, in Chromium: a payment declined for
// good is charged again with another saved card (the console opens the new payment), one waiting
// for its scheduled retry is retried now, an agent sees neither button, and the page works on a
// 390 px phone with every control named.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createUser } from '../../../src/agency/users.ts';
import { executePayment } from '../../../src/payments/execution.ts';
import {
  CARD_DECLINED_INSUFFICIENT_FUNDS,
  CARD_DECLINED_STOLEN,
  CARD_SUCCEEDS,
  CARD_SUCCEEDS_MASTERCARD,
} from '../../../src/payments/processors/sandbox/test-numbers.ts';
import { launchChromium } from '../../support/browser.ts';
import { type Credentials, DESKTOP, fitsAndLabelled, PHONE, signInToConsole } from '../../support/console-pages.ts';
import { databaseTargets } from '../../support/db.ts';
import { type PaymentsWorld, paymentSteps, startPaymentsWorld } from '../../support/payments.ts';

const agent = { email: 'avery@retry.example', password: 'an agent password here' };

for (const target of databaseTargets()) {
  describe(`retry and charge again in the staff console (${target})`, { timeout: 300_000 }, () => {
    let world: PaymentsWorld;
    let browser: Browser;
    let customerNumber: number;
    let declined: string;
    let scheduled: string;
    const contexts: BrowserContext[] = [];
    const steps = paymentSteps(() => ({ world, customerNumber }));

    before(async () => {
      world = await startPaymentsWorld(target, { web: true });
      browser = await launchChromium();
      await createUser(world.database.db, world.agency.actor, { ...agent, name: 'Avery Agent', role: 'agent' });
      customerNumber = (await world.api.post('/api/v1/customers', { type: 'individual', name: 'Remy Retry' })).body
        .customerNumber;
      const stolen = await steps.openInvoice(50);
      declined = await steps.pay(await steps.saveCard(CARD_DECLINED_STOLEN), stolen.invoiceNumber, 50);
      assert.equal((await executePayment(world.database.db, world.processors, declined)).status, 'declined');
      const soft = await steps.openInvoice(30);
      scheduled = await steps.pay(await steps.saveCard(CARD_DECLINED_INSUFFICIENT_FUNDS), soft.invoiceNumber, 30);
      assert.equal((await executePayment(world.database.db, world.processors, scheduled)).status, 'declined');
      // The card has funds by now (the sandbox's cards always answer alike: the payment's card is swapped).
      const funded = await steps.saveCard(CARD_SUCCEEDS);
      await sql`UPDATE payments SET payment_method_id = ${funded} WHERE id = ${scheduled}`.execute(world.database.db);
      await steps.saveCard(CARD_SUCCEEDS_MASTERCARD);
    });
    after(async () => {
      for (const context of contexts) await context.close().catch(() => {});
      await browser?.close();
      await world?.close();
    });

    function signedIn(as: Credentials, viewport = DESKTOP): Promise<{ page: Page; pageErrors: string[] }> {
      return signInToConsole(browser, contexts, world.url, as, viewport);
    }

    test('an agent sees a failed and a scheduled payment without Retry now or Charge again', async () => {
      const { page, pageErrors } = await signedIn(agent);
      await page.goto(`${world.url}/app/payments/${declined}`);
      await page.getByRole('heading', { level: 1, name: /^Payment of \$50\.00 Failed/ }).waitFor();
      await page
        .getByRole('table', { name: 'Attempts' })
        .getByRole('row', { name: /stolen_card/ })
        .waitFor();
      assert.equal(await page.getByRole('button', { name: 'Charge again' }).count(), 0);
      await page.goto(`${world.url}/app/payments/${scheduled}`);
      await page.getByRole('heading', { level: 1, name: /^Payment of \$30\.00 Requested/ }).waitFor();
      assert.equal(await page.getByRole('button', { name: 'Retry now' }).count(), 0);
      // Cancel is the agent's too, as the API's cancel allows.
      await page.getByRole('button', { name: /^Cancel/ }).waitFor();
      assert.deepEqual(pageErrors, []);
    });

    test('a payment declined for good is charged again with another card, and the console opens the new one', async () => {
      const { page, pageErrors } = await signedIn(world.agency.staff);
      await page.goto(`${world.url}/app/payments/${declined}`);
      await page.getByRole('heading', { level: 1, name: /^Payment of \$50\.00 Failed/ }).waitFor();
      await page.getByLabel('Saved payment method').selectOption({ label: 'mastercard ending 4444' });
      await page.getByRole('button', { name: 'Charge again' }).click();
      await page.waitForURL((url) => url.pathname.startsWith('/app/payments/') && !url.pathname.endsWith(declined));
      await page.getByRole('heading', { level: 1, name: /^Payment of \$50\.00 Requested/ }).waitFor();
      const id = new URL(page.url()).pathname.split('/').at(-1)!;
      const created = (await world.api.get(`/api/v1/payments/${id}`)).body;
      assert.equal(
        created.targets[0].invoiceNumber,
        (await world.api.get(`/api/v1/payments/${declined}`)).body.targets[0].invoiceNumber,
      );
      assert.equal(created.channel, 'agent_sweep');
      assert.equal((await executePayment(world.database.db, world.processors, id)).status, 'succeeded');
      await page.reload();
      await page.getByRole('heading', { level: 1, name: /^Payment of \$50\.00 Posted/ }).waitFor();
      assert.deepEqual(pageErrors, []);
    });

    test('on a 390 px phone a scheduled retry is run now, and every control has a name', async () => {
      const { page, pageErrors } = await signedIn(world.agency.staff, PHONE);
      await page.goto(`${world.url}/app/payments/${scheduled}`);
      await page.getByRole('heading', { level: 1, name: /^Payment of \$30\.00 Requested/ }).waitFor();
      await page.getByText(/^Attempt 2 is scheduled for /).waitFor();
      await fitsAndLabelled(page, `${target}-console-payment-retry-phone`);
      const retry = page.getByRole('button', { name: 'Retry now' });
      const box = await retry.boundingBox();
      assert.ok(box && box.x >= 0 && box.x + box.width <= 390, 'Retry now fits the screen');
      await retry.click();
      await page.getByRole('heading', { level: 1, name: /^Payment of \$30\.00 Posted/ }).waitFor();
      await page
        .getByRole('table', { name: 'Attempts' })
        .getByRole('row', { name: /^2 .*Succeeded/ })
        .waitFor();
      assert.equal(await page.getByRole('button', { name: 'Retry now' }).count(), 0);
      assert.deepEqual(pageErrors, []);
    });
  });
}
