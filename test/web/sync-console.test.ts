// The sync badges, the review queue and the AMS360 receipt exports in the staff console (Chromium).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { createBank } from '../../src/agency/banks.ts';
import { sendDueAmsReceipts } from '../../src/sync/ams360-receipts/sender.ts';
import { AmsDouble } from '../../src/sync/doubles/ams-double.ts';
import { BenefitsDouble } from '../../src/sync/doubles/benefits-double.ts';
import { amsDoubleMapping, benefitsDoubleMapping } from '../../src/sync/doubles/mappings.ts';
import { launchChromium } from '../support/browser.ts';
import { type AmsReceiptDouble, startAmsReceiptDouble } from '../support/doubles/ams360-receipt-double.ts';
import { type ApiClient, apiClient } from '../support/http.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { eventually, TEST_CONNECTOR_TIMING } from '../support/sync.ts';

describe('sync in the staff console (Chromium)', { timeout: 120_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let api: ApiClient;
  let ams: AmsDouble;
  let benefits: BenefitsDouble;
  let receiptsAms: AmsReceiptDouble;

  before(async () => {
    server = await startTestServer();
    api = apiClient(server.url, server.agency.apiKey);
    ams = new AmsDouble();
    benefits = new BenefitsDouble();
    await ams.start();
    await benefits.start();
    receiptsAms = await startAmsReceiptDouble();
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await receiptsAms?.stop();
    await ams?.stop();
    await benefits?.stop();
    await server?.close();
  });

  test('a customer shows its badges and external ids; staff resolve a review and retry a failed AMS360 receipt', async () => {
    // Connect both systems and push the seeded customer to both.
    for (const [system, mapping] of [
      ['ams', amsDoubleMapping(ams.server.url, TEST_CONNECTOR_TIMING)],
      ['benefits', benefitsDoubleMapping(benefits.server.url, TEST_CONNECTOR_TIMING)],
    ] as const) {
      const saved = await api.put(`/api/v1/sync/connectors/${system}`, { kind: 'rest', mapping });
      assert.equal(saved.status, 200, JSON.stringify(saved.body));
    }
    const customerNumber = server.seeded.customerNumber;
    const pushed = await api.post(`/api/v1/customers/${customerNumber}/sync`, { systems: ['ams', 'benefits'] });
    assert.equal(pushed.status, 202, JSON.stringify(pushed.body));
    const sync = await eventually(async () => {
      const body = (await api.get(`/api/v1/customers/${customerNumber}/sync`)).body;
      return body.badges.length === 2 ? body : undefined;
    }, 'both badges');

    // An ambiguous benefits account goes to the review queue.
    const local = await api.post('/api/v1/customers', {
      type: 'individual',
      name: 'Pat Lee',
      email: 'pat@old.example',
    });
    await benefits.createAccount({ accountName: 'Pat Lee', primaryContact: { email: 'pat@new.example' } });
    const run = await api.post('/api/v1/sync/runs', { system: 'benefits' });
    assert.equal(run.body.review, 1, JSON.stringify(run.body));

    // A receipt the AMS refuses.
    await createBank(server.database.db, server.agency.actor, {
      shortName: 'OPER',
      name: 'Operating',
      division: 'Main',
    });
    await api.put('/api/v1/connectors/ams360-receipts', { baseUrl: receiptsAms.url, sources: ['api'] });
    const receipt = await api.post('/api/v1/receipt/customer', {
      customerNumber,
      invoiceInformations: [{ paymentAmount: 25 }],
      receiptAmount: 25,
      receiptDate: '2026-11-20',
      receiptDateTimeZone: 'America/Chicago',
      bankShortName: 'OPER',
      paymentCheckType: 'Cash',
    });
    assert.equal(receipt.status, 201);
    const reference = `PP-${receipt.body.receiptNumber}`;
    receiptsAms.injectFaults('reject');
    await sendDueAmsReceipts(server.database.db);

    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    context.setDefaultTimeout(10_000);
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(`${server.url}/login`);
    await page.getByLabel('Email').fill(server.staff.email);
    await page.getByLabel('Password').fill(server.staff.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((url) => url.pathname === '/app/customers');

    await page.goto(`${server.url}/app/customers/${customerNumber}`);
    const panel = page.getByTestId('customer-sync');
    await panel.getByText('AMS synced', { exact: true }).waitFor();
    await panel.getByText('Benefits synced', { exact: true }).waitFor();
    for (const badge of sync.badges) await panel.getByText(badge.externalId, { exact: true }).waitFor();

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Sync' }).click();
    await page.waitForURL((url) => url.pathname === '/app/sync');
    const reviews = page.getByTestId('review-queue');
    await reviews.getByRole('button', { name: `Merge into #${local.body.customerNumber} Pat Lee` }).click();
    await reviews.getByText('Nothing to review').waitFor();
    const merged = await api.get('/api/v1/sync/reviews?status=merged');
    assert.equal(merged.body.data.length, 1);
    assert.equal(merged.body.data[0].customerNumber, local.body.customerNumber);

    const exportsSection = page.getByTestId('ams-receipts');
    await exportsSection.getByText(/bankShortName unknown bank/).waitFor();
    await exportsSection.getByRole('button', { name: `Retry ${reference}` }).click();
    await exportsSection.getByText('pending', { exact: true }).waitFor();
    await sendDueAmsReceipts(server.database.db);
    assert.equal(receiptsAms.countFor(reference), 1);

    await page.getByTestId('sync-log').getByRole('cell', { name: 'outbound' }).first().waitFor();
    assert.deepEqual(pageErrors, []);
    await context.close();
  });
});
