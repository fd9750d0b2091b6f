import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { BenefitsDouble } from '../../../src/sync/doubles/benefits-double.ts';
import { benefitsDoubleMapping } from '../../../src/sync/doubles/mappings.ts';

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

describe('policypay sync', () => {
  let dataDir: string;
  const benefits = new BenefitsDouble();
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'policypay-sync-cli-'));
    await benefits.start();
    const demo = await policypay(dataDir, 'demo');
    assert.equal(demo.code, 0, demo.stderr);
  });
  after(async () => {
    await benefits.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('configures a connector from a mapping file and runs the daily sync with progress and a summary', async () => {
    const bad = join(dataDir, 'bad.json');
    await writeFile(bad, JSON.stringify({ baseUrl: 'not a url' }));
    const refused = await policypay(
      dataDir,
      'sync',
      'connector',
      '--agency',
      'demo',
      '--system',
      'benefits',
      '--mapping',
      bad,
    );
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /mapping\/baseUrl: must be an http\(s\) URL/);
    assert.match(refused.stderr, /mapping\/customer:/);

    const file = join(dataDir, 'benefits.json');
    await writeFile(file, JSON.stringify(benefitsDoubleMapping(benefits.server.url)));
    const configured = await policypay(
      dataDir,
      'sync',
      'connector',
      '--agency',
      'demo',
      '--system',
      'benefits',
      '--mapping',
      file,
    );
    assert.equal(configured.code, 0, configured.stderr);
    assert.match(configured.stdout, /webhook: POST \/api\/v1\/sync\/webhooks\/demo\/benefits, secret \S+/);

    benefits.seed(3, (i) => ({ accountName: `CLI Account ${i}`, accountType: 'group' }));
    const first = await policypay(dataDir, 'sync', 'run', '--system', 'benefits', '--agency', 'demo');
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /demo: benefits sync completed — 3 record\(s\) in 1 page\(s\)/);
    assert.match(first.stdout, /created 3, linked 0, updated 0, unchanged 0/);
    assert.match(first.stderr, /demo \[#\] 3 records, 1 pages/);
    const again = await policypay(dataDir, 'sync', 'run', '--system', 'benefits');
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /demo: benefits sync completed — 0 record\(s\) in 0 page\(s\)/);

    await benefits.stop();
    const down = await policypay(dataDir, 'sync', 'run', '--system', 'benefits', '--agency', 'demo');
    assert.equal(down.code, 2, 'a failed sync is a failed command');
    assert.match(down.stdout, /stopped: .* \(re-run to go on from the cursor\)/);
    await benefits.server.restart();
  });

  it('walks the scenarios against the built-in doubles', async () => {
    const demo = await policypay(dataDir, 'sync', 'demo');
    assert.equal(demo.code, 0, demo.stderr);
    assert.match(
      demo.stdout,
      /after the daily sync: Acme Dental Group: customer \d+ — AMS synced \(AMS-\d+\), Benefits synced \(BP-\d+\)/,
    );
    assert.match(demo.stdout, /Birch Family: customer \d+ — Benefits synced \(BP-\d+\)\n/);
    assert.match(demo.stdout, /Dana Hub: customer \d+ — AMS synced \(AMS-\d+\), Benefits synced \(BP-\d+\)/);
    assert.match(demo.stdout, /the AMS has e-mail dana@new\.example/);
    assert.match(demo.stdout, /4 customers in policypay, no duplicates/);
  });
});
