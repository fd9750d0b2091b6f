// Content addresses for the caches `npm install` prepares (the web build, the embedded database
// template): a hash of the files an output is made from, so a stale output is never reused.
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

/** Every file below `dir`, sorted (the hash must not depend on the order the disk lists them in). */
export async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort();
}

/**
 * The first 16 hex digits of a SHA-256 over each file's path (relative to `root`, so a checkout
 * elsewhere hashes alike) and content, then `extra` (what the files alone do not say).
 */
export async function contentHash(root: string, files: string[], extra = ''): Promise<string> {
  const hash = createHash('sha256');
  for (const file of files) {
    hash.update(path.relative(root, file)).update('\0');
    hash.update(await readFile(file)).update('\0');
  }
  hash.update(extra);
  return hash.digest('hex').slice(0, 16);
}
