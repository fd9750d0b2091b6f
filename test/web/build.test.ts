// The Vite build: both entries, hashed assets, production React, and content-addressed reuse.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ensureWebAssets, webSourceHash } from '../../src/web/build.ts';

let root: string;

before(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'policypay-web-'));
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

async function scriptOf(dir: string, html: string): Promise<string> {
  const src = /<script type="module" crossorigin src="(\/assets\/[^"]+\.js)"><\/script>/.exec(html)?.[1];
  assert.ok(src, 'page should load a hashed module script from /assets/');
  return readFile(path.join(dir, src), 'utf8');
}

test('builds the staff console and the client portal with hashed assets', async () => {
  const { dir, built } = await ensureWebAssets(root);
  assert.equal(built, true);
  assert.equal(path.basename(dir), await webSourceHash());

  const consoleHtml = await readFile(path.join(dir, 'index.html'), 'utf8');
  assert.match(consoleHtml, /<title>policypay<\/title>/);
  assert.match(consoleHtml, /<div id="root"><\/div>/);
  assert.match(consoleHtml, /<link rel="stylesheet" crossorigin href="\/assets\/[^"]+\.css">/);
  const consoleJs = await scriptOf(dir, consoleHtml);
  assert.ok(consoleJs.includes('Request online payment'), 'console entry should contain the console pages');
  assert.ok(!consoleJs.includes('Make a One-Time Payment'), 'console entry should not carry the portal pages');

  const portalHtml = await readFile(path.join(dir, 'portal', 'index.html'), 'utf8');
  assert.match(portalHtml, /<title>Client portal<\/title>/);
  const portalJs = await scriptOf(dir, portalHtml);
  assert.ok(portalJs.includes('Make a One-Time Payment'), 'portal entry should contain the portal pages');
  assert.ok(!portalJs.includes('Request online payment'), 'portal entry should not carry the console pages');

  const assets = await readdir(path.join(dir, 'assets'));
  const all = (await Promise.all(assets.map((name) => readFile(path.join(dir, 'assets', name), 'utf8')))).join('\n');
  assert.ok(all.includes('/api/v1/session'), 'the shared API client is bundled');
  assert.ok(!all.includes('process.env.NODE_ENV'), 'NODE_ENV should be replaced at build time');
  assert.ok(!all.includes('react-dom.development'), 'the production build of React should be bundled');
  assert.ok(
    assets.every((name) => /-[A-Za-z0-9_-]{8}\.(js|css)$/.test(name)),
    `unhashed asset in ${assets}`,
  );
  assert.equal((await readFile(path.join(dir, 'favicon.svg'), 'utf8')).startsWith('<svg'), true);
});

test('an up-to-date build is reused, not rebuilt', async () => {
  const first = await ensureWebAssets(root);
  const before = await readFile(path.join(first.dir, 'index.html'), 'utf8');
  const again = await ensureWebAssets(root);
  assert.equal(again.built, false);
  assert.equal(again.dir, first.dir);
  assert.equal(await readFile(path.join(again.dir, 'index.html'), 'utf8'), before);
  // Only the current build and no leftover temporary directory.
  assert.deepEqual(await readdir(root), [path.basename(first.dir)]);
});

test('parallel builds into one root agree on a single complete directory', async () => {
  const other = await mkdtemp(path.join(tmpdir(), 'policypay-web-'));
  try {
    const [a, b] = await Promise.all([ensureWebAssets(other), ensureWebAssets(other)]);
    assert.equal(a.dir, b.dir);
    assert.deepEqual(await readdir(other), [path.basename(a.dir)]);
    await readFile(path.join(a.dir, 'portal', 'index.html'));
  } finally {
    await rm(other, { recursive: true, force: true });
  }
});
