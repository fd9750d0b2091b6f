// End-to-end test of the staff console in a real headless Chromium against the real server.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../support/browser.ts';
import { startTestServer } from '../support/server.ts';

type TestServer = Awaited<ReturnType<typeof startTestServer>>;

const SCREENSHOT_PATH = '/tmp/policypay-console.png';

const usd = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });
const formatMoney = (amount: number) => usd.format(amount === 0 ? 0 : amount);

type AccountBody = {
  arBalance: number;
  onAccount: number;
  invoices: { invoiceNumber: number; amount: number; balance: number; status: string }[];
};

describe('staff console in Chromium', { timeout: 120_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  before(async () => {
    server = await startTestServer();
    browser = await launchChromium();
  });

  after(async () => {
    for (const context of contexts) await context.close().catch(() => {});
    await browser?.close();
    await server?.close();
  });

  /** A fresh, cookie-less browser tab that records uncaught page errors. */
  async function openPage(viewport = { width: 1280, height: 800 }): Promise<{ page: Page; pageErrors: string[] }> {
    const context = await browser.newContext({ viewport });
    contexts.push(context);
    context.setDefaultTimeout(10_000);
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    return { page, pageErrors };
  }

  const atPath = (pathname: string) => (url: URL) => url.pathname === pathname;

  async function signIn(page: Page, email: string, password: string): Promise<void> {
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  test('a wrong password shows the problem detail in an alert', async () => {
    const { page, pageErrors } = await openPage();
    await page.goto(`${server.url}/`);
    await page.waitForURL(atPath('/login'));

    await signIn(page, server.staff.email, `${server.staff.password}-wrong`);
    const alert = page.getByRole('alert');
    await alert.waitFor();
    const message = (await alert.textContent())?.trim() ?? '';
    assert.ok(message.length > 0, 'alert should explain the problem');
    assert.equal(new URL(page.url()).pathname, '/login');
    assert.equal(await page.getByLabel('Password').inputValue(), `${server.staff.password}-wrong`);
    assert.deepEqual(pageErrors, []);
  });

  test('sign in, find the customer, open the account, sign out', async () => {
    const { page, pageErrors } = await openPage();
    const { customerNumber, customerName, invoiceNumber } = server.seeded;

    // Signed-out visitors are sent to the login form.
    await page.goto(`${server.url}/app/customers`);
    await page.waitForURL(atPath('/login'));
    assert.equal(await page.title(), 'Sign in · policypay');

    await signIn(page, server.staff.email, server.staff.password);
    await page.waitForURL(atPath('/app/customers'));

    // Header: agency name and a sign-out button.
    const banner = page.getByRole('banner');
    await banner.getByText(server.agencyName, { exact: true }).waitFor();
    await banner.getByRole('button', { name: 'Sign out' }).waitFor();

    // The customers table lists the seeded customer.
    const row = page.locator('tbody tr', { hasText: customerName });
    await row.waitFor();
    assert.match((await row.locator('td').first().textContent()) ?? '', new RegExp(`^${customerNumber}$`));

    // Searching narrows the list; a search with no match shows the empty state.
    const search = page.getByLabel('Search customers');
    await search.fill('zz-no-such-customer-zz');
    await page.getByText('No customers match').waitFor();
    await search.fill(customerName);
    await row.waitFor();
    await page.waitForURL((url) => url.searchParams.get('search') === customerName);
    // Export CSV downloads what the search matches, from the export endpoint, with the session cookie.
    const exportLink = page.getByRole('link', { name: 'Export CSV' });
    assert.equal(
      await exportLink.getAttribute('href'),
      `/api/v1/customers/export.csv?search=${encodeURIComponent(customerName)}`,
    );
    const exported = await page.evaluate(
      async (href) => {
        const response = await fetch(href);
        return { status: response.status, type: response.headers.get('content-type'), text: await response.text() };
      },
      (await exportLink.getAttribute('href'))!,
    );
    assert.equal(exported.status, 200);
    assert.equal(exported.type, 'text/csv; charset=utf-8');
    assert.ok(exported.text.includes(customerName), exported.text);

    // Clicking anywhere on the row (here: the number cell) opens the account page.
    await row.locator('td').first().click();
    await page.waitForURL(atPath(`/app/customers/${customerNumber}`));
    await page.getByRole('heading', { level: 1, name: customerName }).waitFor();

    const account = (await page.evaluate(async (n) => {
      const response = await fetch(`/api/v1/customers/${n}/account`, {
        headers: { accept: 'application/json' },
      });
      return response.json();
    }, customerNumber)) as AccountBody;

    const arBalance = page.getByTestId('ar-balance');
    await arBalance.waitFor();
    assert.equal((await arBalance.textContent())?.trim(), formatMoney(account.arBalance));
    assert.equal((await page.getByTestId('on-account').textContent())?.trim(), formatMoney(account.onAccount));

    const invoice = account.invoices.find((item) => item.invoiceNumber === invoiceNumber);
    assert.ok(invoice, `account API should list invoice ${invoiceNumber}`);
    const invoiceRow = page.locator('tbody tr', { hasText: String(invoiceNumber) });
    await invoiceRow.waitFor();
    const cells = (await invoiceRow.locator('td').allTextContents()).map((text) => text.trim());
    assert.equal(cells[0], String(invoiceNumber));
    assert.equal(cells[2], formatMoney(invoice.amount));
    assert.equal(cells[3], formatMoney(invoice.balance));
    assert.match(cells[4] ?? '', /^(Open|Partially paid|Paid)$/);

    // Money columns are right-aligned.
    const align = await invoiceRow
      .locator('td')
      .nth(2)
      .evaluate((cell) => getComputedStyle(cell).textAlign);
    assert.equal(align, 'right');

    await page.screenshot({ path: SCREENSHOT_PATH, fullPage: true });

    // The breadcrumb goes back to the list; then sign out.
    await page.getByRole('navigation', { name: 'Breadcrumb' }).getByRole('link', { name: 'Customers' }).click();
    await page.waitForURL(atPath('/app/customers'));
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(atPath('/login'));
    await page.getByRole('button', { name: 'Sign in' }).waitFor();

    // The session is really gone: the API refuses and the app bounces back to the login form.
    const meStatus = await page.evaluate(async () => (await fetch('/api/v1/me')).status);
    assert.equal(meStatus, 401);
    await page.goto(`${server.url}/app/customers`);
    await page.waitForURL(atPath('/login'));

    assert.deepEqual(pageErrors, []);
  });

  test('a deep link survives the detour through the login form', async () => {
    const { page, pageErrors } = await openPage();
    const { customerNumber, customerName } = server.seeded;

    await page.goto(`${server.url}/app/customers/${customerNumber}`);
    await page.waitForURL(atPath('/login'));
    assert.equal(new URL(page.url()).searchParams.get('next'), `/app/customers/${customerNumber}`);

    await signIn(page, server.staff.email, server.staff.password);
    await page.waitForURL(atPath(`/app/customers/${customerNumber}`));
    await page.getByRole('heading', { level: 1, name: customerName }).waitFor();

    // Signed-in users visiting / or /login go straight to the console.
    await page.goto(`${server.url}/`);
    await page.waitForURL(atPath('/app/customers'));
    await page.goto(`${server.url}/login`);
    await page.waitForURL(atPath('/app/customers'));

    // An unknown customer shows a friendly not-found state.
    await page.goto(`${server.url}/app/customers/987654321`);
    await page.getByRole('heading', { level: 1, name: 'Customer not found' }).waitFor();

    assert.deepEqual(pageErrors, []);
  });

  test('keyboard only: sign in, skip link, open and close the request form, with a visible focus ring', async () => {
    const { page, pageErrors } = await openPage();
    const { customerNumber } = server.seeded;
    const active = () =>
      page.evaluate(() => {
        const element = document.activeElement as HTMLElement | null;
        return {
          tag: element?.tagName.toLowerCase() ?? '',
          id: element?.id ?? '',
          text: element?.textContent?.trim() ?? '',
          outline: element ? getComputedStyle(element).outlineStyle : 'none',
        };
      });

    // The email field has focus on arrival; Tab, typing and Enter are enough to sign in.
    await page.goto(`${server.url}/login?next=${encodeURIComponent(`/app/customers/${customerNumber}`)}`);
    await page.getByLabel('Email').waitFor();
    assert.equal((await active()).id, 'login-email');
    await page.keyboard.type(server.staff.email);
    await page.keyboard.press('Tab');
    await page.keyboard.type(server.staff.password);
    await page.keyboard.press('Enter');
    await page.waitForURL(atPath(`/app/customers/${customerNumber}`));
    await page.getByTestId('ar-balance').waitFor();

    // The first Tab reaches the skip link, which jumps to the content.
    await page.keyboard.press('Tab');
    assert.equal((await active()).text, 'Skip to content');
    await page.keyboard.press('Enter');
    assert.equal((await active()).id, 'main');

    // Tab to "Request online payment": the focused button shows a focus ring; Enter opens the form
    // and moves focus to its heading.
    let focused = await active();
    for (let i = 0; i < 40 && focused.text !== 'Request online payment'; i++) {
      await page.keyboard.press('Tab');
      focused = await active();
    }
    assert.equal(focused.text, 'Request online payment');
    assert.notEqual(focused.outline, 'none', 'keyboard focus is visible');
    await page.keyboard.press('Enter');
    const form = page.getByRole('region', { name: 'Request online payment' });
    await form.waitFor();
    assert.deepEqual([(await active()).tag, (await active()).text], ['h2', 'Request online payment']);
    await page.keyboard.press('Tab');
    assert.equal((await active()).id, 'request-amount');
    for (let i = 0; i < 20 && (await active()).text !== 'Cancel'; i++) await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await form.waitFor({ state: 'detached' });
    assert.deepEqual(pageErrors, []);
  });

  test('on a 390px phone screen the customer page fits and the navigation stays reachable', async () => {
    const { page, pageErrors } = await openPage({ width: 390, height: 844 });
    await page.goto(`${server.url}/login?next=${encodeURIComponent(`/app/customers/${server.seeded.customerNumber}`)}`);
    await signIn(page, server.staff.email, server.staff.password);
    await page.getByTestId('ar-balance').waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    const wide = await page.evaluate(() =>
      [...document.querySelectorAll('body *')]
        .filter((element) => {
          if (element.getBoundingClientRect().right <= window.innerWidth + 1) return false;
          // Only the outermost overflowing element says where the problem is.
          const parent = element.parentElement;
          return !parent || parent.getBoundingClientRect().right <= window.innerWidth + 1;
        })
        .slice(0, 5)
        .map((element) => `${element.tagName.toLowerCase()}.${element.className}`),
    );
    assert.ok(overflow <= 0, `the page is ${overflow}px wider than the screen: ${wide.join(', ')}`);
    const nav = page.getByRole('navigation', { name: 'Main' });
    assert.ok(await nav.getByRole('link', { name: 'Email' }).isVisible(), 'navigation is visible on a phone');
    await page.getByRole('button', { name: 'Request online payment' }).click();
    const amount = page.getByLabel('Amount', { exact: true });
    const box = await amount.boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= 390, 'form fields fit the screen');
    await page.screenshot({ path: '/tmp/policypay-console-phone.png', fullPage: true });
    assert.deepEqual(pageErrors, []);
  });
});
