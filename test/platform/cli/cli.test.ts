import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);
const bin = join(import.meta.dirname, '..', '..', '..', 'bin', 'policypay.js');

async function policypay(dataDir: string, ...args: string[]) {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], {
      env: { ...process.env, DATABASE_URL: dataDir, POLICYPAY_DEMO_API_KEY: '' },
      timeout: 300_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('policypay CLI on an embedded database', () => {
  let dataDir: string;
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'policypay-cli-'));
  });
  after(async () => rm(dataDir, { recursive: true, force: true }));

  it('migrates, loads the demo, creates API keys and users', async () => {
    const migrate = await policypay(dataDir, 'migrate');
    assert.equal(migrate.code, 0, migrate.stderr);
    assert.match(migrate.stdout, /up to date|applied/);
    const demo = await policypay(dataDir, 'demo');
    assert.equal(demo.code, 0, demo.stderr);
    assert.match(demo.stdout, /staff API key \(shown once\): pp_live_\S+/);
    const again = await policypay(dataDir, 'demo');
    assert.match(again.stdout, /already loaded/);
    const key = await policypay(dataDir, 'api-key', 'create', '--agency', 'demo', '--role', 'agent', '--banks', 'OPER');
    assert.equal(key.code, 0, key.stderr);
    assert.match(key.stdout.trim(), /^pp_live_[A-Za-z0-9_-]{40,}$/);
    const user = await policypay(
      dataDir,
      'user',
      'create',
      '--agency',
      'demo',
      '--email',
      'new@demo.example',
      '--name',
      'New Person',
      '--role',
      'agent',
      '--password',
      'a-long-password',
    );
    assert.equal(user.code, 0, user.stderr);
    assert.match(user.stdout, /created agent new@demo\.example/);
  });

  it('says clearly what is wrong instead of failing obscurely', async () => {
    const unknownAgency = await policypay(dataDir, 'api-key', 'create', '--agency', 'nope', '--role', 'staff');
    assert.equal(unknownAgency.code, 1);
    assert.match(unknownAgency.stderr, /no agency with slug "nope"/);
    // Another live process holds the data directory (this test's own pid stands in for a server).
    await writeFile(join(dataDir, 'policypay.lock'), String(process.pid));
    const busy = await policypay(dataDir, 'migrate');
    assert.equal(busy.code, 1);
    assert.match(busy.stderr, /in use by another policypay process \(pid \d+\)/);
    await rm(join(dataDir, 'policypay.lock'));
  });
});
