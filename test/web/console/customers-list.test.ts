// The Customers list in the staff console pages by keyset (issue 19.6): "Next" asks for the
// customers after the last one shown (the API's nextAfter, kept in the URL), "Previous" goes back
// along the pages seen, a search pages the same way, and a link to a later page still leads back
// to the first. In Chromium at phone width.
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { createCustomer } from '../../../src/customers/customers.ts';
import { launchChromium } from '../../support/browser.ts';
import { databaseTargets } from '../../support/db.ts';
import { startTestServer, type TestServer } from '../../support/server.ts';

const RESULTS = join(import.meta.dirname, '..', '..', '..', 'test-results');
const PAGE_SIZE = 50;

for (const target of databaseTargets()) {
  describe(`the Customers list pages by keyset (${target})`, { timeout: 300_000 }, () => {
    let server: TestServer;
    let browser: Browser;
    let numbers: number[] = [];

    before(async () => {
      await mkdir(RESULTS, { recursive: true });
      server = await startTestServer({ target, clock: () => new Date('2026-11-25T15:00:00Z') });
      browser = await launchChromium();
      // 64 more customers (with the seeded one, 65: a full page, then 15); 55 are "Keyset" ones.
      for (let i = 1; i <= 64; i++) {
        await createCustomer(server.database.db, server.agency.actor, {
          type: 'individual',
          name: i <= 55 ? `Keyset Person ${i}` : `Other Person ${i}`,
        });
      }
      const all = await server.database.db
        .selectFrom('customers')
        .select('customer_number')
        .where('agency_id', '=', server.agency.id)
        .orderBy('customer_number')
        .execute();
      numbers = all.map((row) => row.customer_number);
      assert.equal(numbers.length, 65);
    });
    after(async () => {
      await browser?.close();
      await server?.close();
    });

    /** Waits until the table, loaded, shows exactly these customer numbers (a stale page may show first). */
    async function showsRows(page: Page, expected: number[]): Promise<void> {
      const rows = () =>
        page.evaluate(() =>
          [...document.querySelectorAll('table tbody tr td.mono')].map((cell) => Number(cell.textContent)),
        );
      try {
        await page.waitForFunction((want) => {
          if (document.querySelector('table')?.getAttribute('aria-busy') !== 'false') return false;
          const got = [...document.querySelectorAll('table tbody tr td.mono')].map((cell) => Number(cell.textContent));
          return JSON.stringify(got) === JSON.stringify(want);
        }, expected);
      } catch (error) {
        assert.deepEqual(await rows(), expected);
        throw error;
      }
    }

    test('Next and Previous walk the pages by number, with and without a search', async () => {
      const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
      context.setDefaultTimeout(30_000);
      const page = await context.newPage();
      const pageErrors: string[] = [];
      page.on('pageerror', (error) => pageErrors.push(error.message));
      await page.goto(`${server.url}/login`);
      await page.getByLabel('Email').fill(server.staff.email);
      await page.getByLabel('Password').fill(server.staff.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL((url) => url.pathname === '/app/customers');

      const pager = page.getByRole('navigation', { name: 'Customer pages' });
      const next = pager.getByRole('button', { name: 'Next' });
      const previous = pager.getByRole('button', { name: 'Previous' });

      await showsRows(page, numbers.slice(0, PAGE_SIZE));
      assert.equal(await previous.isDisabled(), true);
      await page.getByText(`Showing 1–${PAGE_SIZE}`).waitFor();
      await next.click();
      await page.waitForURL((url) => url.searchParams.get('after') === String(numbers[PAGE_SIZE - 1]));
      await showsRows(page, numbers.slice(PAGE_SIZE));
      await page.getByText(`Showing ${PAGE_SIZE + 1}–65`).waitFor();
      assert.equal(await next.isDisabled(), true, 'the last page has no Next');
      await page.screenshot({ path: join(RESULTS, `${target}-customers-list-page-2.png`), fullPage: true });
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `the second page is ${overflow}px wider than the phone`);
      await previous.click();
      await page.waitForURL((url) => !url.searchParams.has('after'));
      await showsRows(page, numbers.slice(0, PAGE_SIZE));

      // The browser's Back from the second page, then Next again: the position shown stays true.
      await next.click();
      await page.waitForURL((url) => url.searchParams.has('after'));
      await page.goBack();
      await page.waitForURL((url) => !url.searchParams.has('after'));
      await showsRows(page, numbers.slice(0, PAGE_SIZE));
      await next.click();
      await showsRows(page, numbers.slice(PAGE_SIZE));
      await page.getByText(`Showing ${PAGE_SIZE + 1}–65`).waitFor();
      await previous.click();
      await showsRows(page, numbers.slice(0, PAGE_SIZE));

      // A search pages the same way: its 55 matches, 50 then 5.
      await page.getByLabel('Search customers').fill('keyset');
      await page.waitForURL((url) => url.searchParams.get('search') === 'keyset');
      const keyset = numbers.slice(1, 56);
      await showsRows(page, keyset.slice(0, PAGE_SIZE));
      await next.click();
      await page.waitForURL((url) => url.searchParams.has('after'));
      await showsRows(page, keyset.slice(PAGE_SIZE));
      assert.equal(new URL(page.url()).searchParams.get('search'), 'keyset');

      // A link straight to a later page: where it starts is unknown, and Previous leads to the first.
      await page.goto(`${server.url}/app/customers?after=${numbers[59]}`);
      await showsRows(page, numbers.slice(60));
      await page.getByText('Showing 5', { exact: true }).waitFor();
      await previous.click();
      await page.waitForURL((url) => !url.searchParams.has('after'));
      await showsRows(page, numbers.slice(0, PAGE_SIZE));
      assert.deepEqual(pageErrors, []);
      await context.close();
    });
  });
}
