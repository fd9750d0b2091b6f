// The browser tests' Chromium: the machine's own when there is one, else the npm package's.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, chooseChromium, npmChromiumPath } from '../support/browser.ts';

describe('the Chromium the browser tests drive', () => {
  const none = () => false;

  it('is CHROMIUM_PATH when set, and refuses a CHROMIUM_PATH that does not exist', () => {
    const exists = (path: string) => path === '/opt/chrome/chrome' || path === '/usr/bin/chromium';
    assert.deepEqual(chooseChromium({ CHROMIUM_PATH: '/opt/chrome/chrome' }, exists), {
      source: 'CHROMIUM_PATH',
      path: '/opt/chrome/chrome',
    });
    assert.throws(
      () => chooseChromium({ CHROMIUM_PATH: '/opt/nope' }, exists),
      /CHROMIUM_PATH=\/opt\/nope does not exist/,
    );
  });

  it("is the system's when there is one, else the npm package's", () => {
    const debian = (path: string) => path === '/usr/bin/chromium';
    assert.deepEqual(chooseChromium({}, debian), { source: 'system', path: '/usr/bin/chromium' });
    assert.deepEqual(chooseChromium({ CHROMIUM_PATH: '' }, none), { source: 'npm' });
  });

  it("launches the npm package's Chromium on a machine without one, for page after page", async () => {
    // Always this one, even where a system Chromium exists: a fresh machine has only npm's.
    const browser = await chromium.launch({ executablePath: await npmChromiumPath(), args: CHROMIUM_ARGS });
    try {
      for (const name of ['first', 'second']) {
        const context = await browser.newContext();
        const page = await context.newPage();
        await page.setContent(`<main><h1>policypay</h1><p id="who">${name} page</p></main>`);
        assert.equal(await page.textContent('#who'), `${name} page`);
        assert.equal(await page.evaluate(() => 6 * 7), 42);
        await context.close();
      }
    } finally {
      await browser.close();
    }
  });
});
