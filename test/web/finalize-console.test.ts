// Issue 16 items 2, 3, 4 and 9 (console) in Chromium against `policypay serve` (the demo agency)
// with a real SMTP server: customer search the way staff think of customers; a request that names
// no invoices, paid in the portal, finalized to the open invoices oldest due first at the channel's
// deposit bank (AR drops) with part On Account, then that credit applied to an invoice; the agency's
// receipt copy and the cancelled-request e-mail; activities in words; tables on a 375px phone; and
// the request form's "today" from the server even when the browser's clock is years off.
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { DEMO_BACKUP_EMAIL } from '../../src/demo/demo-agency.ts';
import { launchChromium } from '../support/browser.ts';
import { databaseTargets } from '../support/db.ts';
import { portalLink, type ReceivedMail, startSmtpServer, type TestSmtpServer, waitFor } from '../support/mail.ts';
import { type ServeProcess, startServeProcess } from './serve-process.ts';

const RESULTS = join(import.meta.dirname, '..', '..', 'test-results');
const usd = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });
const parseMoney = (text: string | null) => Number((text ?? '').replace(/[^0-9.-]/g, ''));
const cents = (amount: number) => Math.round(amount * 100);
const atPath = (pathname: string) => (url: URL) => url.pathname === pathname;

type Invoice = { invoiceNumber: number; balance: number; dueDate: string };

for (const target of databaseTargets()) {
  describe(`console: finalize, On Account, e-mails, search, words, phones (${target})`, { timeout: 420_000 }, () => {
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

    async function openPage(viewport = { width: 1280, height: 900 }) {
      const context = await browser.newContext({ viewport });
      contexts.push(context);
      context.setDefaultTimeout(15_000);
      const page = await context.newPage();
      const pageErrors: string[] = [];
      page.on('pageerror', (error) => pageErrors.push(error.message));
      return { page, pageErrors };
    }

    async function staffSignIn(page: Page) {
      await page.goto(`${server.url}/login`);
      await page.getByLabel('Email').fill(server.staff.email);
      await page.getByLabel('Password').fill(server.staff.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(atPath('/app/customers'));
    }

    const getJson = <T>(page: Page, path: string) =>
      page.evaluate(async (p) => (await fetch(p)).json(), path) as Promise<T>;

    function mailTo(to: string, after: number, subject: RegExp): Promise<ReceivedMail> {
      return waitFor(`an email to ${to} (${subject})`, () =>
        inbox.messages
          .slice(after)
          .find((mail) => mail.to.some((a) => a.toLowerCase() === to.toLowerCase()) && subject.test(mail.subject)),
      );
    }

    /** Staff: "Request online payment" of `amount` naming no invoice; returns the contact's e-mail. */
    async function requestWithoutInvoices(page: Page, customerNumber: number, amount: number, note: string) {
      await page.goto(`${server.url}/app/customers/${customerNumber}`);
      await page.getByRole('button', { name: 'Request online payment' }).click();
      const form = page.getByRole('region', { name: 'Request online payment' });
      await form.getByLabel('Amount', { exact: true }).fill(amount.toFixed(2));
      await form.getByLabel('Note').fill(note);
      await form.getByRole('button', { name: 'Send request' }).click();
      const sent = page.getByText(/^Payment request for .* sent to /);
      await sent.or(form.getByRole('alert')).waitFor();
      if (!(await sent.isVisible())) assert.fail(`request refused: ${await form.getByRole('alert').textContent()}`);
      return /sent to (\S+)\.$/.exec((await sent.textContent()) ?? '')![1]!;
    }

    /** The client follows the e-mailed link, enrolls and pays `amount` with a sandbox test card. */
    async function clientPays(mail: ReceivedMail, amount: number) {
      const { page, pageErrors } = await openPage({ width: 390, height: 844 });
      await page.goto(portalLink(mail).toString());
      await page.getByRole('heading', { name: 'Set up your account' }).waitFor();
      await page.getByLabel('New password').fill('a long client password');
      await page.getByLabel('Confirm password').fill('a long client password');
      await page.getByRole('button', { name: 'Set password' }).click();
      await page.waitForURL(atPath('/portal'));
      await page
        .getByRole('region', { name: `Payment requested: ${usd.format(amount)}` })
        .getByRole('link', { name: /^Pay / })
        .click();
      await page.getByLabel('Name on card').fill('Card Holder');
      await page.getByLabel('Card number').fill('4242 4242 4242 4242');
      await page.getByLabel('Expiry (MM/YY)').fill('12/30');
      await page.getByLabel('Security code').fill('123');
      await page.getByRole('button', { name: 'Save payment method' }).click();
      await page.getByRole('radio', { name: /Visa ending 4242/ }).waitFor();
      await page.getByRole('button', { name: `Pay ${usd.format(amount)}` }).click();
      await page.getByTestId('payment-confirmation').waitFor();
      assert.deepEqual(pageErrors, []);
    }

    /** Every table on the page: scrolls inside its box, says so when it does, never hides a button. */
    async function assertPhoneTables(page: Page, where: string): Promise<number> {
      // The hint is rendered a frame after the table's layout shows it overflowing (a
      // ResizeObserver callback sets React state): let that settle, then check. A hint that never
      // comes still fails below.
      await page
        .waitForFunction(
          () =>
            [...document.querySelectorAll<HTMLElement>('.table-wrap')].every(
              (wrap) =>
                wrap.scrollWidth <= wrap.clientWidth + 1 ||
                !!wrap.previousElementSibling?.classList.contains('table-scroll-hint'),
            ),
          undefined,
          { timeout: 5_000 },
        )
        .catch(() => {});
      const report = await page.evaluate(() => {
        const wraps = [...document.querySelectorAll<HTMLElement>('.table-wrap')].map((wrap) => {
          const box = wrap.getBoundingClientRect();
          const hint = wrap.previousElementSibling;
          return {
            overflowing: wrap.scrollWidth > wrap.clientWidth + 1,
            overflowX: getComputedStyle(wrap).overflowX,
            hintShown: !!hint?.classList.contains('table-scroll-hint') && hint.getBoundingClientRect().height > 0,
            keyboard: wrap.tabIndex === 0 && wrap.getAttribute('role') === 'region',
            buttons: [...wrap.querySelectorAll<HTMLElement>('button, a.button')].map((button) => {
              const rect = button.getBoundingClientRect();
              return {
                text: button.textContent ?? '',
                inside: rect.left >= box.left - 1 && rect.right <= box.right + 1 && rect.right <= window.innerWidth + 1,
              };
            }),
          };
        });
        return { pageOverflow: document.documentElement.scrollWidth - window.innerWidth, wraps };
      });
      assert.ok(report.pageOverflow <= 0, `${where}: the page is ${report.pageOverflow}px wider than the phone`);
      assert.ok(report.wraps.length > 0, `${where}: has tables`);
      for (const wrap of report.wraps) {
        assert.match(wrap.overflowX, /^(auto|scroll)$/, `${where}: a table scrolls inside its card`);
        if (wrap.overflowing) {
          assert.ok(wrap.hintShown, `${where}: a table wider than the phone says it scrolls`);
          assert.ok(wrap.keyboard, `${where}: a scrolling table can be scrolled from the keyboard`);
        }
        for (const button of wrap.buttons) {
          assert.ok(button.inside, `${where}: "${button.text}" is visible without scrolling`);
        }
      }
      return report.wraps.filter((wrap) => wrap.overflowing && wrap.buttons.length > 0).length;
    }

    test('the customer search finds by customer, policy and invoice number, name, e-mail and phone', async () => {
      const { page, pageErrors } = await openPage();
      await staffSignIn(page);
      const search = page.getByLabel('Search customers');
      assert.match((await search.getAttribute('placeholder')) ?? '', /number/i);
      const n = 1003;
      const customer = await getJson<{ name: string; email: string; phone: string }>(page, `/api/v1/customers/${n}`);
      const policies = await getJson<{ data: { policyNumber: string }[] }>(page, `/api/v1/customers/${n}/policies`);
      const account = await getJson<{ invoices: Invoice[] }>(page, `/api/v1/customers/${n}/account`);
      const policyNumber = policies.data[0]?.policyNumber;
      const invoiceNumber = account.invoices[0]?.invoiceNumber;
      assert.ok(policyNumber && invoiceNumber, 'the demo customer has a policy and an invoice');
      const digits = customer.phone.replace(/\D/g, '').slice(-10);
      const phone = `(${digits.slice(0, 3)}) ${digits.slice(3, 6)}-${digits.slice(6)}`;
      for (const term of [String(n), policyNumber, String(invoiceNumber), customer.name, customer.email, phone]) {
        await search.fill('zz-no-such-customer-zz');
        await page.getByText('No customers match').waitFor();
        await search.fill(term);
        await page.waitForURL((url) => url.searchParams.get('search') === term);
        const first = page.locator('tbody tr').first();
        await first.getByText(customer.name).waitFor();
        assert.equal(
          (await first.locator('td').first().textContent())?.trim(),
          String(n),
          `"${term}" finds ${n} first`,
        );
      }
      assert.deepEqual(pageErrors, []);
    });

    test('request without invoices → paid → finalize to open invoices oldest first at the deposit bank → AR drops; On Account applied; e-mails; words; phone tables', async () => {
      const staff = await openPage();
      await staffSignIn(staff.page);
      // A demo customer with at least two open invoices.
      let customerNumber = 0;
      let open: Invoice[] = [];
      for (let n = 1001; n <= 1009 && open.length < 2; n++) {
        const account = await getJson<{ invoices: Invoice[] }>(staff.page, `/api/v1/customers/${n}/account`);
        customerNumber = n;
        open = account.invoices
          .filter((invoice) => invoice.balance > 0)
          .sort((a, b) => a.dueDate.localeCompare(b.dueDate) || a.invoiceNumber - b.invoiceNumber);
      }
      assert.ok(open.length >= 2, 'a demo customer with two open invoices');
      const [oldest, next] = open as [Invoice, Invoice];
      const extra = Math.min(next.balance, 10);
      const amount = (cents(oldest.balance) + cents(extra)) / 100;

      const before = inbox.messages.length;
      const contactEmail = await requestWithoutInvoices(staff.page, customerNumber, amount, 'Balance as discussed');
      await staff.page.getByTestId('activities').getByText('Payment requested by Dana Price').first().waitFor();
      await clientPays(await mailTo(contactEmail, before, /requested/), amount);

      // The agency's copy of the receipt reaches its address on file, besides "Payment sent".
      const receiptCopy = await mailTo(DEMO_BACKUP_EMAIL, before, /^Payment receipt: /);
      assert.match(receiptCopy.decoded, new RegExp(usd.format(amount).replace(/[$.]/g, '\\$&')));
      await mailTo(contactEmail, before, /^Receipt for your payment/);

      await staff.page.goto(`${server.url}/app/customers/${customerNumber}`);
      const finalize = staff.page.getByRole('button', { name: 'Finalize Payment' });
      for (let i = 0; i < 60 && !(await finalize.isVisible()); i++) {
        await staff.page.waitForTimeout(500);
        await staff.page.reload();
        await staff.page.getByTestId('ar-balance').waitFor();
      }
      const arBefore = parseMoney(await staff.page.getByTestId('ar-balance').textContent());
      const onAccountBefore = parseMoney(await staff.page.getByTestId('on-account').textContent());

      // Activities in words: people by name, the card payment in words, no ids or codes.
      const activities = staff.page.getByTestId('activities');
      await activities
        .getByText(`Card payment of ${usd.format(amount)} requested by `)
        .first()
        .waitFor();
      const activityText = (await activities.textContent()) ?? '';
      assert.doesNotMatch(activityText, /user:|client:|worker:|CreditCard/);
      assert.match(activityText, /Dana Price/);

      // On a phone the requests table scrolls and its Finalize button stays in sight.
      await staff.page.setViewportSize({ width: 375, height: 800 });
      assert.ok((await assertPhoneTables(staff.page, 'customer page')) >= 1, 'a table with a button scrolls');
      await staff.page.screenshot({ path: join(RESULTS, `${target}-console-phone-account.png`), fullPage: true });
      await staff.page.setViewportSize({ width: 1280, height: 900 });

      await finalize.click();
      const form = staff.page.getByRole('region', { name: /^Finalize payment of/ });
      const bank = form.getByLabel('Bank');
      await form.getByLabel(`Invoice ${next.invoiceNumber}`).waitFor();
      assert.equal(await bank.inputValue(), 'OPER', "the demo's secure-checkout bank, not the first by name");
      // Every open invoice is offered: oldest due filled first, the next with what is left.
      for (const invoice of open) await form.getByLabel(`Invoice ${invoice.invoiceNumber}`).waitFor();
      assert.equal(Number(await form.getByLabel(`Invoice ${oldest.invoiceNumber}`).inputValue()), oldest.balance);
      assert.equal(Number(await form.getByLabel(`Invoice ${next.invoiceNumber}`).inputValue()), extra);
      // Staff leave the rest On Account.
      await form.getByLabel(`Invoice ${next.invoiceNumber}`).fill('');
      await form
        .getByTestId('finalize-on-account')
        .getByText(`On Account: ${usd.format(extra)}`)
        .waitFor();
      await staff.page.screenshot({ path: join(RESULTS, `${target}-console-finalize-form.png`), fullPage: true });
      await form.getByRole('button', { name: 'Finalize Payment' }).click();
      await staff.page.getByText(/finalized as receipt \d+/).waitFor();
      // The cash receipt is reflected in AR (the page reloads the account after the notice).
      const arAfter = (cents(arBefore) - cents(oldest.balance)) / 100;
      const onAccountAfter = (cents(onAccountBefore) + cents(extra)) / 100;
      await staff.page
        .getByTestId('ar-balance')
        .filter({ hasText: usd.format(arAfter) })
        .waitFor();
      await staff.page
        .getByTestId('on-account')
        .filter({ hasText: usd.format(onAccountAfter) })
        .waitFor();

      // The credit is applied to the next invoice later; more than the credit is refused by the server.
      await staff.page.getByRole('button', { name: 'Apply to invoices' }).click();
      const apply = staff.page.getByRole('region', { name: 'Apply On Account credit' });
      await apply.getByLabel('Invoice').selectOption(String(next.invoiceNumber));
      const amountField = apply.getByLabel('Amount to apply');
      assert.equal(cents(Number(await amountField.inputValue())), Math.min(cents(onAccountAfter), cents(next.balance)));
      await amountField.fill((onAccountAfter + 0.01).toFixed(2));
      await apply.getByRole('button', { name: 'Apply credit' }).click();
      await apply.getByRole('alert').waitFor();
      assert.equal(await amountField.getAttribute('aria-invalid'), 'true', 'the server names the field');
      await amountField.fill(extra.toFixed(2));
      await apply.getByRole('button', { name: 'Apply credit' }).click();
      await staff.page
        .getByText(`${usd.format(extra)} of On Account credit applied to invoice ${next.invoiceNumber}.`)
        .waitFor();
      await staff.page
        .getByTestId('ar-balance')
        .filter({ hasText: usd.format((cents(arAfter) - cents(extra)) / 100) })
        .waitFor();
      await staff.page
        .getByTestId('on-account')
        .filter({ hasText: usd.format(onAccountBefore) })
        .waitFor();
      assert.deepEqual(staff.pageErrors, []);
    });

    test('a cancelled request e-mails the client; the customers list on a phone', async () => {
      const { page, pageErrors } = await openPage();
      await staffSignIn(page);
      const before = inbox.messages.length;
      const contactEmail = await requestWithoutInvoices(page, 1004, 42, 'Endorsement premium');
      await page.getByRole('button', { name: /^Cancel the request for / }).click();
      await page.getByLabel('Reason (optional)').fill('Billed on the renewal instead');
      await page.getByRole('button', { name: 'Cancel request' }).click();
      await page.getByText(/^Payment request for .* cancelled\.$/).waitFor();
      const mail = await mailTo(contactEmail, before, /cancelled/);
      assert.match(mail.subject, /payment request of \$42\.00 cancelled/);
      assert.match(mail.decoded, /Billed on the renewal instead/);
      await page.getByTestId('activities').getByText('cancelled by Dana Price').first().waitFor();

      await page.setViewportSize({ width: 375, height: 800 });
      await page.goto(`${server.url}/app/customers`);
      await page.locator('tbody tr').first().waitFor();
      await assertPhoneTables(page, 'customers list');
      assert.deepEqual(pageErrors, []);
    });

    test("the request form takes today from the server's clock, not the browser's", async () => {
      const { page, pageErrors } = await openPage();
      // The browser's clock is years away from the server's.
      await page.clock.install({ time: new Date('2031-07-04T15:00:00Z') });
      await staffSignIn(page);
      const me = await getJson<{ agency: { timeZone: string } }>(page, '/api/v1/me');
      // The server's clock as its HTTP Date header reports it (asked from Node, not the browser).
      const serverNow = new Date((await fetch(`${server.url}/api/v1/health`)).headers.get('date') ?? Number.NaN);
      const serverToday = new Intl.DateTimeFormat('en-CA', {
        timeZone: me.agency.timeZone,
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
      }).format(serverNow);
      const due = new Date(`${serverToday}T00:00:00Z`);
      due.setUTCDate(due.getUTCDate() + 7);
      await page.goto(`${server.url}/app/customers/1005`);
      await page.getByRole('button', { name: 'Request online payment' }).click();
      const dueDate = page.getByRole('region', { name: 'Request online payment' }).getByLabel('Due date');
      assert.equal(await dueDate.inputValue(), due.toISOString().slice(0, 10));
      assert.equal(await dueDate.getAttribute('min'), serverToday);
      assert.deepEqual(pageErrors, []);
    });
  });
}
