// Customers and policies in the staff console, in Chromium at phone width (390 px): a customer
// created and edited, a contact added and edited, a policy added, billed on its plan, moved to
// cancellation pending with its reason then canceled with a date (only the statuses the rules
// allow are offered), a refusal the API names under its field, an invoice page with its receipts
// and ledger lines, and an agent refused where the API refuses (billing is staff's).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createUser } from '../../../src/agency/users.ts';
import { launchChromium } from '../../support/browser.ts';
import { type Credentials, fitsAndLabelled as checkPage, PHONE, signInToConsole } from '../../support/console-pages.ts';
import { databaseTargets } from '../../support/db.ts';
import { type ApiClient, apiClient } from '../../support/http.ts';
import { startTestServer, type TestServer } from '../../support/server.ts';

const agent = { email: 'avery.agent@example.com', password: 'agent horse battery staple' };

for (const target of databaseTargets()) {
  describe(`customers and policies in the staff console (${target})`, { timeout: 300_000 }, () => {
    let server: TestServer;
    let browser: Browser;
    let api: ApiClient;
    const contexts: BrowserContext[] = [];
    let shot = 0;
    let customerNumber = 0;

    before(async () => {
      server = await startTestServer({ target, clock: () => new Date('2026-11-25T15:00:00Z') });
      browser = await launchChromium();
      api = apiClient(server.url, server.agency.apiKey);
      await createUser(server.database.db, server.agency.actor, { ...agent, name: 'Avery Agent', role: 'agent' });
      const plan = await api.post('/api/v1/installment-plans', {
        name: 'Quarterly',
        installments: 4,
        frequency: 'quarterly',
      });
      assert.equal(plan.status, 201, JSON.stringify(plan.body));
      const bank = await api.post('/api/v1/banks', { shortName: 'OPER', name: 'Operating', division: 'Main' });
      assert.equal(bank.status, 201, JSON.stringify(bank.body));
    });
    after(async () => {
      for (const context of contexts) await context.close().catch(() => {});
      await browser?.close();
      await server?.close();
    });

    function signedIn(as: Credentials): Promise<{ page: Page; pageErrors: string[] }> {
      return signInToConsole(browser, contexts, server.url, as, PHONE);
    }

    async function fitsAndLabelled(page: Page, name: string) {
      shot++;
      await checkPage(page, `${target}-customers-${String(shot).padStart(2, '0')}-${name}`);
    }

    test('staff create a customer, its contact and a policy, then cancel the policy through its lifecycle', async () => {
      const { page, pageErrors } = await signedIn(server.staff);

      // A customer: the API's refusal is named under its field, then the corrected one is created.
      await page.getByRole('button', { name: 'New customer' }).click();
      await page.getByLabel('Name').fill('Ada Lovelace');
      await page.getByLabel('E-mail').fill('not an address');
      await page.getByLabel('Phone').fill('555-0100');
      await page.getByLabel('Address line 1').fill('12 Analytical Way');
      await page.getByLabel('City').fill('Springfield');
      await page.getByLabel('State').fill('IL');
      await page.getByLabel('Postal code').fill('62701');
      await fitsAndLabelled(page, 'new-customer');
      await page.getByRole('button', { name: 'Create customer' }).click();
      await page.locator('#new-customer-email-error').waitFor();
      assert.match((await page.locator('#new-customer-email-error').textContent()) ?? '', /e-mail/);
      assert.equal(new URL(page.url()).pathname, '/app/customers');
      await page.getByLabel('E-mail').fill('ada@example.com');
      await page.getByRole('button', { name: 'Create customer' }).click();
      await page.waitForURL((url) => /^\/app\/customers\/\d+$/.test(url.pathname));
      customerNumber = Number(new URL(page.url()).pathname.split('/').at(-1));
      await page.getByRole('heading', { level: 1, name: 'Ada Lovelace' }).waitFor();
      const created = await api.get(`/api/v1/customers/${customerNumber}`);
      assert.deepEqual(created.body.address, {
        line1: '12 Analytical Way',
        city: 'Springfield',
        state: 'IL',
        postalCode: '62701',
      });

      // Edited: a new phone, the e-mail cleared.
      await page.getByRole('button', { name: 'Edit customer' }).click();
      await page.getByLabel('Phone').fill('555-0199');
      await page.getByLabel('E-mail').fill('');
      const patch = page.waitForRequest(
        (r) => r.method() === 'PATCH' && r.url().endsWith(`/customers/${customerNumber}`),
      );
      await page.getByRole('button', { name: 'Save customer' }).click();
      await page.getByText('Customer Ada Lovelace saved.').waitFor();
      // Only the edited fields are sent: they are what follows the customer to synced systems.
      assert.deepEqual((await patch).postDataJSON(), { email: null, phone: '555-0199' });
      const edited = await api.get(`/api/v1/customers/${customerNumber}`);
      assert.equal(edited.body.phone, '555-0199');
      assert.equal(edited.body.email, null);

      // A contact, added then edited.
      await page.getByRole('button', { name: 'Add contact' }).click();
      await page.getByLabel('Contact name').fill('Byron Lovelace');
      await page.getByLabel('Contact e-mail').fill('byron@example.com');
      await page.getByRole('button', { name: 'Add contact' }).last().click();
      await page.getByText('Contact Byron Lovelace added.').waitFor();
      const contacts = page.getByRole('table', { name: 'Contacts' });
      await contacts.getByRole('row', { name: /Byron Lovelace Primary byron@example\.com/ }).waitFor();
      await page.getByRole('button', { name: 'Edit contact Byron Lovelace' }).click();
      await page.getByLabel('Contact phone').fill('555-0142');
      await page.getByRole('button', { name: 'Save contact' }).click();
      await page.getByText('Contact Byron Lovelace saved.').waitFor();
      await contacts.getByRole('cell', { name: '555-0142' }).waitFor();

      // A policy on the quarterly plan, active from the start, billed on its plan.
      await page.getByRole('button', { name: 'Add policy' }).click();
      await page.getByLabel('Policy number').fill('HO-100');
      await page.getByLabel('Line of business').fill('Homeowners');
      await page.getByLabel('Effective date').fill('2026-11-01');
      await page.getByLabel('Expiration date').fill('2027-11-01');
      await page.getByLabel('Premium ($)').fill('1,200');
      await page.getByLabel('Installment plan').selectOption('Quarterly');
      await page.getByLabel('Starting status').selectOption('active');
      await fitsAndLabelled(page, 'new-policy');
      await page.getByRole('button', { name: 'Add policy' }).last().click();
      await page.getByText('Policy HO-100 added.').waitFor();
      await page.getByRole('region', { name: 'Policy HO-100' }).waitFor();
      await page.getByRole('button', { name: 'Bill on its plan' }).click();
      await page.getByText('Policy HO-100 billed: 4 invoices.').waitFor();

      // A billed policy keeps its premium: the API's refusal lands under the field.
      await page.getByRole('button', { name: 'Edit policy' }).click();
      await page.getByLabel('Premium ($)').fill('1300');
      await page.getByRole('button', { name: 'Save policy' }).click();
      await page.locator('#edit-policy-premium-error').waitFor();
      assert.match((await page.locator('#edit-policy-premium-error').textContent()) ?? '', /billed/);
      await page.getByLabel('Premium ($)').fill('1200');
      await page.getByLabel('Line of business').fill('Homeowners HO-3');
      await page.getByRole('button', { name: 'Save policy' }).click();
      await page.getByText('Policy HO-100 saved.').waitFor();

      // Only the statuses the lifecycle allows from active are offered.
      await page.getByRole('button', { name: 'Change status' }).click();
      const options = async () =>
        page.getByLabel('New status').evaluate((select: HTMLSelectElement) => [...select.options].map((o) => o.value));
      assert.deepEqual(await options(), ['cancellation_pending', 'canceled', 'expired']);
      await page.getByLabel('New status').selectOption('cancellation_pending');
      await page.getByLabel('Cancellation reason').selectOption('non_pay');
      assert.equal(await page.getByLabel('Cancellation effective date').count(), 0);
      await fitsAndLabelled(page, 'cancellation-pending');
      await page.getByRole('button', { name: 'Change status' }).click();
      await page.getByText('Policy HO-100 is now cancellation pending.').waitFor();
      await page.getByTestId('policy-status').getByText('Cancellation pending · Non-pay').waitFor();
      await page.getByRole('button', { name: 'Tag poor payment history' }).click();
      await page.getByText('Policy HO-100 tagged poor payment history.').waitFor();
      await page.getByRole('table', { name: 'Policies' }).getByText('Poor payment history').waitFor();

      await page.getByRole('button', { name: 'Change status' }).click();
      assert.deepEqual(await options(), ['active', 'canceled']);
      await page.getByLabel('New status').selectOption('canceled');
      await page.getByLabel('Cancellation effective date').fill('2026-12-15');
      await page.getByRole('button', { name: 'Change status' }).click();
      await page.getByText('Policy HO-100 is now canceled.').waitFor();
      await page.getByTestId('policy-status').getByText('Canceled · Non-pay · effective Dec 15, 2026').waitFor();
      await fitsAndLabelled(page, 'canceled');

      const policy = await api.get('/api/v1/policies/HO-100');
      assert.equal(policy.body.status, 'canceled');
      assert.equal(policy.body.cancellationReason, 'non_pay');
      assert.equal(policy.body.cancellationEffectiveDate, '2026-12-15');
      assert.equal(policy.body.lineOfBusiness, 'Homeowners HO-3');
      assert.deepEqual(policy.body.tags, ['poor_payment_history']);
      assert.deepEqual(pageErrors, []);
    });

    test("an invoice's page shows its amount, balance, receipts and ledger lines", async () => {
      assert.ok(customerNumber > 0, 'the first test created the customer');
      const account = await api.get(`/api/v1/customers/${customerNumber}/account`);
      const first = account.body.invoices[0];
      assert.equal(first.amount, 300, JSON.stringify(account.body));
      const receipt = await api.post('/api/v1/receipt/customer', {
        customerNumber,
        invoiceInformations: [{ invoiceNumber: first.invoiceNumber, paymentAmount: 100 }],
        receiptAmount: 100,
        receiptDate: '2026-11-20',
        receiptDateTimeZone: 'America/Chicago',
        bankShortName: 'OPER',
        paymentCheckType: 'Cash',
      });
      assert.equal(receipt.status, 201, JSON.stringify(receipt.body));

      const { page, pageErrors } = await signedIn(server.staff);
      await page.goto(`${server.url}/app/customers/${customerNumber}`);
      await page.getByRole('link', { name: `Invoice ${first.invoiceNumber}`, exact: true }).click();
      await page.waitForURL((url) => url.pathname === `/app/invoices/${first.invoiceNumber}`);
      await page.getByRole('heading', { level: 1, name: /^Invoice / }).waitFor();
      assert.equal(await page.getByTestId('invoice-amount').textContent(), '$300.00');
      assert.equal(await page.getByTestId('invoice-balance').textContent(), '$200.00');
      await page
        .getByText(/policy HO-100/)
        .first()
        .waitFor();
      const receipts = page.getByRole('table', { name: 'Receipts applied' });
      await receipts
        .getByRole('row', { name: new RegExp(`^${receipt.body.receiptNumber} .*OPER Posted \\$100\\.00$`) })
        .waitFor();
      const cells = await page
        .getByRole('table', { name: 'Ledger lines' })
        .locator('tbody tr')
        .evaluateAll((rows) => rows.map((row) => [...row.querySelectorAll('td')].map((td) => td.textContent ?? '')));
      // The billing (receivable up) and the receipt (receivable down, cash in at OPER).
      const receivable = cells.filter((row) => row[2] === String(first.invoiceNumber)).map((row) => row.slice(4));
      assert.deepEqual(receivable, [
        ['$300.00', ''],
        ['', '$100.00'],
      ]);
      assert.ok(
        cells.some((row) => row[1] === 'Cash' && row[3] === 'OPER' && row[4] === '$100.00'),
        JSON.stringify(cells),
      );
      await fitsAndLabelled(page, 'invoice');
      assert.deepEqual(pageErrors, []);
    });

    test('an agent edits a policy as the API allows, and is refused billing as the API refuses', async () => {
      assert.ok(customerNumber > 0, 'the first test created the customer');
      const created = await api.post('/api/v1/policies', {
        customerNumber,
        policyNumber: 'AU-200',
        lineOfBusiness: 'Auto',
        effectiveDate: '2026-12-01',
        expirationDate: '2027-06-01',
        premium: 600,
        installmentPlan: 'Quarterly',
        status: 'active',
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));

      const { page, pageErrors } = await signedIn(agent);
      await page.goto(`${server.url}/app/customers/${customerNumber}`);
      await page.getByRole('button', { name: 'Manage policy AU-200' }).click();
      await page.getByRole('button', { name: 'Edit policy' }).click();
      await page.getByLabel('Line of business').fill('Personal Auto');
      await page.getByRole('button', { name: 'Save policy' }).click();
      await page.getByText('Policy AU-200 saved.').waitFor();

      await page.getByRole('button', { name: 'Bill on its plan' }).click();
      const alert = page.getByRole('region', { name: 'Policy AU-200' }).getByRole('alert');
      await alert.getByText('this operation needs the role staff').waitFor();
      await fitsAndLabelled(page, 'agent-refused');
      const installments = await api.get(`/api/v1/customers/${customerNumber}/account`);
      assert.equal(
        installments.body.invoices.filter((i: { amount: number }) => i.amount === 150).length,
        0,
        'nothing billed for the agent',
      );
      assert.equal((await api.get('/api/v1/policies/AU-200')).body.lineOfBusiness, 'Personal Auto');
      assert.deepEqual(pageErrors, []);
    });
  });
}
