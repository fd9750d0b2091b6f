// Issue 18 (Settings → Users and roles, API keys) in Chromium against `policypay serve` (the demo
// agency) with a real SMTP server: an invitation e-mail's link sets a password and the new user
// signs in with their role; a reset link replaces the password; a deactivated user is signed out
// and refused; an API key's secret is shown once and copied, the key works (its last use shows),
// and once revoked the API refuses it.
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../../support/browser.ts';
import { databaseTargets } from '../../support/db.ts';
import { type ReceivedMail, startSmtpServer, type TestSmtpServer, waitFor } from '../../support/mail.ts';
import { type ServeProcess, startServeProcess } from '../serve-process.ts';

const RESULTS = join(import.meta.dirname, '..', '..', '..', 'test-results');
const atPath = (pathname: string) => (url: URL) => url.pathname === pathname;
const WAIT = 30_000;

for (const target of databaseTargets()) {
  describe(`console: users and API keys in Chromium (${target})`, { timeout: 420_000 }, () => {
    let inbox: TestSmtpServer;
    let server: ServeProcess;
    let browser: Browser;
    const contexts: BrowserContext[] = [];

    before(async () => {
      await mkdir(RESULTS, { recursive: true });
      inbox = await startSmtpServer();
      server = await startServeProcess({ target, env: { SMTP_URL: inbox.url } });
      browser = await launchChromium();
    });

    after(async () => {
      for (const context of contexts) await context.close().catch(() => {});
      await browser?.close();
      await server?.close();
      await inbox?.close();
    });

    async function openPage(options: { clipboard?: boolean } = {}) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      if (options.clipboard) {
        await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
      }
      contexts.push(context);
      context.setDefaultTimeout(WAIT);
      const page = await context.newPage();
      const pageErrors: string[] = [];
      page.on('pageerror', (error) => pageErrors.push(error.message));
      return { page, pageErrors };
    }

    async function signIn(page: Page, email: string, password: string) {
      await page.goto(`${server.url}/login`);
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password').fill(password);
      await page.getByRole('button', { name: 'Sign in' }).click();
    }

    async function staffPage(section: string) {
      const opened = await openPage({ clipboard: true });
      await signIn(opened.page, server.staff.email, server.staff.password);
      await opened.page.waitForURL(atPath('/app/customers'));
      // Found through the menus, not by URL.
      await opened.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
      await opened.page.getByRole('navigation', { name: 'Settings' }).getByRole('link', { name: section }).click();
      await opened.page.getByRole('heading', { level: 2, name: section }).waitFor();
      return opened;
    }

    function mailTo(to: string, after: number, subject: RegExp): Promise<ReceivedMail> {
      return waitFor(`an e-mail to ${to} (${subject})`, () =>
        inbox.messages.slice(after).find((mail) => mail.to.includes(to) && subject.test(mail.subject)),
      );
    }

    function setPasswordLink(mail: ReceivedMail): string {
      const match = /https?:\/\/[^\s"<>]+\/set-password\?token=[^\s"<>]+/.exec(mail.decoded);
      assert.ok(match, `no set-password link in:\n${mail.decoded}`);
      assert.equal(new URL(match[0]).origin, server.url);
      return match[0];
    }

    /** Follows an e-mailed link signed out and chooses `password`. */
    async function choosePassword(link: string, heading: RegExp, password: string) {
      const { page, pageErrors } = await openPage();
      await page.goto(link);
      await page.getByRole('heading', { name: heading }).waitFor();
      // Too short first: the server's rule is shown by the field.
      await page.getByLabel('New password').fill('short');
      await page.getByLabel('Confirm password').fill('short');
      await page.getByRole('button', { name: 'Set password' }).click();
      await page.getByText('must be at least 10 characters', { exact: true }).waitFor();
      await page.getByLabel('New password').fill(password);
      await page.getByLabel('Confirm password').fill(password);
      await page.getByRole('button', { name: 'Set password' }).click();
      await page.getByRole('heading', { name: 'Your password is set' }).waitFor();
      // The link is used up.
      await page.goto(link);
      await page.getByRole('heading', { name: 'This link does not work' }).waitFor();
      assert.deepEqual(pageErrors, []);
    }

    const users = (page: Page) => page.getByRole('table', { name: 'Users' });

    test('invite → e-mail → set password → sign in as agent; reset; deactivate → refused', async () => {
      const { page, pageErrors } = await staffPage('Users and roles');
      const email = `nora.${target}@example.com`;
      const form = page.getByRole('form', { name: 'Invite a user' });
      await form.getByLabel('Name').fill('Nora Newhire');
      await form.getByLabel('Email').fill('not an address');
      await form.getByRole('button', { name: 'Send invitation' }).click();
      await form.getByText('must be an e-mail address', { exact: true }).waitFor();

      const before = inbox.messages.length;
      await form.getByLabel('Email').fill(email);
      await form.getByLabel('Role').selectOption('agent');
      await form.getByRole('button', { name: 'Send invitation' }).click();
      await page.getByText(`Invitation sent to ${email}`).waitFor();
      const row = users(page).getByRole('row', { name: /Nora Newhire/ });
      await row.getByText('Invited').waitFor();
      await page.screenshot({ path: join(RESULTS, `people-users-${target}.png`), fullPage: true });

      const invitation = await mailTo(email, before, /invited/);
      await choosePassword(setPasswordLink(invitation), /^Welcome to /, 'nora first password');

      // The new user signs in as an agent: no Settings, and the API says so.
      const nora = await openPage();
      await signIn(nora.page, email, 'nora first password');
      await nora.page.waitForURL(atPath('/app/customers'));
      const me = await nora.page.evaluate(
        async () => (await (await fetch('/api/v1/me')).json()) as { user: { role: string } },
      );
      assert.equal(me.user.role, 'agent');
      assert.equal(
        await nora.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).count(),
        0,
      );

      await page.reload();
      await row.getByText('Active').waitFor();
      assert.doesNotMatch((await row.textContent()) ?? '', /Never/);

      // Reset: a new link; the old password ends when the new one is chosen.
      const beforeReset = inbox.messages.length;
      await row.getByRole('button', { name: 'Reset password for Nora Newhire' }).click();
      await page.getByText(`Password reset link sent to ${email}`).waitFor();
      const reset = await mailTo(email, beforeReset, /reset/);
      await choosePassword(setPasswordLink(reset), /Choose a new password/, 'nora second password');
      const old = await openPage();
      await signIn(old.page, email, 'nora first password');
      await old.page.getByRole('alert').waitFor();
      const again = await openPage();
      await signIn(again.page, email, 'nora second password');
      await again.page.waitForURL(atPath('/app/customers'));

      // Deactivate, confirmed: her session ends and she cannot sign in.
      await row.getByRole('button', { name: 'Deactivate Nora Newhire' }).click();
      const confirm = page.getByRole('alertdialog', { name: 'Deactivate Nora Newhire?' });
      await confirm.getByRole('button', { name: 'Yes, deactivate' }).click();
      await page.getByText('Nora Newhire is deactivated').waitFor();
      await row.getByText('Deactivated').waitFor();
      const status = await again.page.evaluate(async () => (await fetch('/api/v1/me')).status);
      assert.equal(status, 401);
      const refused = await openPage();
      await signIn(refused.page, email, 'nora second password');
      assert.match((await refused.page.getByRole('alert').textContent()) ?? '', /deactivated/);
      assert.equal(new URL(refused.page.url()).pathname, '/login');

      // Staff cannot deactivate themselves: there is no button on their own row.
      const own = users(page).getByRole('row', { name: /\(you\)/ });
      await own.waitFor();
      assert.equal(await own.getByRole('button', { name: /^Deactivate/ }).count(), 0);
      assert.deepEqual(pageErrors, []);
    });

    test('API key: created for a bank, shown once and copied, used (last used shows), revoked → refused', async () => {
      const { page, pageErrors } = await staffPage('API keys');
      const form = page.getByRole('form', { name: 'Create an API key' });
      await form.getByLabel('Name').fill('Lockbox importer');
      await form.getByRole('checkbox', { name: /^OPER / }).check();
      await form.getByRole('button', { name: 'Create key' }).click();
      const shown = page.getByRole('region', { name: 'New API key' });
      await shown.getByText("You won't see it again").waitFor();
      const key = await shown.getByLabel('Your new API key').inputValue();
      assert.match(key, /^pp_live_/);
      await page.screenshot({ path: join(RESULTS, `people-new-key-${target}.png`), fullPage: true });
      await shown.getByRole('button', { name: 'Copy key' }).click();
      await shown.getByText('Copied to the clipboard.').waitFor();
      assert.equal(await page.evaluate(() => navigator.clipboard.readText()), key);
      await shown.getByRole('button', { name: "Done, I've stored it" }).click();
      await shown.waitFor({ state: 'detached' });

      const row = page.getByRole('table', { name: 'API keys' }).getByRole('row', { name: /Lockbox importer/ });
      await row.waitFor();
      assert.match((await row.textContent()) ?? '', /OPER/);
      assert.match((await row.textContent()) ?? '', /Never/);
      assert.match((await row.textContent()) ?? '', new RegExp(key.slice(0, 12)));
      // Never again: not after a reload either.
      await page.reload();
      await row.waitFor();
      assert.equal((await page.content()).includes(key), false);

      const call = () =>
        fetch(`${server.url}/api/v1/customers?limit=1`, { headers: { authorization: `Bearer ${key}` } });
      assert.equal((await call()).status, 200);
      await page.reload();
      await row.waitFor();
      assert.doesNotMatch((await row.textContent()) ?? '', /Never/);

      await row.getByRole('button', { name: 'Revoke Lockbox importer' }).click();
      await page
        .getByRole('alertdialog', { name: 'Revoke Lockbox importer?' })
        .getByRole('button', { name: 'Yes, revoke the key' })
        .click();
      await page.getByText('is revoked: the API refuses it').waitFor();
      await row.getByText(/^Revoked/).waitFor();
      assert.equal((await call()).status, 401);
      assert.deepEqual(pageErrors, []);
    });
  });
}
