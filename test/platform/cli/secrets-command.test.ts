import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { amsDoubleMapping } from '../../../src/sync/doubles/mappings.ts';

const run = promisify(execFile);
const bin = join(import.meta.dirname, '..', '..', '..', 'bin', 'policypay.js');

/** The CLI with the harness's key taken away: each test says which keys the process gets. */
async function policypay(env: Record<string, string>, ...args: string[]) {
  const base = { ...process.env, POLICYPAY_DEMO_API_KEY: '', POLICYPAY_SECRET_KEY: '', POLICYPAY_SECRET_KEYS: '' };
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], {
      env: { ...base, ...env },
      timeout: 300_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('policypay secrets: the key of stored connector secrets', () => {
  let dataDir: string;
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'policypay-secrets-'));
  });
  after(async () => rm(dataDir, { recursive: true, force: true }));

  it('generates a key file for an embedded database, rotates to a new key, and refuses a wrong one', async () => {
    const db = { DATABASE_URL: dataDir };
    const demo = await policypay(db, 'demo');
    assert.equal(demo.code, 0, demo.stderr);
    assert.match(demo.stderr, /no POLICYPAY_SECRET_KEY: generated .*policypay-secret\.key/);
    const mapping = join(dataDir, 'mapping.json');
    await writeFile(mapping, JSON.stringify(amsDoubleMapping('https://ams.example.com')));
    const configured = await policypay(
      db,
      'sync',
      'connector',
      '--agency',
      'demo',
      '--system',
      'ams',
      '--mapping',
      mapping,
    );
    assert.equal(configured.code, 0, configured.stderr);
    assert.match(configured.stdout, /secret \S+ \(shown once\)/);
    const keyFile = join(dataDir, 'policypay-secret.key');
    assert.equal((await stat(keyFile)).mode & 0o777, 0o600);
    const local = (await readFile(keyFile, 'utf8')).trim();

    const next = randomBytes(32).toString('hex');
    const rotated = await policypay(
      { ...db, POLICYPAY_SECRET_KEYS: `next:${next},local:${local}` },
      'secrets',
      'rotate',
    );
    assert.equal(rotated.code, 0, rotated.stderr);
    assert.match(rotated.stdout, /re-encrypted 2 secret\(s\) under the primary key; 0 already were/);
    // The old key can go now.
    const migrated = await policypay({ ...db, POLICYPAY_SECRET_KEYS: `next:${next}` }, 'migrate');
    assert.equal(migrated.code, 0, migrated.stderr);

    const wrong = await policypay(
      { ...db, POLICYPAY_SECRET_KEYS: `next:${randomBytes(32).toString('hex')}` },
      'migrate',
    );
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /does not decrypt with key "next": the key is not the one it was encrypted with/);
    const gone = await policypay({ ...db, POLICYPAY_SECRET_KEY: local }, 'migrate');
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /encrypted under key "next", which is not configured/);
    const bad = await policypay({ ...db, POLICYPAY_SECRET_KEY: 'too-short' }, 'migrate');
    assert.match(bad.stderr, /POLICYPAY_SECRET_KEY must be a 32-byte key/);
  });

  it('requires the key from the environment on PostgreSQL, before connecting', async () => {
    const none = await policypay({ DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' }, 'migrate');
    assert.equal(none.code, 1);
    assert.match(none.stderr, /POLICYPAY_SECRET_KEY \(or POLICYPAY_SECRET_KEYS\) is required with PostgreSQL/);
  });

  it('prints a new key', async () => {
    const key = await policypay({}, 'secrets', 'generate-key');
    assert.equal(Buffer.from(key.stdout.trim(), 'base64').length, 32);
  });
});
