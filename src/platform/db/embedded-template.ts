// A migrated, empty embedded database, copied into every new PGlite data directory.
//
// Creating a PGlite cluster runs initdb inside WebAssembly (4–10 s and ~500 MB of memory on the
// 2-core machines we measure on), and the migrations take another second; loading a copy of the
// result takes about half a second. The copy is made once per set of migrations and locked
// dependencies: by `npm install` (its `prepare` step runs `npm run build`), or else by the first
// start that needs it. Like the web build it is content-addressed and moved into place whole.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { openDatabase } from './database.ts';
import { migrateToLatest } from './migrate.ts';

const repoRoot = path.join(import.meta.dirname, '..', '..', '..');

/** Where templates are kept (git-ignored). */
const defaultTemplateDir = path.join(repoRoot, '.cache', 'pglite');

/** A hash of what the template's content depends on: the migrations and the locked PGlite version. */
async function templateKey(): Promise<string> {
  const migrationsDir = path.join(import.meta.dirname, 'migrations');
  const entries = await readdir(migrationsDir, { withFileTypes: true, recursive: true });
  const files = entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort();
  const hash = createHash('sha256');
  for (const file of [
    ...files,
    path.join(import.meta.dirname, 'migrate.ts'),
    path.join(repoRoot, 'package-lock.json'),
  ]) {
    hash.update(path.relative(repoRoot, file)).update('\0');
    hash.update(await readFile(file)).update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

function templateFile(dir: string, key: string): string {
  return path.join(dir, `template-${key}.tar.gz`);
}

/** The current template, when one has been made; undefined otherwise (the caller creates the cluster). */
export async function readEmbeddedTemplate(dir: string = defaultTemplateDir): Promise<Blob | undefined> {
  const file = templateFile(dir, await templateKey());
  if (!existsSync(file)) return undefined;
  return new Blob([await readFile(file)]);
}

/** Makes the current template unless it exists, and removes older ones. Returns its path. */
export async function ensureEmbeddedTemplate(
  dir: string = defaultTemplateDir,
): Promise<{ file: string; built: boolean }> {
  const file = templateFile(dir, await templateKey());
  const built = !existsSync(file);
  if (built) await makeTemplate(file);
  for (const entry of await readdir(dir)) {
    if (entry !== path.basename(file) && /^template-[0-9a-f]{16}\.tar\.gz$/.test(entry)) {
      await rm(path.join(dir, entry), { force: true });
    }
  }
  return { file, built };
}

async function makeTemplate(file: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const handle = await openDatabase({ url: 'memory://' });
  let tarball: Blob;
  try {
    await migrateToLatest(handle.db);
    tarball = await handle.pglite!.dumpDataDir('gzip');
  } finally {
    await handle.close();
  }
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, Buffer.from(await tarball.arrayBuffer()));
  await rename(temp, file);
}

/** A PGlite data directory that holds no cluster yet (PostgreSQL marks one with PG_VERSION). */
export function isNewDataDir(dataDir: string | undefined): boolean {
  return dataDir === undefined || !existsSync(path.join(dataDir, 'PG_VERSION'));
}
