import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { buildWebAssets } from '../../src/web/build.ts';

let outDir: string;

before(async () => {
  outDir = await mkdtemp(path.join(tmpdir(), 'policypay-web-'));
});

after(async () => {
  await rm(outDir, { recursive: true, force: true });
});

test('buildWebAssets writes index.html, app.js and app.css', async () => {
  await buildWebAssets(outDir);

  for (const name of ['index.html', 'app.js', 'app.css', 'favicon.svg']) {
    const info = await stat(path.join(outDir, name));
    assert.ok(info.size > 0, `${name} is empty`);
  }

  const html = await readFile(path.join(outDir, 'index.html'), 'utf8');
  assert.match(html, /<title>policypay<\/title>/);
  assert.match(html, /<script type="module" src="\/app\.js(\?v=[0-9a-f]+)?"><\/script>/);
  assert.match(html, /<link rel="stylesheet" href="\/app\.css(\?v=[0-9a-f]+)?">/);
  assert.match(html, /<div id="root"><\/div>/);

  const js = await readFile(path.join(outDir, 'app.js'), 'utf8');
  assert.ok(!js.includes('process.env.NODE_ENV'), 'NODE_ENV should be replaced at build time');
  assert.ok(js.includes('/api/v1/session'), 'bundle should contain the app code');
  // Minified code sits on a few very long lines (React's @license comments are kept at the end).
  const longestLine = Math.max(...js.split('\n').map((line) => line.length));
  assert.ok(longestLine > 10_000, 'bundle should be minified');
});

test('rebuilding into the same directory is idempotent', async () => {
  await buildWebAssets(outDir);
  const first = await readFile(path.join(outDir, 'index.html'), 'utf8');
  await buildWebAssets(outDir);
  const second = await readFile(path.join(outDir, 'index.html'), 'utf8');
  assert.equal(second, first, 'content hashes should be stable across builds');
});
