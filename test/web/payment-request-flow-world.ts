// The world of the payment request flow in Chromium (payment-request-flow*.test.ts beside it): an SMTP
// server, `policypay serve` on the demo agency, Chromium, and the steps the tests take in it.
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../support/browser.ts';
import type { Target } from '../support/db.ts';
import { type ReceivedMail, startSmtpServer, type TestSmtpServer, waitFor } from '../support/mail.ts';
import { type ServeProcess, startServeProcess } from './serve-process.ts';

const RESULTS = join(import.meta.dirname, '..', '..', 'test-results');
export const TEST_CARD = '4242 4242 4242 4242';
/** Demo customers: 1001 has an active policy; 1010's only policy was canceled ten days ago. */
export const ACTIVE_CUSTOMER = 1001;
export const CANCELED_CUSTOMER = 1010;
/** A demo customer with an active quarterly policy, paid by bank account in one test. */
export const ACH_CUSTOMER = 1002;

export const usd = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });
export const parseMoney = (text: string | null) => Number((text ?? '').replace(/[^0-9.-]/g, ''));
export const atPath = (pathname: string) => (url: URL) => url.pathname === pathname;

/**
 * Opens the world for `target`; screenshots go to test-results/ as `<target>-<label>-<n>-<name>.png`.
 * `start` assigns the world's parts one by one, so `close` closes whatever a failed start opened.
 */
export function paymentRequestFlow(target: Target, label: string) {
  let inbox: TestSmtpServer;
  let server: ServeProcess;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  let shot = 0;

  async function start(): Promise<{ inbox: TestSmtpServer; server: ServeProcess }> {
    await mkdir(RESULTS, { recursive: true });
    inbox = await startSmtpServer();
    server = await startServeProcess({ target, env: { SMTP_URL: inbox.url } });
    browser = await launchChromium();
    return { inbox, server };
  }

  async function close(): Promise<void> {
    for (const context of contexts) await context.close().catch(() => {});
    await browser?.close();
    await server?.close();
    await inbox?.close();
  }

  async function openPage(viewport = { width: 1280, height: 900 }) {
    const context = await browser.newContext({ viewport });
    contexts.push(context);
    context.setDefaultTimeout(15_000);
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    return { page, pageErrors };
  }

  async function screenshot(page: Page, name: string) {
    shot++;
    await page.screenshot({
      path: join(RESULTS, `${target}-${label}-${String(shot).padStart(2, '0')}-${name}.png`),
      fullPage: true,
    });
  }

  async function staffSignIn(page: Page) {
    await page.goto(`${server.url}/login`);
    await page.getByLabel('Email').fill(server.staff.email);
    await page.getByLabel('Password').fill(server.staff.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(atPath('/app/customers'));
    // `serve` runs the sandbox here: every console page says so.
    await page.getByRole('status').filter({ hasText: 'Test mode' }).waitFor();
  }

  /** Staff: "Request online payment" for the customer's first open invoice; returns the amount. */
  async function requestPayment(page: Page, customerNumber: number, note: string): Promise<number> {
    await page.goto(`${server.url}/app/customers/${customerNumber}`);
    await page.getByRole('button', { name: 'Request online payment' }).click();
    const form = page.getByRole('region', { name: 'Request online payment' });
    await form.getByRole('checkbox').first().check();
    const amount = Number(await form.getByLabel('Amount', { exact: true }).inputValue());
    assert.ok(amount > 0, 'picking an invoice fills the amount');
    await form.getByLabel('Note').fill(note);
    await screenshot(page, `staff-request-form-${customerNumber}`);
    await form.getByRole('button', { name: 'Send request' }).click();
    const sent = page.getByText(/^Payment request for .* sent to /);
    await sent.or(form.getByRole('alert')).waitFor();
    if (!(await sent.isVisible())) assert.fail(`request refused: ${await form.getByRole('alert').textContent()}`);
    return amount;
  }

  /** The first message to `to` received after the first `after` messages (and matching `body`). */
  function mailTo(to: string, after: number, body?: RegExp): Promise<ReceivedMail> {
    return waitFor(`an email to ${to}`, () =>
      inbox.messages
        .slice(after)
        .find(
          (mail) =>
            mail.to.some((address) => address.toLowerCase() === to.toLowerCase()) && (!body || body.test(mail.decoded)),
        ),
    );
  }

  async function enroll(page: Page, link: string, password: string) {
    await page.goto(link);
    await page.getByRole('heading', { name: 'Set up your account' }).waitFor();
    // The single-use token leaves the address bar once redeemed.
    assert.equal(new URL(page.url()).searchParams.get('token'), null);
    await screenshot(page, 'portal-enroll');
    await page.getByLabel('New password').fill(password);
    await page.getByLabel('Confirm password').fill(password);
    await page.getByRole('button', { name: 'Set password' }).click();
    await page.waitForURL(atPath('/portal'));
  }

  async function addTestCardAndPay(page: Page, amount: number) {
    await page.getByLabel('Name on card').fill('Jane Client');
    await page.getByLabel('Card number').fill(TEST_CARD);
    await page.getByLabel('Expiry (MM/YY)').fill('12/30');
    await page.getByLabel('Security code').fill('123');
    await page.getByRole('button', { name: 'Save payment method' }).click();
    await page.getByRole('radio', { name: /Visa ending 4242/ }).waitFor();
    assert.ok(await page.getByRole('radio', { name: /Visa ending 4242/ }).isChecked());
    await page.getByRole('button', { name: `Pay ${usd.format(amount)}` }).click();
  }
  return { start, close, openPage, screenshot, staffSignIn, requestPayment, mailTo, enroll, addTestCardAndPay };
}
