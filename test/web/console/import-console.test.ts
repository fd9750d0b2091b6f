// The import page of the staff console in Chromium: the four sample files in order (preview,
// commit, progress, done) with the book checked through the API, a malformed file's problems by
// row, column and rule with nothing written, the same file again creating nothing, and an agent
// who has no such page.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createUser } from '../../../src/agency/users.ts';
import { launchChromium } from '../../support/browser.ts';
import { databaseTargets } from '../../support/db.ts';
import { type ApiClient, apiClient } from '../../support/http.ts';
import { startTestServer, type TestServer } from '../../support/server.ts';

const samples = join(import.meta.dirname, '..', '..', '..', 'docs', 'import', 'samples');
const agent = { email: 'avery.agent@example.com', password: 'agent horse battery staple' };

/** Each sample in the order it must be imported, and what its preview says it creates. */
const order = [
  { kind: 'Customers', file: 'customers.csv', counts: { create: 3, unchanged: 0, skipped: 0 } },
  { kind: 'Contacts', file: 'contacts.csv', counts: { create: 2, unchanged: 0, skipped: 0 } },
  { kind: 'Policies', file: 'policies.csv', counts: { create: 3, unchanged: 0, skipped: 0 } },
  // 50003 was paid in full in the old system: nothing to collect, nothing written.
  { kind: 'Invoices', file: 'invoices.csv', counts: { create: 3, unchanged: 0, skipped: 1 } },
];

for (const target of databaseTargets()) {
  describe(`importing the book in the staff console (${target})`, { timeout: 300_000 }, () => {
    let server: TestServer;
    let browser: Browser;
    let api: ApiClient;
    const contexts: BrowserContext[] = [];

    before(async () => {
      server = await startTestServer({ target });
      browser = await launchChromium();
      api = apiClient(server.url, server.agency.apiKey);
      await createUser(server.database.db, server.agency.actor, { ...agent, name: 'Avery Agent', role: 'agent' });
    });
    after(async () => {
      for (const context of contexts) await context.close().catch(() => {});
      await browser?.close();
      await server?.close();
    });

    async function signedIn(as: { email: string; password: string }): Promise<{ page: Page; pageErrors: string[] }> {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      contexts.push(context);
      context.setDefaultTimeout(30_000);
      const page = await context.newPage();
      const pageErrors: string[] = [];
      page.on('pageerror', (error) => pageErrors.push(error.message));
      await page.goto(`${server.url}/login`);
      await page.getByLabel('Email').fill(as.email);
      await page.getByLabel('Password').fill(as.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL((url) => url.pathname === '/app/customers');
      return { page, pageErrors };
    }

    async function counts(page: Page) {
      const read = async (id: string) => Number(await page.getByTestId(id).textContent());
      return {
        create: await read('count-create'),
        unchanged: await read('count-unchanged'),
        skipped: await read('count-skipped'),
      };
    }

    async function preview(page: Page, kind: string, file: { name: string; text: string }) {
      await page.getByRole('radio', { name: new RegExp(`^\\d\\. ${kind}$`) }).check();
      await page.getByLabel('CSV file').setInputFiles({
        name: file.name,
        mimeType: 'text/csv',
        buffer: Buffer.from(file.text),
      });
      await page.getByRole('button', { name: 'Preview' }).click();
    }

    test('imports the four samples in order: preview, commit, progress, done; the same file again creates nothing', async () => {
      const { page, pageErrors } = await signedIn(server.staff);
      const posts: { path: string; key: string | undefined }[] = [];
      page.on('request', (request) => {
        const path = new URL(request.url()).pathname;
        if (request.method() === 'POST' && path.startsWith('/api/v1/imports')) {
          posts.push({ path, key: request.headers()['idempotency-key'] });
        }
      });
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
      await page.getByRole('navigation', { name: 'Settings' }).getByRole('link', { name: 'Import the book' }).click();
      await page.getByRole('link', { name: 'Open the import page' }).click();
      await page.waitForURL((url) => url.pathname === '/app/import');
      await page.getByRole('heading', { level: 1, name: 'Import the book' }).waitFor();
      await page.getByRole('table', { name: 'Recent imports' }).waitFor({ state: 'detached' });
      await page.getByText('Nothing has been imported yet.').waitFor();
      await page.getByText('Columns of the customers file').click();

      for (const step of order) {
        const text = await readFile(join(samples, step.file), 'utf8');
        await preview(page, step.kind, { name: step.file, text });
        // The example offered for the kind has the sample's columns.
        const example = await page.getByRole('link', { name: /^Download an example/ }).getAttribute('href');
        const exampleHeader = decodeURIComponent(example!.replace(/^data:text\/csv;charset=utf-8,/, '')).split('\n')[0];
        assert.equal(exampleHeader, text.split('\n')[0]);

        const shown = page.getByRole('region', { name: 'Preview' });
        await shown.getByRole('heading', { name: `Preview of ${step.file}` }).waitFor();
        assert.deepEqual(await counts(page), step.counts, step.file);
        await shown.getByRole('button', { name: 'Commit import' }).click();
        const done = page.getByRole('region', { name: 'Import done' });
        await done.getByRole('heading', { name: `Imported ${step.file}` }).waitFor();
        const bar = done.getByRole('progressbar', { name: 'Import progress' });
        const rows = text.trim().split('\n').length - 1;
        assert.equal(await bar.getAttribute('value'), String(rows));
        assert.equal(await bar.getAttribute('max'), String(rows));
        await done.getByText(`All of ${rows} rows done`).waitFor();
        await done.getByText(new RegExp(`^Done: ${step.counts.create} rows? created`)).waitFor();
        await page
          .getByRole('table', { name: 'Recent imports' })
          .getByRole('row', { name: new RegExp(`^${step.kind} ${step.file} .* Imported`) })
          .waitFor();
      }

      // The book through the API: the customers, their policies, and the open balances (opening AR).
      const acme = await api.get('/api/v1/customers?search=Acme');
      assert.equal(acme.body.data.length, 1, JSON.stringify(acme.body));
      const open = { 50001: 300, 50002: 120.5, 50004: 45 };
      for (const [number, balance] of Object.entries(open)) {
        const invoice = await api.get(`/api/v1/invoices/${number}`);
        assert.equal(invoice.status, 200, JSON.stringify(invoice.body));
        assert.equal(invoice.body.balance, balance, number);
      }
      assert.equal((await api.get('/api/v1/invoices/50003')).status, 404);
      const jane = (await api.get('/api/v1/invoices/50001')).body.customerNumber;
      const account = await api.get(`/api/v1/customers/${jane}/account`);
      assert.equal(account.body.arBalance, 420.5, JSON.stringify(account.body));
      const policies = await api.get(`/api/v1/customers/${jane}/policies`);
      assert.deepEqual(
        policies.body.data.map((p: { policyNumber: string; status: string }) => `${p.policyNumber} ${p.status}`),
        ['HO-2026-001 active'],
      );
      const luis = (await api.get('/api/v1/invoices/50004')).body.customerNumber;
      const canceled = await api.get(`/api/v1/customers/${luis}/policies`);
      assert.equal(canceled.body.data[0].status, 'canceled', JSON.stringify(canceled.body));

      // The customers file again: the same import, which creates nothing.
      await preview(page, 'Customers', {
        name: 'customers.csv',
        text: await readFile(join(samples, 'customers.csv'), 'utf8'),
      });
      await page
        .getByRole('region', { name: 'Preview' })
        .getByText(/it creates nothing new/)
        .waitFor();
      assert.deepEqual(await counts(page), { create: 0, unchanged: 3, skipped: 0 });
      assert.equal(await page.getByRole('button', { name: 'Commit import' }).count(), 0);
      assert.equal((await api.get('/api/v1/customers?search=Acme')).body.data.length, 1);
      // Four previews and commits, and the preview again: each POST with its own Idempotency-Key.
      assert.equal(posts.length, 9, JSON.stringify(posts));
      assert.equal(posts.filter((p) => p.path.endsWith('/commit')).length, 4);
      assert.equal(new Set(posts.map((p) => p.key).filter(Boolean)).size, 9, JSON.stringify(posts));
      assert.deepEqual(pageErrors, []);
    });

    test('a malformed customers file shows its problems by row, column and rule, and writes nothing', async () => {
      const { page, pageErrors } = await signedIn(server.staff);
      await page.goto(`${server.url}/app/import`);
      const csv = [
        'externalId,name,type,email',
        'AMS-9001,Bob Ray,individual,bob@example.com',
        'AMS-9002,,individual,',
        'AMS-9003,Cy Dee,corporation,cy-at-example',
        'AMS-9001,Ann Lee,individual,',
      ].join('\n');
      await preview(page, 'Customers', { name: 'broken-customers.csv', text: csv });
      const problems = page.getByRole('region', { name: 'Problems' });
      await problems.getByRole('heading', { name: 'Problems in broken-customers.csv' }).waitFor();
      assert.match(
        await problems.getByRole('alert').innerText(),
        /^4 problems found\. Nothing will be written until you fix these in the file/,
      );
      const cells = await problems
        .getByRole('table', { name: 'Problems' })
        .locator('tbody tr')
        .evaluateAll((rows) => rows.map((row) => [...row.querySelectorAll('td')].map((td) => td.textContent ?? '')));
      assert.deepEqual(cells, [
        ['3', 'name', 'is required'],
        ['4', 'type', 'must be one of individual, group'],
        ['4', 'email', 'must be an e-mail address'],
        ['5', 'externalId', 'repeats row 2'],
      ]);
      assert.equal(await page.getByRole('button', { name: 'Commit import' }).count(), 0);
      for (const name of ['Bob Ray', 'Cy Dee', 'Ann Lee']) {
        assert.equal((await api.get(`/api/v1/customers?search=${encodeURIComponent(name)}`)).body.data.length, 0, name);
      }
      await page
        .getByRole('table', { name: 'Recent imports' })
        .getByRole('row', { name: /^Customers broken-customers\.csv .* Has problems/ })
        .waitFor();
      assert.deepEqual(pageErrors, []);
    });

    test('while a commit runs the page shows its progress, read from the import as it is recorded', async () => {
      const { page, pageErrors } = await signedIn(server.staff);
      // The commit's answer is held back until the test has seen the progress the page polled for.
      let release!: () => void;
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      await page.route('**/api/v1/imports/*/commit', async (route) => {
        const response = await route.fetch();
        await released;
        await route.fulfill({ response });
      });
      await page.goto(`${server.url}/app/import`);
      const csv = 'externalId,name\nAMS-7001,Pat Poll\nAMS-7002,Quinn Poll\nAMS-7003,Rae Poll\nAMS-7004,Sol Poll\n';
      await preview(page, 'Customers', { name: 'poll-customers.csv', text: csv });
      const shown = page.getByRole('region', { name: 'Preview' });
      await shown.getByRole('heading', { name: 'Preview of poll-customers.csv' }).waitFor();
      await shown.getByRole('button', { name: 'Commit import' }).click();
      await shown.getByRole('button', { name: 'Committing…' }).waitFor();
      // Every batch is in (the server answered); the page knows only from GET /api/v1/imports/{id}.
      await shown.getByText('4 of 4 rows written').waitFor();
      assert.equal(await shown.getByRole('progressbar', { name: 'Import progress' }).getAttribute('value'), '4');
      release();
      const done = page.getByRole('region', { name: 'Import done' });
      await done.getByText('All of 4 rows done').waitFor();
      await done.getByText(/^Done: 4 rows created/).waitFor();
      assert.equal((await api.get('/api/v1/customers?search=Poll')).body.data.length, 4);
      assert.deepEqual(pageErrors, []);
    });

    test('an agent has no Settings and no import page', async () => {
      const { page, pageErrors } = await signedIn(agent);
      const nav = page.getByRole('navigation', { name: 'Main' });
      await nav.getByRole('link', { name: 'Customers' }).waitFor();
      assert.equal(await nav.getByRole('link', { name: 'Settings' }).count(), 0);
      await page.goto(`${server.url}/app/import`);
      await page.getByRole('heading', { level: 1, name: 'Page not found' }).waitFor();
      assert.equal(await page.getByRole('heading', { name: 'Import the book' }).count(), 0);
      assert.equal(await page.getByLabel('CSV file').count(), 0);
      assert.deepEqual(pageErrors, []);
    });
  });
}
