// What the staff console's browser tests share: signing a user in, and the phone check issue 19
// asks of every page (nothing wider than a 390 px screen, every control named), with a screenshot
// under test-results/ for a person to look at.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';

export const RESULTS = join(import.meta.dirname, '..', '..', 'test-results');
export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1280, height: 900 };

export interface Credentials {
  email: string;
  password: string;
}

/**
 * A new browser context signed in as `as` on the console at `url`, on the Customers page. The
 * context is pushed onto `contexts` for the test's `after` to close; page errors are collected.
 */
export async function signInToConsole(
  browser: Browser,
  contexts: BrowserContext[],
  url: string,
  as: Credentials,
  viewport = DESKTOP,
): Promise<{ page: Page; pageErrors: string[] }> {
  const context = await browser.newContext({ viewport });
  contexts.push(context);
  context.setDefaultTimeout(30_000);
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(`${url}/login`);
  await page.getByLabel('Email').fill(as.email);
  await page.getByLabel('Password').fill(as.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((u) => u.pathname === '/app/customers');
  return { page, pageErrors };
}

/**
 * Visible controls without an accessible name: no aria-label, aria-labelledby, <label>, text or
 * title. A screen reader (and Playwright's getByRole) cannot tell them apart.
 */
function unnamedControls(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>('a[href], button, input, select, textarea, [role="region"][tabindex]')]
      .filter((control) => control.getClientRects().length > 0)
      .filter((control) => {
        const labelledBy = (control.getAttribute('aria-labelledby') ?? '')
          .split(/\s+/)
          .map((id) => (id ? (document.getElementById(id)?.textContent ?? '') : ''))
          .join('');
        const labels = 'labels' in control ? [...((control as HTMLInputElement).labels ?? [])] : [];
        const name = [
          control.getAttribute('aria-label'),
          labelledBy,
          labels.map((label) => label.textContent).join(''),
          control instanceof HTMLInputElement
            ? ['submit', 'button', 'reset'].includes(control.type)
              ? control.value
              : ''
            : control.textContent,
          control.getAttribute('title'),
        ]
          .join('')
          .trim();
        return name === '';
      })
      .map((control) => control.outerHTML.slice(0, 120)),
  );
}

/**
 * The page as it stands fits the viewport's width and names every control; the screenshot
 * `test-results/<screenshot>.png` is taken first, so a failure leaves the picture behind.
 */
export async function fitsAndLabelled(page: Page, screenshot: string): Promise<void> {
  mkdirSync(RESULTS, { recursive: true });
  await page.screenshot({ path: join(RESULTS, `${screenshot}.png`), fullPage: true });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `${screenshot}: the page is ${overflow}px wider than the screen`);
  assert.deepEqual(await unnamedControls(page), [], `${screenshot}: controls without a name`);
}
