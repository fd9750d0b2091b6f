// The console's settings sections in Chromium, each shown TAKING EFFECT: a bank added and moved to
// another division (an API key limited to it follows), an installment plan edited (the next policy
// bills with its new lead days), the autopay deposit bank (the next autopay receipt goes there), a
// disallow eligibility setting (a portal payment is refused with its message). Bad input shows the
// field's error from the server's problem+json. Another agency never sees or feels any of it.
// E-mail and Portal branding: settings-email-branding.test.ts.
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createApiKey } from '../../../src/agency/api-keys.ts';
import { runAutopayPass } from '../../../src/autopay/autopay.ts';
import { transition } from '../../../src/customers/policies.ts';
import { systemActor } from '../../../src/kernel/actor.ts';
import { executePayment } from '../../../src/payments/execution.ts';
import { createProcessors } from '../../../src/payments/processor-registry.ts';
import { CARD_SUCCEEDS } from '../../../src/payments/processors/sandbox/test-numbers.ts';
import { launchChromium } from '../../support/browser.ts';
import { databaseTargets } from '../../support/db.ts';
import { createTestAgency, type TestAgency } from '../../support/fixtures.ts';
import { type ApiClient, apiClient } from '../../support/http.ts';
import { tokenizeCard, WEBHOOK_SECRET } from '../../support/payments.ts';
import { type PortalWorld, portalSessionFor, startPortalWorld } from '../../support/portal.ts';

const RESULTS = join(import.meta.dirname, '..', '..', '..', 'test-results');
const atPath = (pathname: string) => (url: URL) => url.pathname === pathname;

for (const target of databaseTargets()) {
  describe(`settings sections in Chromium (${target})`, { timeout: 300_000 }, () => {
    let world: PortalWorld;
    let browser: Browser;
    let other: TestAgency;
    let otherApi: ApiClient;
    const contexts: BrowserContext[] = [];
    let policies = 0;

    before(async () => {
      await mkdir(RESULTS, { recursive: true });
      world = await startPortalWorld(target, { web: true });
      browser = await launchChromium();
      other = await createTestAgency(world.database.db, 'Other Agency');
      otherApi = apiClient(world.url, other.apiKey);
    });
    after(async () => {
      for (const context of contexts) await context.close().catch(() => {});
      await browser?.close();
      await world?.close();
    });

    /** Staff signed in to the console, on the settings section `label`. */
    async function openSection(label: string): Promise<{ page: Page; pageErrors: string[] }> {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      contexts.push(context);
      context.setDefaultTimeout(30_000);
      const page = await context.newPage();
      const pageErrors: string[] = [];
      page.on('pageerror', (error) => pageErrors.push(error.message));
      await page.goto(`${world.url}/login`);
      await page.getByLabel('Email').fill(world.agency.staff.email);
      await page.getByLabel('Password').fill(world.agency.staff.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(atPath('/app/customers'));
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
      await page.getByRole('navigation', { name: 'Settings' }).getByRole('link', { name: label }).click();
      await page.getByRole('heading', { level: 2, name: label }).waitFor();
      return { page, pageErrors };
    }

    const shot = (page: Page, name: string) =>
      page.screenshot({ path: join(RESULTS, `${target}-settings-${name}.png`), fullPage: true });

    /** A customer (API) on a policy of `plan`, billed; returns its invoice numbers in due order. */
    async function billedPolicy(customerNumber: number, plan: string, effectiveDate: string) {
      const policyNumber = `SET-${++policies}`;
      const created = await world.api.post('/api/v1/policies', {
        customerNumber,
        policyNumber,
        lineOfBusiness: 'Auto',
        effectiveDate,
        expirationDate: `${Number(effectiveDate.slice(0, 4)) + 1}${effectiveDate.slice(4)}`,
        premium: 300,
        status: 'active',
        installmentPlan: plan,
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const billed = await world.api.post(`/api/v1/policies/${policyNumber}/bill`);
      assert.equal(billed.status, 201, JSON.stringify(billed.body));
      return {
        policyNumber,
        invoices: billed.body.installments.map((i: { invoiceNumber: number }) => i.invoiceNumber) as number[],
      };
    }

    test('banks: a bad short name shows its error; a bank is added and moved to a new division, and a key limited to it follows', async () => {
      const { page, pageErrors } = await openSection('Banks and divisions');
      const banks = page.getByTestId('banks');
      await banks.getByRole('cell', { name: 'OPER', exact: true }).waitFor();

      const form = page.getByRole('form', { name: 'Add a bank' });
      await form.getByLabel('Short name').fill('bad name!');
      await form.getByLabel('Name', { exact: true }).fill('Escrow account');
      await form.getByLabel('Division').fill('Trust');
      await form.getByRole('button', { name: 'Add bank' }).click();
      await form.getByText('must be 1–20 letters, digits, _ . or -', { exact: true }).waitFor();
      assert.equal(await form.getByLabel('Short name').getAttribute('aria-invalid'), 'true');
      await form.getByLabel('Short name').fill('ESCROW');
      await form.getByRole('button', { name: 'Add bank' }).click();
      await page.getByText('Bank ESCROW added.').waitFor();
      const row = banks.getByRole('row').filter({ hasText: 'ESCROW' });
      assert.match((await row.textContent()) ?? '', /ESCROW\s*Escrow account\s*Trust/);

      // A key limited to ESCROW (so to division Trust), then the bank moves to another division.
      const key = await createApiKey(world.database.db, world.agency.actor, {
        name: 'Escrow poster',
        role: 'agent',
        banks: ['ESCROW'],
      });
      await page.reload();
      const access = page.getByTestId('bank-access');
      await access.getByRole('row').filter({ hasText: 'Escrow poster' }).filter({ hasText: 'ESCROW' }).waitFor();
      await banks.getByRole('button', { name: 'Edit bank ESCROW' }).click();
      const edit = page.getByRole('form', { name: 'Edit bank ESCROW' });
      assert.equal(await edit.getByLabel('Short name').getAttribute('readonly'), '');
      await edit.getByLabel('Name', { exact: true }).fill('Client escrow');
      await edit.getByLabel('Division').fill('Escrow division');
      await edit.getByRole('button', { name: 'Save bank' }).click();
      await page.getByText('Bank ESCROW saved.').waitFor();
      await banks.getByRole('row').filter({ hasText: 'ESCROW' }).filter({ hasText: 'Client escrow' }).waitFor();
      assert.match(
        (await banks.getByRole('row').filter({ hasText: 'ESCROW' }).textContent()) ?? '',
        /Client escrow\s*Escrow division/,
      );
      await shot(page, 'banks');
      // The key still may deposit to its bank: its division grant followed the move.
      const stored = await world.database.db
        .selectFrom('api_keys')
        .select('divisions')
        .where('id', '=', key.id)
        .executeTakeFirstOrThrow();
      assert.deepEqual(stored.divisions, ['Escrow division']);

      // Another agency: none of it.
      const theirs = await otherApi.get('/api/v1/banks');
      assert.equal(theirs.status, 200);
      assert.deepEqual(theirs.body.data, []);
      const escrowId = await bankId('ESCROW');
      assert.equal((await otherApi.patch(`/api/v1/banks/${escrowId}`, { name: 'Taken over' })).status, 404);
      assert.deepEqual(pageErrors, []);
    });

    async function bankId(shortName: string): Promise<string> {
      const list = await world.api.get('/api/v1/banks');
      return list.body.data.find((b: { shortName: string }) => b.shortName === shortName).id;
    }

    test('installment plans: lead days -1 shows the error; lead days edited in the console bill the next policy', async () => {
      const { page, pageErrors } = await openSection('Installment plans');
      const form = page.getByRole('form', { name: 'Add an installment plan' });
      await form.getByLabel('Plan name').fill('Monthly console');
      await form.getByLabel('Number of installments').fill('3');
      await form.getByLabel('Frequency').selectOption('monthly');
      await form.getByLabel('Autopay lead days').fill('-1');
      await form.getByRole('button', { name: 'Add plan' }).click();
      await form.getByText('must be a whole number from 0 to 365', { exact: true }).waitFor();
      assert.equal(await form.getByLabel('Autopay lead days').getAttribute('aria-invalid'), 'true');
      await form.getByLabel('Autopay lead days').fill('5');
      await form.getByRole('button', { name: 'Add plan' }).click();
      await page.getByText('Plan “Monthly console” added.').waitFor();
      const plans = page.getByTestId('installment-plans');
      const row = plans.getByRole('row').filter({ hasText: 'Monthly console' });
      await row.getByText('5 days before due').waitFor();

      await row.getByRole('button', { name: 'Edit plan Monthly console' }).click();
      const edit = page.getByRole('form', { name: 'Edit plan “Monthly console”' });
      assert.equal(await edit.getByLabel('Autopay lead days').inputValue(), '5');
      await edit.getByLabel('Autopay lead days').fill('2');
      await edit.getByRole('button', { name: 'Save plan' }).click();
      await page.getByText('Plan “Monthly console” saved.').waitFor();
      await row.getByText('2 days before due').waitFor();
      await shot(page, 'installment-plans');

      // Due 2027-01-20: autopay two days before, at 06:00 Chicago (CST).
      const customer = await world.addCustomer('Plan Holder');
      const { invoices } = await billedPolicy(customer.customerNumber, 'Monthly console', '2027-01-20');
      const invoice = await world.api.get(`/api/v1/invoices/${invoices[0]}`);
      assert.equal(invoice.body.autopayTime, '2027-01-18T12:00:00.000Z');

      const theirs = await otherApi.get('/api/v1/installment-plans');
      assert.deepEqual(theirs.body.data, []);
      assert.deepEqual(pageErrors, []);
    });

    test('payment rules: the autopay deposit bank chosen in the console receives the next autopay receipt', async () => {
      const created = await world.api.post('/api/v1/banks', { shortName: 'TRUST', name: 'Trust', division: 'Main' });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const plan = await world.api.post('/api/v1/installment-plans', {
        name: 'Monthly autopay',
        installments: 3,
        frequency: 'monthly',
        autopayLeadDays: 5,
      });
      assert.equal(plan.status, 201, JSON.stringify(plan.body));

      const { page, pageErrors } = await openSection('Payment rules');
      await page.getByLabel('Autopay', { exact: true }).selectOption('TRUST');
      assert.equal(await page.getByLabel('Client portal payments').inputValue(), '');
      await page.getByRole('button', { name: 'Save settings' }).click();
      await page.getByText('Settings saved.').waitFor();
      await page.reload();
      assert.equal(await page.getByLabel('Autopay', { exact: true }).inputValue(), 'TRUST');
      await shot(page, 'payment-rules');

      // A customer enrolled in autopay with a card; the policy's first installment is due 2026-03-10,
      // taken 03-05 at 06:00 Chicago.
      const customer = await world.addCustomer('Autopay Payer');
      const method = await world.api.post(`/api/v1/customers/${customer.customerNumber}/payment-methods`, {
        processor: 'sandbox',
        token: await tokenizeCard(world.sandbox, CARD_SUCCEEDS),
      });
      assert.equal(method.status, 201, JSON.stringify(method.body));
      const enrolled = await world.api.post(`/api/v1/customers/${customer.customerNumber}/autopay`, {
        paymentMethodId: method.body.id,
      });
      assert.equal(enrolled.status, 200, JSON.stringify(enrolled.body));
      const { invoices } = await billedPolicy(customer.customerNumber, 'Monthly autopay', '2026-03-10');
      const run = await runAutopayPass(world.database.db, systemActor(world.agency.id, 'autopay'), {
        now: new Date('2026-03-05T12:00:00Z'),
        trigger: 'manual',
      });
      assert.equal(run.fired, 1, JSON.stringify(run));
      const firing = (await world.api.get(`/api/v1/invoices/${invoices[0]}/autopay`)).body.firing;
      assert.equal(firing.status, 'payment_created', JSON.stringify(firing));
      const processors = createProcessors({
        sandboxUrl: world.sandbox.url,
        sandboxWebhookSecret: WEBHOOK_SECRET,
        sandboxTimeoutMs: 5_000,
      });
      const result = await executePayment(world.database.db, processors, firing.paymentId, {
        now: new Date('2026-03-05T12:01:00Z'),
      });
      assert.equal(result.status, 'succeeded');
      const receipt = await world.database.db
        .selectFrom('payments')
        .innerJoin('receipts', 'receipts.id', 'payments.receipt_id')
        .innerJoin('banks', 'banks.id', 'receipts.bank_id')
        .select('banks.short_name')
        .where('payments.id', '=', firing.paymentId)
        .executeTakeFirstOrThrow();
      assert.equal(receipt.short_name, 'TRUST');

      const theirs = (await otherApi.get('/api/v1/settings/payments')).body;
      assert.deepEqual(theirs.defaultDepositBanks, { autopay: null, secure_checkout: null, agent_sweep: null });
      assert.deepEqual(pageErrors, []);
    });

    test('payment rules: a disallow setting saved in the console refuses a portal payment with its message; bad input names the field', async () => {
      const { page, pageErrors } = await openSection('Payment rules');
      const expiry = page.getByLabel('Days a request stays payable after its due date');
      await expiry.fill('400');
      await page.getByRole('button', { name: 'Save settings' }).click();
      await page.getByText('must be an integer from 0 to 365', { exact: true }).waitFor();
      assert.equal(await expiry.getAttribute('aria-invalid'), 'true');
      await expiry.fill('30');
      const nonPay = page.getByLabel(
        'Disallow external payments (agent sweep and electronic) against policies in Cancellation Pending for Non-Pay',
        { exact: true },
      );
      const poorHistory = page.getByLabel(/with the Poor Payment History$/);
      await poorHistory.check();
      await nonPay.check();
      assert.equal(await poorHistory.isChecked(), false, 'the two non-pay settings are exclusive');
      await page.getByRole('button', { name: 'Save settings' }).click();
      await page.getByText('Settings saved.').waitFor();

      // A client of a policy pending cancellation for non-pay tries to pay it in the portal.
      const customer = await world.addCustomer('Pending Payer');
      const { policyNumber, invoices } = await billedPolicy(customer.customerNumber, 'Monthly autopay', '2026-06-01');
      await transition(world.database.db, world.agency.actor, policyNumber, {
        to: 'cancellation_pending',
        reason: 'non_pay',
        effectiveDate: '2026-07-01',
      });
      const client = await portalSessionFor(world.database, world.agency, world.url, customer);
      const method = await client.post('/api/v1/portal/payment-methods', {
        token: await tokenizeCard(world.sandbox, CARD_SUCCEEDS),
      });
      assert.equal(method.status, 201, JSON.stringify(method.body));
      const refused = await client.post('/api/v1/portal/payments', {
        amount: 100,
        paymentMethodId: method.body.id,
        invoices: [{ invoiceNumber: invoices[0], amount: 100 }],
      });
      assert.equal(refused.status, 422, JSON.stringify(refused.body));
      assert.match(
        refused.body.detail,
        /pending cancellation for non-pay, and disallowCancellationPendingNonPay is on/,
        refused.body.detail,
      );

      // The other agency's rules are its own.
      const theirs = (await otherApi.get('/api/v1/settings/payments')).body;
      assert.equal(theirs.disallowCancellationPendingNonPay, false);
      assert.deepEqual(pageErrors, []);
    });
  });
}
