// Bundles the staff console (React) into a static directory: index.html, app.js, app.css, favicon.svg.
// Called at server start-up; the server serves the directory and falls back to index.html for SPA paths.
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { build } from 'esbuild';

const sourceDir = import.meta.dirname;

const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#6a5cff"/><stop offset="1" stop-color="#3aa0ff"/></linearGradient></defs><rect width="32" height="32" rx="8" fill="url(#g)"/><text x="16" y="21" font-family="system-ui,sans-serif" font-size="13" font-weight="700" fill="#fff" text-anchor="middle">pp</text></svg>
`;

function indexHtml(version: { js: string; css: string }): string {
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <meta name="color-scheme" content="light">
    <title>policypay</title>
    <link rel="icon" type="image/svg+xml" href="/favicon.svg">
    <link rel="stylesheet" href="/app.css?v=${version.css}">
    <script type="module" src="/app.js?v=${version.js}"></script>
  </head>
  <body>
    <div id="root"></div>
    <noscript>The policypay console needs JavaScript to run.</noscript>
  </body>
</html>
`;
}

function shortHash(contents: Uint8Array): string {
  return createHash('sha256').update(contents).digest('hex').slice(0, 12);
}

/**
 * Builds the console into `outDir` (created if missing): `app.js` (minified ESM bundle of main.tsx),
 * `app.css` (minified styles.css), `favicon.svg` and `index.html`, which references both assets with a
 * content-hash query string so they can be cached safely.
 */
export async function buildWebAssets(outDir: string): Promise<void> {
  const result = await build({
    entryPoints: [
      { in: path.join(sourceDir, 'main.tsx'), out: 'app' },
      { in: path.join(sourceDir, 'styles.css'), out: 'app' },
    ],
    outdir: outDir,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    jsx: 'automatic',
    define: { 'process.env.NODE_ENV': '"production"' },
    charset: 'utf8',
    logLevel: 'silent',
    write: false,
  });

  const byName = new Map(result.outputFiles.map((file) => [path.basename(file.path), file.contents]));
  const js = byName.get('app.js');
  const css = byName.get('app.css');
  if (!js || !css) throw new Error(`web build produced ${[...byName.keys()].join(', ')}, expected app.js and app.css`);

  await mkdir(outDir, { recursive: true });
  await Promise.all([
    writeFile(path.join(outDir, 'app.js'), js),
    writeFile(path.join(outDir, 'app.css'), css),
    writeFile(path.join(outDir, 'favicon.svg'), FAVICON_SVG),
  ]);
  // Written last so a server never hands out an index.html whose assets are not there yet.
  await writeFile(path.join(outDir, 'index.html'), indexHtml({ js: shortHash(js), css: shortHash(css) }));
}
