// A migrated, empty embedded database, copied into every new PGlite data directory.
//
// Creating a PGlite cluster runs initdb inside WebAssembly (4–10 s and ~500 MB of memory on the
// 2-core machines we measure on), and the migrations take another second; loading a copy of the
// result takes a file copy. The template is made once per set of migrations and PGlite version:
// by `npm install` (its `prepare` step runs `npm run build`) or the test harness. Like the web
// build it is content-addressed and moved into place whole.
import { existsSync } from 'node:fs';
import { cp, mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { contentHash, filesUnder } from '../content-hash.ts';
import { openDatabase } from './database.ts';
import { migrateToLatest } from './migrate.ts';

const repoRoot = path.join(import.meta.dirname, '..', '..', '..');

/** Where templates are kept (git-ignored). */
const defaultTemplateDir = path.join(repoRoot, '.cache', 'pglite');

/** A hash of what the template's content depends on: the migrations and the locked PGlite version. */
async function templateKey(): Promise<string> {
  const files = [
    ...(await filesUnder(path.join(import.meta.dirname, 'migrations'))),
    path.join(import.meta.dirname, 'migrate.ts'),
    // Migration 0029 seeds the fee rule table from this data file.
    path.join(repoRoot, 'src', 'payments', 'fees', 'fee-rules.json'),
  ];
  // Not the whole lockfile: any other dependency's update would throw the template away.
  const lock = JSON.parse(await readFile(path.join(repoRoot, 'package-lock.json'), 'utf8'));
  return contentHash(
    repoRoot,
    files,
    `pglite ${lock.packages?.['node_modules/@electric-sql/pglite']?.version ?? 'unknown'}`,
  );
}

function templatePath(dir: string, key: string): string {
  return path.join(dir, `template-${key}`);
}

/**
 * Copies the current template into `dataDir`, a data directory with no cluster yet, with the
 * operating system's file copy (~0.1 s; PGlite's own `loadDataDir` unpacks a tarball through its
 * WebAssembly file system, ~1.5 s). False when there is no current template: the caller lets
 * PGlite create the cluster.
 */
export async function copyEmbeddedTemplate(dataDir: string, dir: string = defaultTemplateDir): Promise<boolean> {
  const template = templatePath(dir, await templateKey());
  if (!existsSync(path.join(template, 'PG_VERSION'))) return false;
  // The data directory may exist already, holding the generated secret key (never overwritten).
  await cp(template, dataDir, { recursive: true, force: false });
  return true;
}

/** Makes the current template unless it exists, and removes older ones. Returns its directory. */
export async function ensureEmbeddedTemplate(
  dir: string = defaultTemplateDir,
): Promise<{ dir: string; built: boolean }> {
  const template = templatePath(dir, await templateKey());
  const built = !existsSync(template);
  if (built) await makeTemplate(template);
  for (const entry of await readdir(dir)) {
    if (entry !== path.basename(template) && /^template-[0-9a-f]{16}/.test(entry)) {
      await rm(path.join(dir, entry), { recursive: true, force: true });
    }
  }
  return { dir: template, built };
}

/** A migrated cluster made in a directory of its own, closed cleanly, then moved into place whole. */
async function makeTemplate(template: string): Promise<void> {
  await mkdir(path.dirname(template), { recursive: true });
  const temp = `${template}.${process.pid}.tmp`;
  await rm(temp, { recursive: true, force: true });
  try {
    const handle = await openDatabase({ url: temp });
    try {
      await migrateToLatest(handle.db);
    } finally {
      await handle.close();
    }
    await rename(temp, template).catch((error: NodeJS.ErrnoException) => {
      // Another process made the same template first; theirs is identical.
      if (!existsSync(template)) throw error;
    });
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

/** A PGlite data directory that holds no cluster yet (PostgreSQL marks one with PG_VERSION). */
export function isNewDataDir(dataDir: string | undefined): boolean {
  return dataDir === undefined || !existsSync(path.join(dataDir, 'PG_VERSION'));
}
