// The payment request flow in Chromium when something is refused: a declined card then a bank
// payment in flight, and a request the server refuses until corrected. The whole flow of issue 7
// is payment-request-flow.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { databaseTargets } from '../support/db.ts';
import { portalLink, type TestSmtpServer } from '../support/mail.ts';
import { ACH_CUSTOMER, ACTIVE_CUSTOMER, paymentRequestFlow, usd } from './payment-request-flow-world.ts';
import type { ServeProcess } from './serve-process.ts';

for (const target of databaseTargets()) {
  describe(`payment request flow in Chromium (${target})`, { timeout: 420_000 }, () => {
    const flow = paymentRequestFlow(target, 'refusals');
    const { openPage, screenshot, staffSignIn, requestPayment, mailTo, enroll } = flow;
    let inbox: TestSmtpServer;
    let server: ServeProcess;

    before(async () => {
      ({ inbox, server } = await flow.start());
    });
    after(async () => flow.close());

    test('a declined card shows the decline; a bank payment stays in progress until it settles', async () => {
      const staff = await openPage();
      await staffSignIn(staff.page);
      const contact = (
        await staff.page.evaluate(async (n) => {
          const response = await fetch(`/api/v1/customers/${n}/contacts`);
          return ((await response.json()) as { data: { email: string; primary: boolean }[] }).data;
        }, ACH_CUSTOMER)
      ).find((item) => item.primary);
      assert.ok(contact?.email);
      const sentBefore = inbox.messages.length;
      const amount = await requestPayment(staff.page, ACH_CUSTOMER, 'Quarterly installment');
      const client = await openPage({ width: 390, height: 844 });
      await enroll(client.page, portalLink(await mailTo(contact.email, sentBefore)).toString(), 'a bank account payer');
      await client.page
        .getByRole('region', { name: /^Payment requested/ })
        .getByRole('link')
        .click();

      // Insufficient funds: the processor's decline is shown; nothing is paid.
      await client.page.getByLabel('Card number').fill('4000 0000 0000 9995');
      await client.page.getByLabel('Expiry (MM/YY)').fill('10/29');
      await client.page.getByLabel('Security code').fill('555');
      await client.page.getByRole('button', { name: 'Save payment method' }).click();
      await client.page.getByRole('radio', { name: /Visa ending 9995/ }).waitFor();
      await client.page.getByRole('button', { name: `Pay ${usd.format(amount)}` }).click();
      const decline = client.page.getByTestId('checkout-error');
      await decline.waitFor();
      assert.ok(((await decline.textContent()) ?? '').length > 0);
      await screenshot(client.page, 'portal-card-declined');

      // A bank account instead: the debit is in flight, so the request cannot be paid twice.
      await client.page.getByRole('radio', { name: 'Add a new card or bank account' }).check();
      await client.page.getByRole('radio', { name: 'Bank account', exact: true }).check();
      await client.page.getByLabel('Account holder').fill('Bank Payer');
      await client.page.getByLabel('Routing number').fill('110000000');
      await client.page.getByLabel('Account number').fill('000123456789');
      await client.page.getByRole('button', { name: 'Save payment method' }).click();
      await client.page.getByRole('radio', { name: /ending 6789/ }).waitFor();
      await client.page.getByRole('button', { name: `Pay ${usd.format(amount)}` }).click();
      await client.page.getByRole('heading', { name: 'Payment submitted' }).waitFor();
      await client.page.getByRole('link', { name: 'Back to home' }).click();
      const banner = client.page.getByRole('region', { name: /^Payment requested/ });
      await banner.getByText('Payment in progress').waitFor();
      assert.equal(await banner.getByRole('link').count(), 0, 'no second Pay button');
      await screenshot(client.page, 'portal-ach-in-progress');

      await staff.page.goto(`${server.url}/app/customers/${ACH_CUSTOMER}`);
      await staff.page.getByTestId('payment-requests').getByText('Payment in flight').waitFor();
      assert.equal(await staff.page.getByRole('button', { name: /^Cancel the request/ }).count(), 0);
      assert.deepEqual(client.pageErrors, []);
      assert.deepEqual(staff.pageErrors, []);
    });

    test('a request the server refuses (422) is sent once corrected: the corrected one is a new request (new key)', async () => {
      const { page } = await openPage();
      await staffSignIn(page);
      await page.goto(`${server.url}/app/customers/${ACTIVE_CUSTOMER}`);
      await page.getByRole('button', { name: 'Request online payment' }).click();
      const form = page.getByRole('region', { name: 'Request online payment' });
      await form.getByRole('checkbox').first().check();
      const amount = form.getByLabel('Amount', { exact: true });
      const full = await amount.inputValue();
      assert.ok(Number(full) > 1, `picking an invoice fills the amount (${full})`);
      // Less than the picked invoice: the server refuses it (422, an answer kept under its key).
      await amount.fill((Number(full) - 1).toFixed(2));
      await form.getByRole('button', { name: 'Send request' }).click();
      const alert = form.getByRole('alert');
      await alert.waitFor();
      assert.match((await alert.textContent()) ?? '', /more than the requested amount/);
      await amount.fill(full);
      await form.getByRole('button', { name: 'Send request' }).click();
      const sent = page.getByText(/^Payment request for .* sent to /);
      await sent.or(alert.filter({ hasNotText: /more than the requested amount/ })).waitFor();
      assert.ok(await sent.isVisible(), `the corrected request is sent: ${await alert.textContent().catch(() => '')}`);
    });
  });
}
