// The Autopay page of the staff console in Chromium, on the server's clock: the pulls due per
// agency day, a declined pull with the processor's reason re-fired and then posted, an agent who
// sees the failures but no Re-fire, and the page on a 390 px phone with every control labelled.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createUser } from '../../../src/agency/users.ts';
import { systemActor } from '../../../src/kernel/actor.ts';
import { executePayment } from '../../../src/payments/execution.ts';
import { CARD_DECLINED_STOLEN } from '../../../src/payments/processors/sandbox/test-numbers.ts';
import { launchChromium } from '../../support/browser.ts';
import {
  type Credentials,
  DESKTOP,
  fitsAndLabelled,
  PHONE,
  RESULTS,
  signInToConsole,
} from '../../support/console-pages.ts';
import { databaseTargets } from '../../support/db.ts';
import { type PaymentsWorld, startPaymentsWorld } from '../../support/payments.ts';
import { AUTOPAY_TIME, autopayScenarios } from '../../support/worlds/autopay-scenario.ts';

// The server's clock: Friday 6 March 2026, 10:00 in the agency's Chicago. The declined pull fired
// on the 5th; the next pulls are due on Saturday the 7th ($200) and Tuesday the 10th ($100).
const SERVER_NOW = new Date('2026-03-06T16:00:00Z');
const agent = { email: 'avery@autopay.example', password: 'an agent password here' };

for (const target of databaseTargets()) {
  describe(`autopay in the staff console (${target})`, { timeout: 300_000 }, () => {
    let world: PaymentsWorld;
    let browser: Browser;
    let s: Awaited<ReturnType<ReturnType<typeof autopayScenarios>['scenario']>>;
    let declinedInvoice: number;
    const contexts: BrowserContext[] = [];
    const { scenario } = autopayScenarios(() => ({ world, target }));

    before(async () => {
      world = await startPaymentsWorld(target, { web: true, clock: () => SERVER_NOW });
      browser = await launchChromium();
      s = await scenario();
      // Enrolled with a stolen card: the pull on 5 March is declined for good.
      await s.enroll(await s.saveCard(CARD_DECLINED_STOLEN));
      declinedInvoice = (await s.policy()).invoices[0]!;
      assert.equal((await s.pass(AUTOPAY_TIME)).paymentsCreated, 1);
      const [declined] = await s.paymentsOf();
      await executePayment(world.database.db, world.processors, declined!.id, { now: AUTOPAY_TIME });
      assert.equal((await s.paymentsOf())[0]!.state, 'failed');
      // The customer gives a good card; two more policies bring pulls due on the 7th and the 10th.
      await s.enroll(s.methodId);
      await s.policy({ effectiveDate: '2026-03-12', premium: 600 });
      await s.policy({ effectiveDate: '2026-03-15' });
      await createUser(world.database.db, systemActor(s.agencyId, 'test'), {
        ...agent,
        name: 'Avery Agent',
        role: 'agent',
      });
    });
    after(async () => {
      for (const context of contexts) await context.close().catch(() => {});
      await browser?.close();
      await world?.close();
    });

    function signedIn(as: Credentials, viewport = DESKTOP): Promise<{ page: Page; pageErrors: string[] }> {
      return signInToConsole(browser, contexts, world.url, as, viewport);
    }

    async function openAutopay(page: Page): Promise<void> {
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Autopay' }).click();
      await page.waitForURL((url) => url.pathname === '/app/autopay');
      await page.getByRole('heading', { level: 1, name: 'Autopay' }).waitFor();
    }

    const declinedRow = (page: Page) =>
      page.getByRole('table', { name: 'Failed pulls' }).getByRole('row', { name: new RegExp(`^${declinedInvoice} `) });

    test('an agent sees the declined pull and its reason, but no Re-fire', async () => {
      const { page, pageErrors } = await signedIn(agent);
      await openAutopay(page);
      const row = declinedRow(page);
      await row.getByText('Declined').waitFor();
      await row.getByText('stolen_card').waitFor();
      assert.equal(await page.getByRole('button', { name: /Re-fire/ }).count(), 0);
      assert.deepEqual(pageErrors, []);
    });

    test('the days due on the agency calendar; a declined pull re-fired, then posted by the next pass', async () => {
      const { page, pageErrors } = await signedIn(s.staff);
      await openAutopay(page);
      const due = page.getByRole('table', { name: 'Pulls due' });
      await due.getByRole('row', { name: 'Today, Fri, Mar 6 0 $0.00' }).waitFor();
      await due.getByRole('row', { name: 'Sat, Mar 7 1 $200.00' }).waitFor();
      await due.getByRole('row', { name: 'Tue, Mar 10 1 $100.00' }).waitFor();
      await due.getByRole('row', { name: '14 days 2 $300.00' }).waitFor();
      assert.equal(await due.getByRole('row').count(), 1 + 14 + 1);

      const row = declinedRow(page);
      await row.getByText('stolen_card').waitFor();
      await page.screenshot({ path: join(RESULTS, `${target}-console-autopay-declined.png`), fullPage: true });
      await row.getByRole('button', { name: `Re-fire invoice ${declinedInvoice}` }).click();
      await page.getByRole('status').getByText(`Invoice ${declinedInvoice} re-fired`).waitFor();
      await row.getByText('Re-fire queued').waitFor();

      // The next pass (here on the test's clock) pulls it with the good card; the processor posts it.
      const nextPass = new Date(SERVER_NOW.getTime() + 60_000);
      const run = await s.pass(nextPass);
      assert.equal(run.paymentsCreated, 1);
      const posted = (await s.paymentsOf()).find((p) => p.state !== 'failed')!;
      await executePayment(world.database.db, world.processors, posted.id, { now: nextPass });
      assert.equal((await s.paymentsOf()).find((p) => p.id === posted.id)!.state, 'posted');

      await page.getByRole('button', { name: 'Refresh' }).click();
      await page.getByRole('table', { name: 'Failed pulls' }).getByText('No failed or declined pulls.').waitFor();
      const passes = page.getByRole('table', { name: 'Passes' });
      // Latest first: the re-fire's pass posted 1; the first pass's decline went with its firing.
      await passes.getByRole('row').nth(1).getByRole('cell').nth(2).getByText('1', { exact: true }).waitFor();
      const cells = await passes.getByRole('row').nth(1).getByRole('cell').allTextContents();
      assert.deepEqual(cells, ['1', '1', '1', '0', '0']);
      await page.screenshot({ path: join(RESULTS, `${target}-console-autopay-posted.png`), fullPage: true });
      assert.deepEqual(pageErrors, []);
    });

    test('on a 390 px phone the page fits, and every control has a name', async () => {
      const { page, pageErrors } = await signedIn(s.staff, PHONE);
      await page.goto(`${world.url}/app/autopay`);
      await page.getByRole('heading', { level: 1, name: 'Autopay' }).waitFor();
      await page
        .getByRole('table', { name: 'Enrollments' })
        .getByRole('row', { name: /Jane Smith .*ending 4242/ })
        .waitFor();
      await page
        .getByRole('table', { name: 'Pulls due' })
        .getByRole('row', { name: /^Sat, Mar 7/ })
        .waitFor();
      await fitsAndLabelled(page, `${target}-console-autopay-phone`);
      // The controls are reachable on the phone: Refresh and the pager are on screen or scrollable to.
      for (const name of ['Refresh', 'Previous enrollments', 'Next enrollments']) {
        const box = await page.getByRole('button', { name }).boundingBox();
        assert.ok(box && box.x >= 0 && box.x + box.width <= 390, `${name} fits the screen`);
      }
      assert.deepEqual(pageErrors, []);
    });
  });
}
