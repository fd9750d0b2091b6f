import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { openDatabase } from '../../../src/platform/db/database.ts';
import { adminQuery, migrateRetryingCatalogRaces } from '../../support/db.ts';
import { startSmtpServer, type TestSmtpServer } from '../../support/mail.ts';

const run = promisify(execFile);
const bin = join(import.meta.dirname, '..', '..', '..', 'bin', 'policypay.js');

/** `policypay doctor --json` with exactly this environment's policypay variables. */
async function doctor(env: Record<string, string>, ...args: string[]) {
  const base = { ...process.env, POLICYPAY_DEMO_API_KEY: '', POLICYPAY_SECRET_KEY: '', POLICYPAY_SECRET_KEYS: '' };
  const result = await run(process.execPath, [bin, 'doctor', '--json', ...args], {
    env: { ...base, ...env },
    timeout: 120_000,
  }).then(
    ({ stdout }) => ({ code: 0, stdout }),
    (error: { code: number; stdout: string; stderr: string }) => ({
      code: error.code,
      stdout: error.stdout || error.stderr,
    }),
  );
  const findings = JSON.parse(result.stdout).findings as { level: string; topic: string; message: string }[];
  return { code: result.code, findings, about: (topic: string) => findings.filter((f) => f.topic === topic) };
}

async function policypay(env: Record<string, string>, ...args: string[]) {
  return run(process.execPath, [bin, ...args], {
    env: { ...process.env, POLICYPAY_DEMO_API_KEY: '', ...env },
    timeout: 300_000,
  });
}

describe('policypay doctor on embedded PGlite', () => {
  let dir: string;
  let smtp: TestSmtpServer;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'policypay-doctor-'));
    smtp = await startSmtpServer();
  });
  after(async () => {
    await smtp.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('says a new data directory has no database yet, and creates none', async () => {
    const dataDir = join(dir, 'new');
    const result = await doctor({ DATABASE_URL: dataDir });
    assert.equal(result.code, 0);
    assert.match(result.about('database')[0]!.message, /no database there yet/);
    assert.equal(existsSync(join(dataDir, 'PG_VERSION')), false, 'the doctor created a database');
  });

  it('checks a loaded database: migrations, the generated key, a live SMTP server and a dead one', async () => {
    const dataDir = join(dir, 'demo');
    await policypay({ DATABASE_URL: dataDir, POLICYPAY_SECRET_KEY: '' }, 'demo');
    const result = await doctor({ DATABASE_URL: dataDir, SMTP_URL: smtp.url });
    assert.equal(result.code, 0, JSON.stringify(result.findings));
    assert.match(result.about('migrations')[0]!.message, /^all \d+ applied$/);
    assert.equal(result.about('secrets')[0]!.level, 'warning');
    assert.match(result.about('secrets')[0]!.message, /generated key .*policypay-secret\.key/);
    assert.deepEqual(result.about('e-mail')[0], {
      level: 'ok',
      topic: 'e-mail',
      message: `SMTP server ${new URL(smtp.url).host} answers`,
    });
    // Two processes cannot share it, and a mail server nobody listens on is a problem.
    const wrong = await doctor(
      { DATABASE_URL: dataDir, SMTP_URL: 'smtp://127.0.0.1:9' },
      '--api-processes',
      '2',
      '--timeout',
      '2',
    );
    assert.equal(wrong.code, 1);
    assert.equal(wrong.about('database')[0]!.level, 'problem');
    assert.equal(wrong.about('e-mail')[0]!.level, 'problem');
  });

  it('names a configuration error and stops there', async () => {
    const result = await doctor({ DATABASE_URL: join(dir, 'x'), PORT: '99999' });
    assert.equal(result.code, 1);
    assert.equal(result.findings.length, 1);
    assert.match(result.findings[0]!.message, /PORT/);
  });
});

describe('policypay doctor on PostgreSQL', {
  skip: !process.env.TEST_DATABASE_URL && 'TEST_DATABASE_URL is not set',
}, () => {
  const url = process.env.TEST_DATABASE_URL!;
  const schema = `doctor_${randomBytes(4).toString('hex')}`;
  const key = randomBytes(32).toString('base64');
  const env = () => {
    const withSchema = new URL(url);
    withSchema.searchParams.set('options', `-c search_path=${schema}`);
    return { DATABASE_URL: withSchema.toString(), POLICYPAY_SECRET_KEY: key };
  };
  const admin = (text: string) => adminQuery(url, text);
  before(async () => admin(`CREATE SCHEMA ${schema}`));
  after(async () => admin(`DROP SCHEMA ${schema} CASCADE`));

  it('reports pending migrations, then none once migrated; the connection budget; an unreachable server', async () => {
    const fresh = await doctor(env());
    assert.equal(fresh.code, 0, JSON.stringify(fresh.findings));
    assert.equal(fresh.about('migrations')[0]!.level, 'warning');
    assert.match(fresh.about('migrations')[0]!.message, /to apply at the next start/);
    assert.match(fresh.about('database')[0]!.message, /PostgreSQL \d+/);
    // Migrated as every test schema is (`policypay migrate` would look for Kysely's lock table
    // across every schema of the shared server, and find another test's).
    const handle = await openDatabase({ url, searchPath: schema });
    try {
      await migrateRetryingCatalogRaces(handle, schema);
    } finally {
      await handle.close();
    }
    const migrated = await doctor(env(), '--api-processes', '2', '--worker-processes', '1');
    assert.match(migrated.about('migrations')[0]!.message, /^all \d+ applied$/);
    assert.match(
      migrated.about('connections')[0]!.message,
      /2 API processes \(with workers\) and 1 worker process open up to 42 connections/,
    );
    assert.equal(migrated.about('secrets')[0]!.level, 'ok');
    const tooMany = await doctor(env(), '--api-processes', '40');
    assert.equal(tooMany.code, 1);
    assert.equal(tooMany.about('connections')[0]!.level, 'problem');

    const closed = new URL(url);
    closed.port = '9';
    const unreachable = await doctor({ ...env(), DATABASE_URL: closed.toString() }, '--timeout', '2');
    assert.equal(unreachable.code, 1);
    assert.match(unreachable.about('database')[0]!.message, /connection refused/);
  });
});
