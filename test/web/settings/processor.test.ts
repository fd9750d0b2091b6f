// Issue 20 (console): Settings › Processor in Chromium against `policypay serve` (the demo agency,
// whose process default is the sandbox): a bad secret key is refused naming the field, Stripe keys
// are saved and shown by their last 4 only, and the "Test mode" badge and banner follow the key.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../../support/browser.ts';
import { databaseTargets } from '../../support/db.ts';
import { type ServeProcess, startServeProcess } from '../serve-process.ts';

const LIVE_KEY = 'sk_live_51BrowserLiveSecretKeyLIVE';
const TEST_KEY = 'sk_test_51BrowserTestSecretKeyTEST';
const WEBHOOK = 'whsec_browserSigningSecretWHK1';
const atPath = (pathname: string) => (url: URL) => url.pathname === pathname;

for (const target of databaseTargets()) {
  describe(`console: Settings › Processor (${target})`, { timeout: 420_000 }, () => {
    let server: ServeProcess;
    let browser: Browser;

    before(async () => {
      server = await startServeProcess({ target });
      browser = await launchChromium();
    });
    after(async () => {
      await browser?.close();
      await server?.close();
    });

    async function staffPage(): Promise<{ page: Page; pageErrors: string[] }> {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      context.setDefaultTimeout(30_000);
      const page = await context.newPage();
      const pageErrors: string[] = [];
      page.on('pageerror', (error) => pageErrors.push(error.message));
      await page.goto(`${server.url}/login`);
      await page.getByLabel('Email').fill(server.staff.email);
      await page.getByLabel('Password').fill(server.staff.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(atPath('/app/customers'));
      return { page, pageErrors };
    }

    test('saves Stripe keys, shows only their last 4, and the Test mode badge follows the key', async () => {
      const { page, pageErrors } = await staffPage();
      await page.goto(`${server.url}/app/settings/processor`);
      const section = page.getByRole('heading', { name: /^Processor/ });
      await section.waitFor();
      // The demo runs the sandbox: test mode, in the section and in the banner on every page.
      await section.getByText('Test mode').waitFor();
      await page.getByRole('status').filter({ hasText: 'Test mode' }).waitFor();

      await page.getByLabel('Stripe (the agency’s own account)').check();
      const secret = page.getByLabel('Secret key');
      await secret.fill('pk_test_notASecretKey1234');
      await page.getByRole('button', { name: 'Save processor' }).click();
      await page.getByRole('alert').waitFor();
      assert.equal(await secret.getAttribute('aria-invalid'), 'true', 'the server names the secret key');
      assert.match((await page.locator('#processor-secret-key-error').textContent()) ?? '', /sk_test_ or sk_live_/);

      await secret.fill(LIVE_KEY);
      await page.getByLabel('Webhook signing secret').fill(WEBHOOK);
      await page.getByRole('button', { name: 'Save processor' }).click();
      await page.getByText('Processor saved.').waitFor();
      // A live key: no badge of test mode, and the banner goes.
      await section.getByText('Live').waitFor();
      await page.getByRole('status').filter({ hasText: 'Test mode' }).waitFor({ state: 'detached' });
      assert.equal(await secret.inputValue(), '', 'a saved secret is never put back in the form');
      assert.equal(await secret.getAttribute('placeholder'), '•••• LIVE');
      assert.match((await page.locator('#processor-webhook-secret-hint').textContent()) ?? '', /ends in WHK1/);

      // What the server answers holds no secret.
      const stored = await page.evaluate(async () => (await fetch('/api/v1/settings/processor')).text());
      assert.ok(!stored.includes(LIVE_KEY) && !stored.includes(WEBHOOK), stored);

      // A test key, the webhook secret left empty (kept): test mode again, badge and banner.
      await secret.fill(TEST_KEY);
      await page.getByRole('button', { name: 'Save processor' }).click();
      await section.getByText('Test mode').waitFor();
      await page.getByRole('status').filter({ hasText: 'Test mode' }).waitFor();
      await page.reload();
      await page.getByLabel('Stripe (the agency’s own account)').waitFor();
      assert.equal(await page.getByLabel('Stripe (the agency’s own account)').isChecked(), true);
      assert.equal(await page.getByLabel('Secret key').getAttribute('placeholder'), '•••• TEST');
      assert.match((await page.locator('#processor-webhook-secret-hint').textContent()) ?? '', /ends in WHK1/);
      await section.getByText('Test mode').waitFor();

      // Back to the live key. Signed out, the server's sandbox is test mode (the sign-in page says so);
      // once signed in the banner answers for the agency, whose live key is not.
      await page.getByLabel('Secret key').fill(LIVE_KEY);
      await page.getByRole('button', { name: 'Save processor' }).click();
      await page.getByText('Processor saved.').waitFor();
      const fresh = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      fresh.setDefaultTimeout(30_000);
      const other = await fresh.newPage();
      await other.goto(`${server.url}/login`);
      await other.getByRole('status').filter({ hasText: 'Test mode' }).waitFor();
      await other.getByLabel('Email').fill(server.staff.email);
      await other.getByLabel('Password').fill(server.staff.password);
      await other.getByRole('button', { name: 'Sign in' }).click();
      await other.waitForURL(atPath('/app/customers'));
      await other.getByRole('status').filter({ hasText: 'Test mode' }).waitFor({ state: 'detached' });
      await fresh.close();
      assert.deepEqual(pageErrors, []);
    });
  });
}
