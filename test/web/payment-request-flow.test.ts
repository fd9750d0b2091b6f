// Acceptance test of issue 7 in Debian Chromium against `policypay serve` (the demo agency) with a
// real SMTP server: staff request a payment → the client follows the emailed link, enrolls, sees
// the banner, pays with a sandbox test card → staff see the emails and the activity, finalize →
// the customer's AR balance drops by the amount. Plus: an eligibility refusal shown in the portal.
// Screenshots of every page go to test-results/. The SMTP server is test/support/mail.ts.
// A declined card, a bank payment in flight and a refused request: payment-request-refusals.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { databaseTargets } from '../support/db.ts';
import { portalLink, type TestSmtpServer } from '../support/mail.ts';
import { findCardNumbers } from '../support/payments.ts';
import {
  ACTIVE_CUSTOMER,
  atPath,
  CANCELED_CUSTOMER,
  parseMoney,
  paymentRequestFlow,
  TEST_CARD,
  usd,
} from './payment-request-flow-world.ts';
import type { ServeProcess } from './serve-process.ts';

for (const target of databaseTargets()) {
  describe(`payment request flow in Chromium (${target})`, { timeout: 420_000 }, () => {
    const flow = paymentRequestFlow(target, 'flow');
    const { openPage, screenshot, staffSignIn, requestPayment, mailTo, enroll, addTestCardAndPay } = flow;
    let inbox: TestSmtpServer;
    let server: ServeProcess;
    /** The first test's request, which another customer's client must not be able to open. */
    let otherCustomersRequestId: string | undefined;
    /** The client who enrolled in the first test, for the returning-client test. */
    let enrolledClient: { email: string; password: string } | undefined;

    before(async () => {
      ({ inbox, server } = await flow.start());
    });
    after(async () => flow.close());

    test('request → email → enroll → banner → pay → emails and activity → finalize → AR drops', async () => {
      const staff = await openPage();
      await staffSignIn(staff.page);
      await staff.page.goto(`${server.url}/app/customers/${ACTIVE_CUSTOMER}`);
      const arBefore = parseMoney(await staff.page.getByTestId('ar-balance').textContent());
      const contact = (
        await staff.page.evaluate(async (n) => {
          const response = await fetch(`/api/v1/customers/${n}/contacts`);
          return ((await response.json()) as { data: { email: string; primary: boolean }[] }).data;
        }, ACTIVE_CUSTOMER)
      ).find((item) => item.primary);
      assert.ok(contact?.email);
      await screenshot(staff.page, 'staff-customer');

      const sentBefore = inbox.messages.length;
      const amount = await requestPayment(staff.page, ACTIVE_CUSTOMER, 'Down payment for Homeowners Renewal');
      await screenshot(staff.page, 'staff-request-sent');
      otherCustomersRequestId = await staff.page.evaluate(async (n) => {
        const response = await fetch(`/api/v1/payment-requests?customerNumber=${n}`);
        return ((await response.json()) as { data: { id: string }[] }).data[0]?.id;
      }, ACTIVE_CUSTOMER);
      const requestRow = staff.page.getByTestId('payment-requests').locator('tbody tr').first();
      assert.match((await requestRow.textContent()) ?? '', /Requested/);

      // The email reaches a real SMTP server; the client follows its link on a phone-sized screen.
      const email = await mailTo(contact.email, sentBefore);
      assert.match(email.decoded, /Down payment for Homeowners Renewal/);
      const client = await openPage({ width: 390, height: 844 });
      const toPolicypay: string[] = [];
      client.page.on('request', (request) => {
        if (request.url().startsWith(server.url)) toPolicypay.push(`${request.url()} ${request.postData() ?? ''}`);
      });
      await enroll(client.page, portalLink(email).toString(), 'correct horse battery');
      enrolledClient = { email: contact.email, password: 'correct horse battery' };

      const banner = client.page.getByRole('region', { name: `Payment requested: ${usd.format(amount)}` });
      await banner.waitFor();
      await client.page.getByRole('status').filter({ hasText: 'Test mode' }).waitFor();
      // Readable on a phone: nothing wider than the 390 px screen.
      const overflow = await client.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `portal dashboard overflows a 390px screen by ${overflow}px`);
      await screenshot(client.page, 'portal-dashboard-banner');

      await banner.getByRole('link', { name: /^Pay / }).click();
      await client.page.getByRole('heading', { name: 'Pay your payment request' }).waitFor();
      await screenshot(client.page, 'portal-checkout');
      const paidAfter = inbox.messages.length;
      await addTestCardAndPay(client.page, amount);
      await client.page.getByTestId('payment-confirmation').waitFor();
      await screenshot(client.page, 'portal-paid');
      assert.ok(
        toPolicypay.every((line) => !line.replace(/\D/g, '').includes('4242424242424242')),
        'the card number never goes to policypay',
      );

      // My Payments lists the payment and the saved card.
      await client.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'My Payments' }).click();
      await client.page
        .getByTestId('payment-activity')
        .getByText(/Visa ending 4242|visa ending 4242/i)
        .first()
        .waitFor();
      await client.page
        .getByText(/Visa ending 4242, expires 12\/30/)
        .first()
        .waitFor();
      await screenshot(client.page, 'portal-my-payments');

      // Staff and the requestor are told; the outbox page shows what went out.
      await mailTo(server.staff.email, paidAfter);
      await staff.page.getByRole('link', { name: 'Email' }).click();
      await staff.page.waitForURL(atPath('/app/emails'));
      const emails = staff.page.getByTestId('emails');
      await emails.getByText(`To: ${contact.email}`).first().waitFor();
      await emails.getByText(`To: ${server.staff.email}`).first().waitFor();
      const requestEmail = emails.getByRole('button', { name: /payment of .* requested/i }).first();
      await requestEmail.click();
      // The rendered HTML body, in a sandboxed frame.
      await staff.page
        .frameLocator('iframe.email-frame')
        .getByText('Down payment for Homeowners Renewal')
        .first()
        .waitFor();
      await screenshot(staff.page, 'staff-emails');

      // The request waits for Finalize Payment once the processor confirms the payment.
      await staff.page.goto(`${server.url}/app/customers/${ACTIVE_CUSTOMER}`);
      const finalize = staff.page.getByRole('button', { name: 'Finalize Payment' });
      for (let i = 0; i < 60 && !(await finalize.isVisible()); i++) {
        await staff.page.waitForTimeout(500);
        await staff.page.reload();
        await staff.page.getByTestId('ar-balance').waitFor();
      }
      await staff.page.getByTestId('activities').getByText('Payment sent').first().waitFor();
      await staff.page.getByTestId('activities').getByText('Payment requested').first().waitFor();
      await screenshot(staff.page, 'staff-paid-activity');
      await finalize.click();
      const form = staff.page.getByRole('region', { name: /^Finalize payment of/ });
      assert.ok(
        Number(
          await form
            .getByLabel(/^Invoice \d+$/)
            .first()
            .inputValue(),
        ) > 0,
        'prefilled from the request',
      );
      await screenshot(staff.page, 'staff-finalize-form');
      await form.getByRole('button', { name: 'Finalize Payment' }).click();
      await staff.page.getByText(/finalized as receipt \d+/).waitFor();
      await staff.page.getByText('Finalized', { exact: true }).first().waitFor();

      const arAfter = parseMoney(await staff.page.getByTestId('ar-balance').textContent());
      assert.equal(Math.round((arBefore - arAfter) * 100), Math.round(amount * 100));
      await screenshot(staff.page, 'staff-finalized');

      assert.deepEqual(staff.pageErrors, []);
      assert.deepEqual(client.pageErrors, []);
    });

    test('an eligibility refusal shows its message in the portal (canceled policy outside the window)', async () => {
      const staff = await openPage();
      await staffSignIn(staff.page);
      // Canceled ten days ago; the Settings page allows payments only up to 5 days after cancellation.
      await staff.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
      const days = staff.page.getByLabel('Days after cancellation a canceled policy can still be paid');
      await days.fill('soon');
      await staff.page.getByRole('button', { name: 'Save settings' }).click();
      await staff.page.getByRole('alert').waitFor();
      assert.equal(await days.getAttribute('aria-invalid'), 'true', 'the server names the field');
      await days.fill('5');
      await staff.page.getByRole('button', { name: 'Save settings' }).click();
      await staff.page.getByText('Settings saved.').waitFor();
      await screenshot(staff.page, 'staff-settings');
      const contact = (
        await staff.page.evaluate(async (n) => {
          const response = await fetch(`/api/v1/customers/${n}/contacts`);
          return ((await response.json()) as { data: { email: string; primary: boolean }[] }).data;
        }, CANCELED_CUSTOMER)
      ).find((item) => item.primary);
      assert.ok(contact?.email);

      const sentBefore = inbox.messages.length;
      const amount = await requestPayment(staff.page, CANCELED_CUSTOMER, 'Final premium');
      const email = await mailTo(contact.email, sentBefore);

      const client = await openPage();
      await enroll(client.page, portalLink(email).toString(), 'another good password');

      // URL tampering: another customer's request is not there for this client.
      if (otherCustomersRequestId) {
        await client.page.goto(`${server.url}/portal/pay/${otherCustomersRequestId}`);
        await client.page.getByRole('heading', { name: 'Payment request not found' }).waitFor();
        await client.page.goto(`${server.url}/portal`);
      }
      await client.page
        .getByRole('region', { name: /^Payment requested/ })
        .getByRole('link')
        .click();
      await addTestCardAndPay(client.page, amount);
      const refusal = client.page.getByTestId('checkout-error');
      await refusal.waitFor();
      const message = (await refusal.textContent())?.trim() ?? '';
      assert.match(message, /cancel/i, `the refusal names the cancellation: "${message}"`);
      await screenshot(client.page, 'portal-eligibility-refusal');
      const checkoutUrl = client.page.url();

      // Staff cancel the request that cannot be paid; the client's banner goes away.
      await staff.page.goto(`${server.url}/app/customers/${CANCELED_CUSTOMER}`);
      await staff.page.getByRole('button', { name: /^Cancel the request for / }).click();
      await staff.page.getByLabel('Reason (optional)').fill('Policy canceled; billed separately');
      await staff.page.getByRole('button', { name: 'Cancel request' }).click();
      await staff.page.getByText(/^Payment request for .* cancelled\.$/).waitFor();
      await staff.page.getByTestId('payment-requests').getByText('Cancelled').waitFor();
      await client.page.goto(`${server.url}/portal`);
      await client.page.getByRole('heading', { name: /^Welcome, / }).waitFor();
      assert.equal(await client.page.getByRole('region', { name: /^Payment requested/ }).count(), 0);
      await client.page.goto(checkoutUrl);
      await client.page.getByRole('heading', { name: 'Nothing to pay' }).waitFor();
      assert.deepEqual(staff.pageErrors, []);
      assert.deepEqual(client.pageErrors, []);
    });

    test('a returning client signs in, manages saved methods and autopay, pays once, and uses an emailed sign-in link', async () => {
      assert.ok(enrolledClient, 'the first test enrolled a client');
      const { page, pageErrors } = await openPage();

      // A fresh browser does not know the agency: the sign-in form asks for its code.
      await page.goto(`${server.url}/portal`);
      await page.waitForURL(atPath('/portal/sign-in'));
      await screenshot(page, 'portal-sign-in');
      await page.getByLabel('Agency code').fill('demo');
      await page.getByLabel('Email').fill(enrolledClient.email);
      await page.getByLabel('Password').fill('not the password');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('alert').waitFor();
      assert.equal(new URL(page.url()).pathname, '/portal/sign-in');
      await page.getByLabel('Password').fill(enrolledClient.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(atPath('/portal'));
      await page.getByRole('heading', { name: /^Welcome, / }).waitFor();

      // Saved methods: add a second card, make it the default, remove the first.
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'My Payments' }).click();
      await page.getByRole('button', { name: 'Add payment method' }).click();
      await page.getByLabel('Card number').fill('5555 5555 5555 4444');
      await page.getByLabel('Expiry (MM/YY)').fill('11/31');
      await page.getByLabel('Security code').fill('321');
      await page.getByRole('button', { name: 'Save payment method' }).click();
      await page.getByText('Mastercard ending 4444, expires 11/31 saved.').waitFor();
      await page.getByRole('button', { name: 'Set as default' }).click();
      await page.getByText('Mastercard ending 4444, expires 11/31 is now your default.').waitFor();
      await page.getByRole('button', { name: /^Remove Visa ending 4242/ }).click();
      await page.getByText(/^Visa ending 4242, expires 12\/30 removed\.$/).waitFor();
      assert.equal(await page.getByRole('button', { name: /^Remove / }).count(), 1);

      // Autopay on and off again.
      await page.getByRole('button', { name: 'Turn on autopay' }).click();
      await page
        .getByText('On: installments are paid automatically with Mastercard ending 4444, expires 11/31.')
        .waitFor();
      await screenshot(page, 'portal-methods-autopay');
      await page.getByRole('button', { name: 'Turn off autopay' }).click();
      await page.getByText('Off: you pay each installment yourself.').waitFor();

      // A one-time payment with the default card.
      await page.getByRole('link', { name: 'Make a One-Time Payment' }).click();
      await page.getByRole('heading', { name: 'Make a One-Time Payment' }).waitFor();
      assert.ok(await page.getByRole('radio', { name: /Mastercard ending 4444/ }).isChecked());
      await page.getByLabel('Amount to pay').fill('50.00');
      await screenshot(page, 'portal-one-time-payment');
      await page.getByRole('button', { name: 'Pay now' }).click();
      // Whichever the checkout shows, so a refusal fails here with its words, not as a timeout;
      // the charge is a round trip through the server and the sandbox on a busy machine.
      const outcome = page.getByTestId('payment-confirmation').or(page.getByTestId('checkout-error'));
      await outcome.waitFor({ timeout: 60_000 });
      assert.match((await outcome.textContent()) ?? '', /^\$50\.00 from the card ending 4444/);
      await page.getByRole('link', { name: 'My Payments' }).last().click();
      await page.getByTestId('payment-activity').getByText('$50.00').waitFor();

      // Signed out, the emailed sign-in link signs the client in again (once).
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.waitForURL(atPath('/portal/sign-in'));
      const before = inbox.messages.length;
      await page.getByLabel('Email').fill(enrolledClient.email);
      await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
      await page.getByText(/a sign-in link is on its way/).waitFor();
      const link = portalLink(await mailTo(enrolledClient.email, before, /\/portal\/sign-in\?/)).toString();
      await page.goto(link);
      await page.waitForURL(atPath('/portal'));
      await page.getByRole('heading', { name: /^Welcome, / }).waitFor();
      // Single use: the same link a second time is refused and offers the sign-in form.
      const again = await openPage();
      await again.page.goto(link);
      await again.page.getByText(/expired or was already used/).waitFor();

      assert.deepEqual(pageErrors, []);
      assert.deepEqual(again.pageErrors, []);
    });

    test('with min/max enforced, the checkout shows the bounds and a payment over the payoff is refused', async () => {
      assert.ok(enrolledClient, 'the first test enrolled a client');
      const staff = await openPage();
      await staffSignIn(staff.page);
      await staff.page.goto(`${server.url}/app/settings`);
      await staff.page.getByLabel(/^Enforce minimum .* from the Secure Checkout screen/).check();
      await staff.page.getByRole('button', { name: 'Save settings' }).click();
      await staff.page.getByText('Settings saved.').waitFor();

      const { page } = await openPage();
      await page.goto(`${server.url}/portal/sign-in?agency=demo`);
      await page.getByLabel('Email').fill(enrolledClient.email);
      await page.getByLabel('Password').fill(enrolledClient.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(atPath('/portal'));
      await page.getByRole('link', { name: 'Make a One-Time Payment' }).click();
      const hint = (await page.locator('#checkout-amount-hint').textContent()) ?? '';
      assert.match(hint, /\(payoff\)|\(your payoff amount\)/, `the bounds are shown: "${hint}"`);
      await page.getByLabel('Amount to pay').fill('99999.00');
      await page.getByRole('button', { name: 'Pay now' }).click();
      const refusal = page.getByTestId('checkout-error');
      await refusal.or(page.getByTestId('payment-confirmation')).waitFor();
      await screenshot(page, 'portal-over-payoff');
      assert.ok(await refusal.isVisible(), 'the payment is refused');
      assert.match((await refusal.textContent()) ?? '', /payoff/i);
    });

    // Issue 5's scan, after a flow in which cards were typed into the portal: they went from the
    // browser to the processor's tokenize endpoint only. On PostgreSQL every schema of the server's
    // database is read. policypay's own tables, the log and the e-mails get the Luhn scan of 13–19
    // digit runs. pg-boss's tables (job payloads, with its own ids and counters, where a random
    // 15-digit run passed Luhn once) are checked for the numbers typed in this file and any CVV field
    // (the declined 9995 card is typed in payment-request-refusals.test.ts, against another server).
    // PGlite's database lives inside the serve process, so there the log and the e-mails are scanned
    // (the PostgreSQL run covers the database).
    test('leaves no card number or CVV in the database (job payloads included), the server log or the e-mails', async () => {
      const typed = [TEST_CARD, '4000 0000 0000 9995'].map((card) => card.replaceAll(' ', ''));
      let ours = '';
      let jobs = '';
      if (server.databaseUrl) {
        const client = new pg.Client({ connectionString: server.databaseUrl });
        await client.connect();
        try {
          const tables = await client.query<{ schema: string; name: string }>(
            `SELECT table_schema AS schema, table_name AS name FROM information_schema.tables
              WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')`,
          );
          assert.ok(
            tables.rows.some((t) => t.name === 'job' && t.schema !== 'public'),
            'pg-boss job tables are scanned',
          );
          for (const table of tables.rows) {
            const rows = await client.query<{ row: string }>(
              `SELECT row_to_json(t)::text AS row FROM ${pg.escapeIdentifier(table.schema)}.${pg.escapeIdentifier(table.name)} t`,
            );
            const text = `${rows.rows.map((r) => r.row).join('\n')}\n`;
            if (table.schema === 'public') ours += text;
            else jobs += text;
          }
        } finally {
          await client.end();
        }
        assert.ok(ours.includes('4242'), 'the dump has content (last 4 digits are kept)');
        assert.ok(jobs.includes('paymentId') || jobs.includes('emailId'), 'the job payloads have content');
      }
      const mails = inbox.messages.map((m) => m.decoded).join('\n');
      assert.ok(inbox.messages.length > 0, 'the e-mails are scanned');
      const scanned = `${ours}\n${server.output()}\n${mails}`;
      assert.deepEqual(findCardNumbers(`leaked ${typed[0]}`), [typed[0]], 'the scan finds a card number');
      assert.deepEqual(findCardNumbers(scanned), []);
      for (const digits of typed) {
        assert.ok(!`${scanned}\n${jobs}`.includes(digits), 'a typed card number is nowhere');
      }
      assert.ok(!/"(cvc|cvv)"\s*:/i.test(`${scanned}\n${jobs}`));
    });
  });
}
