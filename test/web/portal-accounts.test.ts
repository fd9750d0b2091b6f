// Issue 16 in Chromium against `policypay serve` (the demo agency): a person who is a contact of
// two customers enrolls once, pays a request of each, switches accounts, and sees only their own
// customers; My Payments speaks plainly (a declined card reads "Declined"); on a 375 px phone
// every portal table scrolls inside its card and its Pay action stays in view and clickable.
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../support/browser.ts';
import { databaseTargets } from '../support/db.ts';
import { portalLink, type ReceivedMail, startSmtpServer, type TestSmtpServer, waitFor } from '../support/mail.ts';
import { type ServeProcess, startServeProcess } from './serve-process.ts';

const RESULTS = join(import.meta.dirname, '..', '..', 'test-results');
/** The demo's Jane Smith is a contact of two customers with the same address. */
const PERSON = 'jane.smith@example.com';
const PHONE = { width: 375, height: 740 };
const usd = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });
const atPath = (pathname: string) => (url: URL) => url.pathname === pathname;

type Contact = { id: string; email: string | null; customerNumber: number };

for (const target of databaseTargets()) {
  describe(`one person, several accounts, in Chromium (${target})`, { timeout: 420_000 }, () => {
    let inbox: TestSmtpServer;
    let server: ServeProcess;
    let browser: Browser;
    let staff: Page;
    const contexts: BrowserContext[] = [];
    /** Jane's customers (personal first), with her contact on each. */
    let accounts: Contact[] = [];
    let shot = 0;

    before(async () => {
      await mkdir(RESULTS, { recursive: true });
      inbox = await startSmtpServer();
      server = await startServeProcess({ target, env: { SMTP_URL: inbox.url } });
      browser = await launchChromium();
      staff = await openPage({ width: 1280, height: 900 });
      await staff.goto(`${server.url}/login`);
      await staff.getByLabel('Email').fill(server.staff.email);
      await staff.getByLabel('Password').fill(server.staff.password);
      await staff.getByRole('button', { name: 'Sign in' }).click();
      await staff.waitForURL(atPath('/app/customers'));
      // Every demo customer's contacts: the person's address is on two of them.
      accounts = await staff.evaluate(async (email) => {
        const found: { id: string; email: string | null; customerNumber: number }[] = [];
        const customers = (await (await fetch('/api/v1/customers?limit=100')).json()) as {
          data: { customerNumber: number }[];
        };
        for (const customer of customers.data) {
          const contacts = (await (await fetch(`/api/v1/customers/${customer.customerNumber}/contacts`)).json()) as {
            data: Contact[];
          };
          found.push(...contacts.data.filter((c) => c.email?.toLowerCase() === email));
        }
        return found;
      }, PERSON);
    });

    after(async () => {
      for (const context of contexts) await context.close().catch(() => {});
      await browser?.close();
      await server?.close();
      await inbox?.close();
    });

    async function openPage(viewport: { width: number; height: number }) {
      const context = await browser.newContext({ viewport });
      contexts.push(context);
      context.setDefaultTimeout(15_000);
      const page = await context.newPage();
      page.on('pageerror', (error) => assert.fail(`page error: ${error.message}`));
      return page;
    }

    async function screenshot(page: Page, name: string) {
      shot++;
      await page.screenshot({
        path: join(RESULTS, `${target}-accounts-${String(shot).padStart(2, '0')}-${name}.png`),
        fullPage: true,
      });
    }

    /** Staff request a payment from the person on one customer; returns its id and e-mail. */
    async function requestPayment(account: Contact, amount: number): Promise<{ id: string; mail: ReceivedMail }> {
      const before = inbox.messages.length;
      const id = await staff.evaluate(
        async ({ customerNumber, contactId, amount }) => {
          const response = await fetch('/api/v1/payment-requests', {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ customerNumber, contactId, amount, dueDate: '2099-11-01' }),
          });
          const body = (await response.json()) as { id: string };
          if (response.status !== 201) throw new Error(JSON.stringify(body));
          return body.id;
        },
        { customerNumber: account.customerNumber, contactId: account.id, amount },
      );
      const mail = await waitFor(`the e-mail of request ${id}`, () =>
        inbox.messages.slice(before).find((m) => m.decoded.includes(`request=${id}`)),
      );
      return { id, mail };
    }

    async function addCardAndPay(page: Page, card: string, amount: number) {
      await page.getByLabel('Name on card').fill('Jane Smith');
      await page.getByLabel('Card number').fill(card);
      await page.getByLabel('Expiry (MM/YY)').fill('12/30');
      await page.getByLabel('Security code').fill('123');
      await page.getByRole('button', { name: 'Save payment method' }).click();
      await page.getByRole('radio', { name: new RegExp(`ending ${card.slice(-4)}`) }).waitFor();
      await page.getByRole('button', { name: `Pay ${usd.format(amount)}` }).click();
    }

    async function switchTo(page: Page, account: Contact) {
      await page.getByLabel('Account', { exact: true }).selectOption(String(account.customerNumber));
      await page.waitForURL(atPath('/portal'));
      await page.getByRole('heading', { name: /^Welcome, / }).waitFor();
      assert.equal(await page.getByLabel('Account', { exact: true }).inputValue(), String(account.customerNumber));
    }

    async function myPaymentsRows(page: Page): Promise<string[]> {
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'My Payments' }).click();
      const table = page.getByTestId('payment-activity');
      await table.waitFor();
      return table.locator('tbody tr').allTextContents();
    }

    test('enrolls once, pays a request of each account, switches, and sees only their own customers', async () => {
      assert.equal(accounts.length, 2, `the demo has ${PERSON} on two customers: ${JSON.stringify(accounts)}`);
      const [personal, business] = accounts as [Contact, Contact];
      const page = await openPage(PHONE);

      const first = await requestPayment(personal, 41.5);
      assert.match(first.mail.decoded, /not enrolled in our client portal yet/);
      await page.goto(portalLink(first.mail).toString());
      await page.getByRole('heading', { name: 'Set up your account' }).waitFor();
      await page.getByLabel('New password').fill('one login two accounts');
      await page.getByLabel('Confirm password').fill('one login two accounts');
      await page.getByRole('button', { name: 'Set password' }).click();
      await page.waitForURL(atPath('/portal'));
      // The switcher offers exactly the person's two customers, nobody else's.
      const options = await page.getByLabel('Account', { exact: true }).locator('option').allTextContents();
      assert.deepEqual(
        options.map((o) => /#(\d+)\)$/.exec(o)?.[1]),
        [String(personal.customerNumber), String(business.customerNumber)],
      );
      await screenshot(page, 'switcher-personal');
      await page
        .getByRole('region', { name: `Payment requested: ${usd.format(41.5)}` })
        .getByRole('link', { name: /^Pay / })
        .click();
      await addCardAndPay(page, '4242 4242 4242 4242', 41.5);
      await page.getByTestId('payment-confirmation').waitFor();

      // The second account's request: the e-mail says sign in, and its link opens that request.
      const second = await requestPayment(business, 63.25);
      assert.doesNotMatch(second.mail.decoded, /not enrolled/);
      assert.match(second.mail.decoded, /Sign in to your client portal to pay it/);
      await page.goto(portalLink(second.mail).toString());
      await page.waitForURL(atPath(`/portal/pay/${second.id}`));
      await page.getByRole('heading', { name: 'Pay your payment request' }).waitFor();
      assert.equal(await page.getByLabel('Account', { exact: true }).inputValue(), String(business.customerNumber));
      // The personal account's card is not offered here.
      assert.equal(await page.getByRole('radio', { name: /ending 4242/ }).count(), 0);
      await addCardAndPay(page, '5555 5555 5555 4444', 63.25);
      await page.getByTestId('payment-confirmation').waitFor();
      await screenshot(page, 'business-paid');

      // Each account's My Payments shows only its own payment.
      let rows = await myPaymentsRows(page);
      assert.ok(
        rows.some((r) => r.includes(usd.format(63.25)) && r.includes('Paid')),
        rows.join('\n'),
      );
      assert.ok(!rows.some((r) => r.includes(usd.format(41.5))), rows.join('\n'));
      await switchTo(page, personal);
      rows = await myPaymentsRows(page);
      assert.ok(
        rows.some((r) => r.includes(usd.format(41.5)) && r.includes('Paid')),
        rows.join('\n'),
      );
      assert.ok(!rows.some((r) => r.includes(usd.format(63.25))), rows.join('\n'));
      assert.match(
        (await page
          .getByText(/Visa ending 4242/)
          .first()
          .textContent()) ?? '',
        /4242/,
      );
      assert.equal(await page.getByText(/Mastercard ending 4444/i).count(), 0);

      // Another customer's request, typed into the address bar: not found.
      const other = await staff.evaluate(
        async (taken) => {
          const customers = (await (await fetch('/api/v1/customers?limit=100')).json()) as {
            data: { customerNumber: number }[];
          };
          for (const customer of customers.data.filter((c) => !taken.includes(c.customerNumber))) {
            const contacts = (await (await fetch(`/api/v1/customers/${customer.customerNumber}/contacts`)).json()) as {
              data: Contact[];
            };
            const contact = contacts.data.find((c) => c.email);
            if (contact) return contact;
          }
          return null;
        },
        accounts.map((a) => a.customerNumber),
      );
      assert.ok(other, 'another demo customer with a contact');
      const strangerRequest = await requestPayment(other, 10);
      await page.goto(`${server.url}/portal/pay/${strangerRequest.id}`);
      await page.getByRole('heading', { name: 'Payment request not found' }).waitFor();
      await screenshot(page, 'other-customer-not-found');
    });

    test('My Payments says Declined; on a 375px phone the tables scroll and the Pay action stays clickable', async () => {
      const [personal] = accounts as [Contact, Contact];
      const page = await openPage(PHONE);
      await page.goto(`${server.url}/portal/sign-in?agency=demo`);
      await page.getByLabel('Email').fill(PERSON);
      await page.getByLabel('Password').fill('one login two accounts');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(atPath('/portal'));
      assert.equal(await page.getByLabel('Account', { exact: true }).inputValue(), String(personal.customerNumber));

      // A one-time payment with a card the bank declines.
      await page.getByRole('link', { name: 'Make a One-Time Payment' }).click();
      await page.getByRole('radio', { name: 'Add a new card or bank account' }).check();
      await page.getByLabel('Name on card').fill('Jane Smith');
      await page.getByLabel('Card number').fill('4000 0000 0000 9995');
      await page.getByLabel('Expiry (MM/YY)').fill('10/29');
      await page.getByLabel('Security code').fill('555');
      await page.getByRole('button', { name: 'Save payment method' }).click();
      await page.getByRole('radio', { name: /ending 9995/ }).waitFor();
      await page.getByLabel('Amount to pay').fill('12.34');
      await page.getByRole('button', { name: 'Pay now' }).click();
      await page.getByTestId('checkout-error').waitFor();

      // An open request, so My Payments has a row with a Pay action.
      const open = await requestPayment(personal, 77.7);
      const rows = await myPaymentsRows(page);
      const declined = rows.find((r) => r.includes(usd.format(12.34)));
      assert.ok(declined, rows.join('\n'));
      assert.match(declined, /Declined/);
      assert.doesNotMatch(declined, /Cancelled/);
      const openRow = rows.find((r) => r.includes(usd.format(77.7)));
      assert.match(openRow ?? '', /Waiting for your payment/);

      // No page-wide overflow; the table scrolls inside its card and says so.
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `My Payments overflows a 375px screen by ${overflow}px`);
      const wrap = page.locator('.scroll-table').filter({ has: page.getByTestId('payment-activity') });
      const sizes = await wrap.evaluate((el) => ({ scroll: el.scrollWidth, client: el.clientWidth }));
      assert.ok(sizes.scroll > sizes.client, `the activity table is wider than the phone: ${JSON.stringify(sizes)}`);
      await page.getByTestId('scroll-hint').first().waitFor();
      await screenshot(page, 'my-payments-phone');

      // The Pay button is inside the viewport, on top (not covered), and works.
      const pay = page.getByTestId('payment-activity').getByRole('link', { name: `Pay ${usd.format(77.7)}` });
      const box = await pay.boundingBox();
      assert.ok(box, 'the Pay button is rendered');
      assert.ok(box.x >= 0 && box.x + box.width <= PHONE.width, `Pay button at x=${box.x}..${box.x + box.width}`);
      const onTop = await pay.evaluate((el) => {
        const r = el.getBoundingClientRect();
        const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
        return hit !== null && (hit === el || el.contains(hit));
      });
      assert.ok(onTop, 'nothing covers the Pay button');
      // Scrolled to the far end, the action is still in view.
      await wrap.evaluate((el) => el.scrollTo({ left: el.scrollWidth }));
      const scrolled = await pay.boundingBox();
      assert.ok(scrolled && scrolled.x + scrolled.width <= PHONE.width);
      await pay.click();
      await page.waitForURL(atPath(`/portal/pay/${open.id}`));

      // The dashboard's invoice table is also in a scrolling box, and the page does not overflow.
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Home' }).click();
      await page.locator('.scroll-table').first().waitFor();
      const homeOverflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(homeOverflow <= 0, `the dashboard overflows a 375px screen by ${homeOverflow}px`);
      await screenshot(page, 'dashboard-phone');
    });
  });
}
