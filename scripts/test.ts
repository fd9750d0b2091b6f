// The test suite's entry point (`npm test` runs typecheck and lint first). It prepares one
// migrated PGlite snapshot for all test files, checks the PostgreSQL server when one is
// configured, then runs Node's test runner over test/**/*.test.ts.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openDatabase } from '../src/platform/db/database.ts';
import { copyEmbeddedTemplate, ensureEmbeddedTemplate } from '../src/platform/db/embedded-template.ts';

const root = join(import.meta.dirname, '..');
console.log(`policypay tests on Node ${process.version}`);

async function prepareSnapshot(): Promise<string> {
  const dir = join(root, '.cache', 'test');
  await mkdir(dir, { recursive: true });
  // A copy of the embedded template (made by `npm install`, or here once per set of migrations),
  // not a fresh initdb, dumped uncompressed: test files restore that faster.
  await ensureEmbeddedTemplate();
  const copy = await mkdtemp(join(tmpdir(), 'policypay-snapshot-'));
  await copyEmbeddedTemplate(join(copy, 'data'));
  const handle = await openDatabase({ url: join(copy, 'data') });
  const dump = await handle.pglite!.dumpDataDir('none');
  await handle.close();
  await rm(copy, { recursive: true, force: true });
  const file = join(dir, `pglite-snapshot-${process.pid}.tar`);
  await writeFile(file, Buffer.from(await dump.arrayBuffer()));
  return file;
}

async function checkPostgres(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    const { rows } = await client.query('select version()');
    console.log(`PostgreSQL tests on ${url}: ${String(rows[0]?.version).split(',')[0]}`);
  } catch (error) {
    // CI must fail, not skip, when the server it was promised is not there.
    console.error(`TEST_DATABASE_URL=${url} is unreachable: ${(error as Error).message}`);
    process.exit(1);
  } finally {
    await client.end().catch(() => {});
  }
}

const pgUrl = process.env.TEST_DATABASE_URL;
if (pgUrl) await checkPostgres(pgUrl);
else console.log('TEST_DATABASE_URL not set: database tests run on PGlite only');

const snapshot = await prepareSnapshot();
const patterns = process.argv.slice(2);
// Test files (and the servers they spawn) encrypt stored secrets under this run's key, and their
// connectors call loopback test doubles: both allowed here explicitly, never by default.
const testEnv: Record<string, string> = { POLICYPAY_ALLOW_PRIVATE_CONNECTORS: 'true' };
if (!process.env.POLICYPAY_SECRET_KEY && !process.env.POLICYPAY_SECRET_KEYS) {
  testEnv.POLICYPAY_SECRET_KEY = randomBytes(32).toString('base64');
}
const child = spawn(
  process.execPath,
  ['--test', '--test-concurrency=2', ...(patterns.length ? patterns : ['test/**/*.test.ts'])],
  { cwd: root, stdio: 'inherit', env: { ...process.env, ...testEnv, POLICYPAY_TEST_SNAPSHOT: snapshot } },
);
child.on('exit', async (code, signal) => {
  await rm(snapshot, { force: true });
  process.exit(code ?? (signal ? 1 : 0));
});
