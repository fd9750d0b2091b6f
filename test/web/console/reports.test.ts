// The Reports area of the staff console in Chromium: AR aging, collections, deposits and autopay,
// each with its chart, its numbers (checked against the ledger through the API), its CSV, print
// (navigation and controls hidden) and the page at 390 px wide. Screenshots go to test-results/.
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../../support/browser.ts';
import { databaseTargets } from '../../support/db.ts';
import { type ApiClient, apiClient } from '../../support/http.ts';
import { startTestServer, type TestServer } from '../../support/server.ts';

const RESULTS = join(import.meta.dirname, '..', '..', '..', 'test-results');

for (const target of databaseTargets()) {
  describe(`reports in the staff console (${target})`, { timeout: 300_000 }, () => {
    let server: TestServer;
    let browser: Browser;
    let api: ApiClient;
    const contexts: BrowserContext[] = [];
    const receipts: number[] = [];
    let bob = 0;

    before(async () => {
      await mkdir(RESULTS, { recursive: true });
      // The server's today is 25 November 2026 (America/Chicago). Jane's seeded invoice
      // ($1,250.50) is due 1 December.
      server = await startTestServer({ target, clock: () => new Date('2026-11-25T15:00:00Z') });
      browser = await launchChromium();
      api = apiClient(server.url, server.agency.apiKey);
      for (const [shortName, division] of [
        ['OPER', 'Main'],
        ['NORTH', 'North'],
      ]) {
        const bank = await api.post('/api/v1/banks', { shortName, name: `${shortName} Bank`, division });
        assert.equal(bank.status, 201, JSON.stringify(bank.body));
      }
      const customer = await api.post('/api/v1/customers', { type: 'individual', name: 'Bob Baker' });
      assert.equal(customer.status, 201, JSON.stringify(customer.body));
      bob = customer.body.customerNumber;
      // Bob owes $300 due 1 October (55 days past due), Jane $80 more due 10 November (15 days).
      const bills: [number, string, number][] = [
        [bob, '2026-10-01', 300],
        [server.seeded.customerNumber, '2026-11-10', 80],
      ];
      const invoices: number[] = [];
      for (const [customerNumber, dueDate, amount] of bills) {
        const res = await api.post('/api/v1/invoices', { customerNumber, dueDate, amount });
        assert.equal(res.status, 201, JSON.stringify(res.body));
        invoices.push(res.body.invoiceNumber);
      }
      // Jane pays $200 of her seeded invoice by check on 20 November (OPER); Bob $100 cash on
      // 24 November (NORTH).
      const posts = [
        {
          customer: server.seeded.customerNumber,
          invoice: server.seeded.invoiceNumber,
          amount: 200,
          date: '2026-11-20',
          bank: 'OPER',
          type: 'H',
        },
        { customer: bob, invoice: invoices[0], amount: 100, date: '2026-11-24', bank: 'NORTH', type: 'A' },
      ];
      for (const post of posts) {
        const res = await api.post('/api/v1/receipt/customer', {
          customerNumber: post.customer,
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

    async function signedIn(width = 1280): Promise<{ page: Page; pageErrors: string[] }> {
      const context = await browser.newContext({ viewport: { width, height: 900 }, acceptDownloads: true });
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

    /** The CSV the page's Export CSV link downloads, as rows of cells. */
    async function downloadCsv(page: Page): Promise<string[][]> {
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('link', { name: 'Export CSV' }).click(),
      ]);
      const stream = await download.createReadStream();
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks)
        .toString('utf8')
        .trim()
        .split('\r\n')
        .map((line) => line.split(','));
    }

    const cellsOf = (page: Page, selector: string) =>
      page
        .locator(selector)
        .evaluateAll((rows) =>
          rows.map((row) => [...row.querySelectorAll('th, td')].map((cell) => cell.textContent ?? '')),
        );

    test('AR aging: the chart and the table by customer match the ledger, and the CSV has the same figures', async () => {
      const { page, pageErrors } = await signedIn();
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Reports' }).click();
      await page.getByRole('heading', { level: 1, name: 'AR aging' }).waitFor();
      await page.getByLabel('As of').fill('2026-11-25');
      await page.getByRole('button', { name: 'Apply' }).click();
      await page.waitForURL((url) => url.searchParams.get('asOf') === '2026-11-25');
      await page.getByTestId('aging-summary').getByText('2 customers owe $1,330.50').waitFor();
      await page.locator('.report-chart svg.recharts-surface').first().waitFor();
      assert.deepEqual(await cellsOf(page, '.report-table tbody tr'), [
        [`${server.seeded.customerNumber} · Jane Smith`, '$1,050.50', '$80.00', '$0.00', '$0.00', '$0.00', '$1,130.50'],
        [`${bob} · Bob Baker`, '$0.00', '$0.00', '$200.00', '$0.00', '$0.00', '$200.00'],
      ]);
      assert.deepEqual(await cellsOf(page, '.report-table tfoot tr'), [
        ['All customers', '$1,050.50', '$80.00', '$200.00', '$0.00', '$0.00', '$1,330.50'],
      ]);
      // The ledger's own figures: the invoices' balances the API answers.
      const jane = await api.get(`/api/v1/invoices/${server.seeded.invoiceNumber}`);
      assert.equal(jane.body.balance, 1050.5);
      const csv = await downloadCsv(page);
      assert.deepEqual(csv.at(-1), ['TOTAL', '', '1050.50', '80.00', '200.00', '0.00', '0.00', '1330.50']);
      assert.equal(csv.length, 1 + 2 + 1);
      await page.screenshot({ path: join(RESULTS, `${target}-reports-ar-aging.png`), fullPage: true });
      assert.deepEqual(pageErrors, []);
    });

    test('collections: per day by channel and method, with the CSV', async () => {
      const { page, pageErrors } = await signedIn();
      await page.goto(`${server.url}/app/reports/collections?from=2026-11-01&to=2026-11-25`);
      await page.getByRole('heading', { level: 1, name: 'Collections' }).waitFor();
      await page.getByTestId('collections-summary').getByText('2 receipts · $300.00').waitFor();
      await page.locator('.report-chart svg.recharts-surface').first().waitFor();
      assert.equal(await page.getByLabel('From').inputValue(), '2026-11-01');
      // Columns: date, four channels, the methods seen (Cash, Check), total.
      assert.deepEqual(await cellsOf(page, '.report-table tbody tr'), [
        ['Nov 20, 2026', '$0.00', '$0.00', '$0.00', '$200.00', '$0.00', '$200.00', '$200.00'],
        ['Nov 24, 2026', '$0.00', '$0.00', '$0.00', '$100.00', '$100.00', '$0.00', '$100.00'],
      ]);
      const csv = await downloadCsv(page);
      assert.deepEqual(csv[0], [
        'date',
        'count',
        'total',
        'agent_sweep',
        'secure_checkout',
        'autopay',
        'manual',
        'Cash',
        'Check',
      ]);
      assert.equal(csv.length, 1 + 25 + 1);
      assert.deepEqual(csv.at(-1), ['TOTAL', '2', '300.00', '0.00', '0.00', '0.00', '300.00', '100.00', '200.00']);
      await page.screenshot({ path: join(RESULTS, `${target}-reports-collections.png`), fullPage: true });
      assert.deepEqual(pageErrors, []);
    });

    test('deposits: per bank and day, each receipt and the totals; one bank; the CSV; print hides navigation and controls', async () => {
      const { page, pageErrors } = await signedIn();
      await page.goto(`${server.url}/app/reports/deposits`);
      await page.getByRole('heading', { level: 1, name: 'Deposits' }).waitFor();
      // Today by default: nothing was deposited on 25 November.
      await page
        .getByTestId('deposit-summary')
        .getByText(/^0 receipts · \$0\.00 · Nov 25, 2026$/)
        .waitFor();
      await page.getByLabel('From').fill('2026-11-20');
      await page.getByLabel('To').fill('2026-11-24');
      await page.getByRole('button', { name: 'Apply' }).click();
      await page
        .getByTestId('deposit-summary')
        .getByText(/^2 receipts · \$300\.00/)
        .waitFor();
      await page.getByRole('heading', { level: 2, name: 'NORTH · NORTH Bank: $100.00' }).waitFor();
      await page.getByRole('heading', { level: 2, name: 'OPER · OPER Bank: $200.00' }).waitFor();
      const oper = page.getByRole('table', { name: 'Deposits to OPER' });
      assert.deepEqual(await cellsOf(page, '.report-bank:has(#bank-OPER) tbody tr'), [
        [
          'Nov 20, 2026',
          String(receipts[0]),
          `${server.seeded.customerNumber} · Jane Smith`,
          'Check',
          '1001',
          '$200.00',
        ],
        ['Nov 20, 2026 · 1 receipt', '$200.00'],
      ]);
      await oper.waitFor();
      await page.screenshot({ path: join(RESULTS, `${target}-reports-deposits.png`), fullPage: true });

      await page.getByLabel('Bank', { exact: true }).selectOption('NORTH');
      await page.getByRole('button', { name: 'Apply' }).click();
      await page.waitForURL((url) => url.searchParams.get('bankShortName') === 'NORTH');
      await page
        .getByTestId('deposit-summary')
        .getByText(/^1 receipt · \$100\.00/)
        .waitFor();
      const href = await page.getByRole('link', { name: 'Export CSV' }).getAttribute('href');
      assert.equal(href, '/api/v1/reports/deposits/export.csv?from=2026-11-20&to=2026-11-24&bankShortName=NORTH');
      const csv = await downloadCsv(page);
      assert.deepEqual(
        csv.slice(1).map((row) => [row[0], row[2], row[3], row[4], row[10]]),
        [
          ['NORTH', '2026-11-24', 'receipt', String(receipts[1]), '100.00'],
          ['NORTH', '2026-11-24', 'day total', '', '100.00'],
          ['NORTH', '', 'bank total', '', '100.00'],
        ],
      );

      await page.emulateMedia({ media: 'print' });
      assert.equal(await page.getByRole('navigation', { name: 'Main' }).isVisible(), false);
      assert.equal(await page.getByRole('navigation', { name: 'Reports' }).isVisible(), false);
      assert.equal(await page.getByRole('button', { name: 'Apply' }).isVisible(), false);
      assert.equal(await page.getByRole('link', { name: 'Export CSV' }).isVisible(), false);
      assert.equal(await page.getByRole('heading', { level: 1, name: 'Deposits' }).isVisible(), true);
      await page.pdf({ path: join(RESULTS, `${target}-reports-deposits.pdf`) }).catch(() => {});
      assert.deepEqual(pageErrors, []);
    });

    test('autopay: the success rate and reasons as the API counts them, and the CSV', async () => {
      const { page, pageErrors } = await signedIn();
      await page.goto(`${server.url}/app/reports/autopay?from=2026-11-01&to=2026-11-25`);
      await page.getByRole('heading', { level: 1, name: 'Autopay' }).waitFor();
      const json = await api.get('/api/v1/reports/autopay?from=2026-11-01&to=2026-11-25');
      assert.equal(json.status, 200, JSON.stringify(json.body));
      const attempts = json.body.totals.attempts as number;
      await page
        .getByTestId('autopay-summary')
        .getByText(new RegExp(`^${attempts} attempts? · ${json.body.totals.succeeded} succeeded`))
        .waitFor();
      await page.getByRole('table', { name: 'Decline reasons' }).waitFor();
      await page.locator('.report-chart svg.recharts-surface').first().waitFor();
      const csv = await downloadCsv(page);
      assert.deepEqual(csv[0], ['date', 'attempts', 'succeeded', 'declined', 'successRate']);
      assert.equal(csv.length, 1 + 25);
      await page.screenshot({ path: join(RESULTS, `${target}-reports-autopay.png`), fullPage: true });
      assert.deepEqual(pageErrors, []);
    });

    test('at 390 px wide each report fits the screen, its controls labelled', async () => {
      const { page, pageErrors } = await signedIn(390);
      const reports: [string, string, string[]][] = [
        ['ar-aging?asOf=2026-11-25', 'AR aging', ['As of']],
        ['collections?from=2026-11-01&to=2026-11-25', 'Collections', ['From', 'To']],
        ['deposits?from=2026-11-20&to=2026-11-24', 'Deposits', ['From', 'To', 'Bank']],
        ['autopay?from=2026-11-01&to=2026-11-25', 'Autopay', ['From', 'To']],
      ];
      for (const [path, title, labels] of reports) {
        await page.goto(`${server.url}/app/reports/${path}`);
        await page.getByRole('heading', { level: 1, name: title }).waitFor();
        await page.locator('.report-chart svg.recharts-surface').first().waitFor();
        for (const label of labels)
          assert.equal(await page.getByLabel(label, { exact: true }).isVisible(), true, `${title}: ${label}`);
        await page.getByRole('button', { name: 'Apply' }).waitFor();
        const width = await page.evaluate(() => document.documentElement.scrollWidth);
        assert.ok(width <= 390, `${title}: the page is ${width} px wide`);
        await page.screenshot({
          path: join(RESULTS, `${target}-reports-phone-${path.split('?')[0]}.png`),
          fullPage: true,
        });
      }
      assert.deepEqual(pageErrors, []);
    });
  });
}
