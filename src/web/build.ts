// Builds the web UI with Vite: the staff console (index.html → main.tsx) and the client portal
// (portal/index.html → portal/main.tsx) as two entries of one build sharing chunks.
//
// Builds are content-addressed: `ensureWebAssets(root)` hashes the UI sources and the lockfile and
// serves `root/<hash>/`, building it only when missing. A directory is moved into place whole once
// complete and never changed afterwards, so `npm start` reuses a build from `npm run build`, and
// parallel test processes can share one cache without a server ever seeing half a build.
//
// `npm run build` (scripts/build.ts, also npm's `prepare` step) builds into `dist/web`.
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { contentHash, filesUnder } from '../platform/content-hash.ts';

const sourceDir = import.meta.dirname;
const repoRoot = path.join(sourceDir, '..', '..');
const STAMP = '.build-hash';

/** Where `npm start` and `npm run build` keep builds. */
const defaultWebRoot = path.join(repoRoot, 'dist', 'web');

/** A hash of everything the build output depends on: the UI sources and the locked dependency versions. */
export async function webSourceHash(): Promise<string> {
  return contentHash(repoRoot, [...(await filesUnder(sourceDir)), path.join(repoRoot, 'package-lock.json')]);
}

/** Builds both entries into `outDir` (emptied first) and stamps it with `hash` last. */
async function buildWebAssets(outDir: string, hash?: string): Promise<void> {
  // Loaded on demand: importing Vite costs ~0.3 s, which a start with an up-to-date build skips.
  const [{ build }, { default: react }] = await Promise.all([import('vite'), import('@vitejs/plugin-react')]);
  await build({
    configFile: false,
    envFile: false,
    root: sourceDir,
    base: '/',
    mode: 'production',
    logLevel: 'silent',
    clearScreen: false,
    cacheDir: path.join(repoRoot, '.cache', 'vite'),
    publicDir: path.join(sourceDir, 'public'),
    plugins: [react()],
    build: {
      outDir,
      emptyOutDir: true,
      target: 'es2022',
      reportCompressedSize: false,
      rolldownOptions: {
        input: {
          console: path.join(sourceDir, 'index.html'),
          portal: path.join(sourceDir, 'portal', 'index.html'),
        },
      },
    },
  });
  await writeFile(path.join(outDir, STAMP), `${hash ?? (await webSourceHash())}\n`);
}

function isComplete(dir: string): boolean {
  return existsSync(path.join(dir, STAMP));
}

/**
 * The directory holding an up-to-date build under `root`, building it if needed. Older builds
 * under `root` are removed after a new one lands.
 */
export async function ensureWebAssets(root: string = defaultWebRoot): Promise<{ dir: string; built: boolean }> {
  const hash = await webSourceHash();
  const dir = path.join(root, hash);
  if (isComplete(dir)) return { dir, built: false };

  await mkdir(root, { recursive: true });
  const temp = path.join(root, `.tmp-${hash}-${process.pid}-${Date.now()}`);
  try {
    await buildWebAssets(temp, hash);
    await rename(temp, dir).catch(async (error: NodeJS.ErrnoException) => {
      // Another process finished the same build first; theirs is identical.
      if (!isComplete(dir)) throw error;
    });
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
  for (const entry of await readdir(root)) {
    if (entry !== hash && /^[0-9a-f]{16}$/.test(entry))
      await rm(path.join(root, entry), { recursive: true, force: true });
  }
  return { dir, built: true };
}
