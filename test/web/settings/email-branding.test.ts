// The console's E-mail and Portal branding settings in Chromium, each shown TAKING EFFECT: a test
// e-mail goes through the outbox to a real SMTP server; the display name and colour appear in the
// client portal's header and in the e-mail a client is sent. Bad input (an address, the colour
// "red", an http logo) shows the field's error from the server's problem+json. Another agency
// keeps its own. Banks, plans and payment rules: settings-console.test.ts.
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../../support/browser.ts';
import { databaseTargets } from '../../support/db.ts';
import { createTestAgency, type TestAgency } from '../../support/fixtures.ts';
import { type ApiClient, apiClient } from '../../support/http.ts';
import { waitFor } from '../../support/mail.ts';
import { type PortalWorld, portalSessionFor, startPortalWorld } from '../../support/portal.ts';

const RESULTS = join(import.meta.dirname, '..', '..', '..', 'test-results');
const atPath = (pathname: string) => (url: URL) => url.pathname === pathname;

for (const target of databaseTargets()) {
  describe(`e-mail and branding settings in Chromium (${target})`, { timeout: 300_000 }, () => {
    let world: PortalWorld;
    let browser: Browser;
    let other: TestAgency;
    let otherApi: ApiClient;
    const contexts: BrowserContext[] = [];

    before(async () => {
      await mkdir(RESULTS, { recursive: true });
      world = await startPortalWorld(target, { web: true });
      browser = await launchChromium();
      other = await createTestAgency(world.database.db, 'Other Agency');
      otherApi = apiClient(world.url, other.apiKey);
    });
    after(async () => {
      for (const context of contexts) await context.close().catch(() => {});
      await browser?.close();
      await world?.close();
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

    /** Staff signed in to the console, on the settings section `label`. */
    async function openSection(label: string): Promise<{ page: Page; pageErrors: string[] }> {
      const { page, pageErrors } = await openPage();
      await page.goto(`${world.url}/login`);
      await page.getByLabel('Email').fill(world.agency.staff.email);
      await page.getByLabel('Password').fill(world.agency.staff.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(atPath('/app/customers'));
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
      await page.getByRole('navigation', { name: 'Settings' }).getByRole('link', { name: label }).click();
      await page.getByRole('heading', { level: 2, name: label }).waitFor();
      return { page, pageErrors };
    }

    const shot = (page: Page, name: string) =>
      page.screenshot({ path: join(RESULTS, `${target}-settings-${name}.png`), fullPage: true });

    test('e-mail: a bad address names the field; the test e-mail goes through the outbox to the SMTP server; the backup address is saved', async () => {
      const { page, pageErrors } = await openSection('E-mail');
      const form = page.getByRole('form', { name: 'Send a test e-mail' });
      assert.equal(await form.getByLabel('Send to').inputValue(), world.agency.staff.email);
      await form.getByLabel('Send to').fill('not-an-address');
      await form.getByRole('button', { name: 'Send a test e-mail' }).click();
      await form.getByText('must be an e-mail address', { exact: true }).waitFor();
      assert.equal(await form.getByLabel('Send to').getAttribute('aria-invalid'), 'true');

      const to = `office.${target}@harbor.example`;
      await form.getByLabel('Send to').fill(to);
      await form.getByRole('button', { name: 'Send a test e-mail' }).click();
      await form.getByText(`Sent to ${to}. Check that inbox.`).waitFor({ timeout: 60_000 });
      const arrived = world.smtp.messages.filter((m) => m.to.includes(to));
      assert.equal(arrived.length, 1);
      assert.match(arrived[0]!.decoded, /Test e-mail from Harbor <Insurance> & Co/);
      await shot(page, 'email');

      const backup = page.getByRole('form', { name: 'Backup address' });
      await backup.getByLabel('Backup email address').fill('backup-two@harbor.example');
      await backup.getByRole('button', { name: 'Save backup address' }).click();
      await backup.getByText('Backup address saved.').waitFor();
      assert.equal((await world.api.get('/api/v1/settings/payments')).body.backupEmail, 'backup-two@harbor.example');
      assert.equal((await otherApi.get('/api/v1/settings/payments')).body.backupEmail, null);
      // Another agency's outbox shows none of it.
      assert.deepEqual((await otherApi.get('/api/v1/emails')).body.data, []);
      assert.deepEqual(pageErrors, []);
    });

    test('branding: "red" and an http logo name their fields; the saved name and colour show in the portal and in an e-mail', async () => {
      const { page, pageErrors } = await openSection('Portal branding');
      const form = page.getByRole('form', { name: 'Portal branding' });
      await form.getByLabel('Display name').fill('Harbor Family Insurance');
      await form.getByLabel('Primary colour').fill('red');
      await form.getByLabel('Logo address').fill('http://harbor.example/logo.png');
      await form.getByRole('button', { name: 'Save branding' }).click();
      await page.getByRole('alert').getByText('Not saved: 2 fields need a change (see below).').waitFor();
      await form.getByText('must be a hex colour such as #1f6feb', { exact: true }).waitFor();
      await form.getByText('must be an https:// address', { exact: true }).waitFor();
      assert.equal(await form.getByLabel('Primary colour').getAttribute('aria-invalid'), 'true');
      // Nothing was written.
      assert.equal((await world.api.get('/api/v1/settings/branding')).body.displayName, null);

      await form.getByLabel('Primary colour').fill('#1F7A3A');
      await form.getByLabel('Logo address').fill('');
      await form.getByRole('button', { name: 'Save branding' }).click();
      await page.getByText('Branding saved.').waitFor();
      assert.equal(await form.getByLabel('Primary colour').inputValue(), '#1f7a3a');
      await shot(page, 'branding');

      // The client portal's header: the display name, and the colour on the brand mark.
      const customer = await world.addCustomer('Branded Client');
      const client = await portalSessionFor(world.database, world.agency, world.url, customer);
      const portal = await openPage();
      const [name, value] = client.cookie.split('=') as [string, string];
      await portal.page.context().addCookies([{ name, value, url: world.url }]);
      await portal.page.goto(`${world.url}/portal`);
      const header = portal.page.getByRole('banner');
      await header.getByText('Harbor Family Insurance', { exact: true }).waitFor();
      const color = await portal.page
        .getByTestId('brand-mark')
        .evaluate((element) => getComputedStyle(element).backgroundColor);
      assert.equal(color, 'rgb(31, 122, 58)');
      await shot(portal.page, 'branding-portal');

      // Before signing in: the sign-in page of a link naming the agency shows its name and colour.
      const signedOut = await openPage();
      await signedOut.page.goto(`${world.url}/portal/sign-in?agency=${world.agency.slug}`);
      const brand = signedOut.page.getByTestId('auth-brand');
      await brand.getByText('Harbor Family Insurance', { exact: true }).waitFor();
      assert.equal(
        await brand.getByTestId('brand-mark').evaluate((element) => getComputedStyle(element).backgroundColor),
        'rgb(31, 122, 58)',
      );
      await shot(signedOut.page, 'branding-portal-sign-in');
      const unknown = await world.api.get('/api/v1/portal/agencies/no-such-agency');
      assert.equal(unknown.status, 404);
      assert.equal(unknown.body.title !== undefined, true, JSON.stringify(unknown.body));
      assert.deepEqual(signedOut.pageErrors, []);

      // The e-mail the client is sent for a payment request: from the display name, in the colour.
      const requested = await world.api.post(
        '/api/v1/payment-requests',
        { customerNumber: customer.customerNumber, contactId: customer.contactId, amount: 25, dueDate: '2099-11-01' },
        { 'idempotency-key': `branding-${target}` },
      );
      assert.equal(requested.status, 201, JSON.stringify(requested.body));
      const mail = await waitFor(`the request e-mail to ${customer.email}`, () =>
        world.smtp.messages.find((m) => m.to.includes(customer.email)),
      );
      assert.match(mail.decoded, /Harbor Family Insurance: payment of \$25\.00 requested/);
      assert.match(mail.decoded, /#1f7a3a/);

      // Another agency keeps its own.
      const theirs = (await otherApi.get('/api/v1/settings/branding')).body;
      assert.deepEqual(theirs, { agencyName: 'Other Agency', displayName: null, logoUrl: null, primaryColor: null });
      assert.deepEqual(pageErrors, []);
      assert.deepEqual(portal.pageErrors, []);
    });
  });
}
