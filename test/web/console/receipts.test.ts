// The Receipts pages of the staff console in Chromium: the filtered list with its totals and CSV,
// a receipt with its applications and ledger lines, and an NSF reversal.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../../support/browser.ts';
import { databaseTargets } from '../../support/db.ts';
import { apiClient } from '../../support/http.ts';
import { startTestServer, type TestServer } from '../../support/server.ts';

for (const target of databaseTargets()) {
  describe(`receipts in the staff console (${target})`, { timeout: 240_000 }, () => {
    let server: TestServer;
    let browser: Browser;
    const contexts: BrowserContext[] = [];
    const receipts: number[] = [];

    before(async () => {
      // The server's today is 25 November 2026: a receipt date in 2031 is too far ahead whenever this runs.
      server = await startTestServer({ target, clock: () => new Date('2026-11-25T15:00:00Z') });
      browser = await launchChromium();
      const api = apiClient(server.url, server.agency.apiKey);
      for (const [shortName, division] of [
        ['OPER', 'Main'],
        ['NORTH', 'North'],
      ]) {
        const bank = await api.post('/api/v1/banks', { shortName, name: `${shortName} Bank`, division });
        assert.equal(bank.status, 201, JSON.stringify(bank.body));
      }
      const posts = [
        { bank: 'OPER', type: 'H', amount: 200, date: '2026-11-02', invoice: server.seeded.invoiceNumber },
        { bank: 'NORTH', type: 'A', amount: 30, date: '2026-11-03', invoice: null },
        { bank: 'NORTH', type: 'A', amount: 45.5, date: '2026-11-04', invoice: null },
      ];
      for (const post of posts) {
        const res = await api.post('/api/v1/receipt/customer', {
          customerNumber: server.seeded.customerNumber,
          invoiceInformations: [{ invoiceNumber: post.invoice, paymentAmount: post.amount }],
          receiptAmount: post.amount,
          receiptDate: post.date,
          receiptDateTimeZone: 'America/Chicago',
          bankShortName: post.bank,
          paymentCheckType: post.type,
          ...(post.type === 'H' ? { payerCheckNumber: '1001' } : {}),
        });
        assert.equal(res.status, 201, JSON.stringify(res.body));
        receipts.push(res.body.receiptNumber);
      }
    });
    after(async () => {
      for (const context of contexts) await context.close().catch(() => {});
      await browser?.close();
      await server?.close();
    });

    async function signedIn(): Promise<{ page: Page; pageErrors: string[] }> {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      contexts.push(context);
      context.setDefaultTimeout(30_000);
      const page = await context.newPage();
      const pageErrors: string[] = [];
      page.on('pageerror', (error) => pageErrors.push(error.message));
      await page.goto(`${server.url}/login`);
      await page.getByLabel('Email').fill(server.staff.email);
      await page.getByLabel('Password').fill(server.staff.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL((url) => url.pathname === '/app/customers');
      return { page, pageErrors };
    }

    test('the list filters by bank and status with its totals, and exports what it shows', async () => {
      const { page, pageErrors } = await signedIn();
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Receipts' }).click();
      await page.getByRole('heading', { level: 1, name: 'Receipts' }).waitFor();
      await page.getByTestId('receipt-totals').getByText('3 receipts · $275.50').waitFor();

      await page.getByLabel('Bank').selectOption('NORTH');
      await page.getByRole('button', { name: 'Apply' }).click();
      await page.waitForURL((url) => url.searchParams.get('bankShortName') === 'NORTH');
      await page.getByTestId('receipt-totals').getByText('2 receipts · $75.50').waitFor();
      const rows = page.locator('tbody tr');
      assert.equal(await rows.count(), 2);
      const href = (await page.getByRole('link', { name: 'Export CSV' }).getAttribute('href'))!;
      assert.equal(href, '/api/v1/receipts/export.csv?bankShortName=NORTH');
      const csv = await page.evaluate(async (url) => (await fetch(url)).text(), href);
      assert.equal(csv.trim().split('\r\n').length, 3, csv);

      await page.getByRole('link', { name: 'Clear' }).click();
      await page.getByTestId('receipt-totals').getByText('3 receipts · $275.50').waitFor();
      assert.deepEqual(pageErrors, []);
    });

    test('a receipt shows what it paid and its ledger; an NSF reversal reopens the invoice', async () => {
      const { page, pageErrors } = await signedIn();
      await page.goto(`${server.url}/app/receipts`);
      await page.getByRole('link', { name: `Receipt ${receipts[0]}`, exact: true }).click();
      await page.getByRole('heading', { level: 1, name: new RegExp(`^Receipt ${receipts[0]}`) }).waitFor();
      const applied = page.getByRole('table', { name: 'Applications' });
      await applied.getByRole('cell', { name: String(server.seeded.invoiceNumber), exact: true }).waitFor();
      const ledger = page.getByRole('table', { name: 'Ledger lines' });
      await ledger.getByRole('row', { name: /Cash OPER \$200\.00/ }).waitFor();

      page.once('dialog', (dialog) => void dialog.accept());
      await page.getByLabel('Reason').selectOption('nsf');
      await page.getByLabel('Note (optional)').fill('returned by the bank');
      await page.getByRole('button', { name: 'Reverse receipt' }).click();
      await page.getByRole('heading', { level: 1, name: /Reversed/ }).waitFor();
      await page.getByText(/NSF \(returned by the bank\)/).waitFor();
      // Posting and reversal: the bank's cash in (debit column), then out again (credit column).
      await ledger.getByRole('row', { name: /^.*Reversal of receipt/ }).waitFor();
      const cells = await ledger
        .locator('tbody tr')
        .evaluateAll((rows) => rows.map((row) => [...row.querySelectorAll('td')].map((td) => td.textContent ?? '')));
      const cash = cells.filter((row) => row[1] === 'Cash').map((row) => row.slice(3));
      assert.deepEqual(cash, [
        ['OPER', '$200.00', ''],
        ['OPER', '', '$200.00'],
      ]);
      assert.equal(await page.getByRole('button', { name: 'Reverse receipt' }).count(), 0);

      const invoice = await apiClient(server.url, server.agency.apiKey).get(
        `/api/v1/invoices/${server.seeded.invoiceNumber}`,
      );
      assert.equal(invoice.body.balance, 1250.5, JSON.stringify(invoice.body));

      await page.goto(`${server.url}/app/receipts?status=reversed`);
      await page.getByTestId('receipt-totals').getByText('1 receipt · $200.00').waitFor();
      assert.deepEqual(pageErrors, []);
    });
    test('posts a receipt: part to an open invoice, the rest On Account; a date the API refuses is named', async () => {
      const { page, pageErrors } = await signedIn();
      await page.goto(`${server.url}/app/receipts`);
      await page.getByRole('link', { name: 'Post a receipt' }).click();
      await page.getByRole('heading', { level: 1, name: 'Post a receipt' }).waitFor();
      await page.getByLabel('Customer number').fill(String(server.seeded.customerNumber));
      await page.getByText(/^Jane Smith · /).waitFor();
      await page.getByLabel(`Apply to invoice ${server.seeded.invoiceNumber}`).fill('100');
      await page.getByLabel('Receipt amount').fill('150.25');
      assert.equal(await page.getByTestId('on-account').textContent(), '$50.25');
      await page.getByLabel('Bank').selectOption('NORTH');
      await page.getByLabel('Payment type').selectOption('Cash');
      await page.getByLabel('Receipt date').fill('2031-01-01');
      await page.getByRole('button', { name: 'Post receipt' }).click();
      await page.getByRole('alert').waitFor();
      assert.match((await page.locator('#receipt-date-error').textContent()) ?? '', /./);
      assert.equal(new URL(page.url()).pathname, '/app/receipts/new');

      await page.getByLabel('Receipt date').fill('2026-11-20');
      await page.getByRole('button', { name: 'Post receipt' }).click();
      await page.waitForURL((url) => /^\/app\/receipts\/\d+$/.test(url.pathname));
      await page.getByRole('heading', { level: 1, name: /^Receipt \d+/ }).waitFor();
      await page.getByText(/^\$150\.25 · Cash · Nov 20, 2026 · bank NORTH/).waitFor();
      const applied = page.getByRole('table', { name: 'Applications' });
      await applied
        .getByRole('row', { name: new RegExp(`^${server.seeded.invoiceNumber} .*\\$100\\.00 \\$0\\.00$`) })
        .waitFor();
      await applied.getByRole('row', { name: /^On Account .*\$0\.00 \$50\.25$/ }).waitFor();
      assert.deepEqual(pageErrors, []);
    });
  });
}
