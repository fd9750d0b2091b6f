// `npm start -- --no-demo` on an empty database: the banner's first-run link sets the agency up
// in the browser (agency, banks, first staff user), and the new staff user lands in the console.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../support/browser.ts';
import { databaseTargets } from '../support/db.ts';
import { type ServeProcess, startServeProcess } from './serve-process.ts';

for (const target of databaseTargets()) {
  describe(`first run in Chromium (${target})`, { timeout: 420_000 }, () => {
    let server: ServeProcess;
    let browser: Browser;
    const contexts: BrowserContext[] = [];

    before(async () => {
      server = await startServeProcess({ target, demo: false });
      browser = await launchChromium();
    });
    after(async () => {
      for (const context of contexts) await context.close().catch(() => {});
      await browser?.close();
      await server?.close();
    });

    async function openPage(): Promise<{ page: Page; pageErrors: string[] }> {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      contexts.push(context);
      context.setDefaultTimeout(30_000);
      const page = await context.newPage();
      const pageErrors: string[] = [];
      page.on('pageerror', (error) => pageErrors.push(error.message));
      return { page, pageErrors };
    }

    test('the banner prints a first-run link instead of a demo sign-in', () => {
      assert.match(server.setupUrl ?? '', /^http:\/\/127\.0\.0\.1:\d+\/setup#code=[A-Za-z0-9_-]{24}$/);
      assert.doesNotMatch(server.output(), /staff sign-in/);
    });

    test('without the code the form asks for it, and a wrong one is refused with nothing written', async () => {
      const { page, pageErrors } = await openPage();
      await page.goto(`${server.url}/setup`);
      await page.getByRole('heading', { name: 'Set up your agency' }).waitFor();
      await fillAgency(page);
      await page.getByLabel('Setup code (from the start-up banner)').fill('not-the-code');
      await page.getByRole('button', { name: 'Set up policypay' }).click();
      await page
        .getByRole('alert')
        .getByText(/setup code/)
        .waitFor();
      const status = await (await fetch(`${server.url}/api/v1/setup`)).json();
      assert.deepEqual(status, { needed: true, open: true });
      assert.deepEqual(pageErrors, []);
    });

    test('the link sets the agency up: a bad bank row is named, then the staff user lands in the console', async () => {
      const { page, pageErrors } = await openPage();
      await page.goto(server.setupUrl!);
      await page.getByRole('heading', { name: 'Set up your agency' }).waitFor();
      assert.equal(await page.getByLabel('Setup code (from the start-up banner)').count(), 0);
      await fillAgency(page);
      assert.equal(await page.getByLabel('Agency code (used in links and sign-in)').inputValue(), 'lakeside-insurance');

      await page.getByRole('button', { name: 'Add another bank' }).click();
      const second = page.getByRole('group', { name: 'Bank 2' });
      await second.getByLabel('Short name').fill('trust');
      await second.getByLabel('Bank name').fill('Lakeside Operating');
      await page.getByRole('button', { name: 'Set up policypay' }).click();
      await second.getByText('is listed twice').waitFor();
      await second.getByLabel('Short name').fill('OPER');
      await page.getByRole('button', { name: 'Set up policypay' }).click();

      await page.waitForURL((url) => url.pathname === '/app/customers');
      await page
        .getByRole('link', { name: /Lakeside Insurance/ })
        .first()
        .waitFor();
      await page.getByText('Lena Lake').waitFor();

      // Set up once: the link now says so and offers the sign-in.
      await page.goto(server.setupUrl!);
      await page.getByRole('heading', { name: 'policypay is set up' }).waitFor();

      // The banks are the agency's, the first its default deposit bank.
      const me = await page.request.get(`${server.url}/api/v1/banks`);
      assert.equal(me.status(), 200);
      const banks = ((await me.json()) as { data: { shortName: string }[] }).data.map((bank) => bank.shortName);
      assert.deepEqual(banks, ['OPER', 'TRUST']);
      const settings = await page.request.get(`${server.url}/api/v1/settings/payments`);
      assert.equal(
        ((await settings.json()) as { defaultDepositBanks: { autopay: string } }).defaultDepositBanks.autopay,
        'TRUST',
      );
      assert.deepEqual(pageErrors, []);
    });
  });
}

async function fillAgency(page: Page): Promise<void> {
  await page.getByLabel('Agency name').fill('Lakeside Insurance');
  await page.getByLabel('Time zone (e.g. America/Chicago)').fill('America/Chicago');
  await page.getByLabel('Backup e-mail (told of every client payment)').fill('office@lakeside.example');
  const first = page.getByRole('group', { name: 'Bank 1' });
  await first.getByLabel('Short name').fill('TRUST');
  await first.getByLabel('Bank name').fill('First Lakeside Trust');
  await page.getByLabel('Your name').fill('Lena Lake');
  await page.getByLabel('Your e-mail').fill('lena@lakeside.example');
  await page.getByLabel('Password (8 characters or more)').fill('correct horse battery');
}
