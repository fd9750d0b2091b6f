import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { openDatabase } from '../../../src/platform/db/database.ts';

const run = promisify(execFile);
const bin = join(import.meta.dirname, '..', '..', '..', 'bin', 'policypay.js');

async function policypay(dataDir: string, ...args: string[]) {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], {
      env: { ...process.env, DATABASE_URL: dataDir, POLICYPAY_DEMO_API_KEY: '', AUTOPAY_PLUGIN: '' },
      timeout: 300_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

// The test chooses both clocks, never the machine's. The demo dates every installment on the
// 10th (its policies start on 10 January, 10 December, …) and its imported items 12 to 30 days
// later; on 20 February every autopay time up to then (the 10th's, 3 or 5 days early) belongs to
// an invoice already past due, and the next ones (10 March's) have not come.
const DEMO_NOW = '2026-01-10T18:00:00.000Z';
const PASS_NOW = '2026-02-20T18:00:00.000Z';

describe('policypay autopay run', () => {
  let dataDir: string;
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'policypay-autopay-cli-'));
    const demo = await policypay(dataDir, 'demo', '--now', DEMO_NOW);
    assert.equal(demo.code, 0, demo.stderr);
  });
  after(async () => rm(dataDir, { recursive: true, force: true }));

  it('runs one pass for an agency with progress on stderr and a summary, recorded as a cli run', async () => {
    const now = PASS_NOW;
    const result = await policypay(dataDir, 'autopay', 'run', '--agency', 'demo', '--now', now);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`autopay pass as of ${now.replace(/[.]/g, '\\.')} with the default plugin`));
    const examined = Number(/demo: (\d+) due invoice\(s\) examined/.exec(result.stdout)?.[1]);
    assert.ok(examined > 0, result.stdout);
    // Nobody in the demo is enrolled: nothing is pulled, and the summary says why.
    assert.match(result.stdout, /fired 0: payments created 0, receipts posted 0, no payment 0, failed 0/);
    assert.match(result.stdout, /skipped \d+: .*not_enrolled \d+/);
    assert.match(result.stderr, new RegExp(`demo ${examined}/${examined}`));
    const database = await openDatabase({ url: dataDir });
    try {
      const runs = await sql<{ trigger: string; examined: number; as_of: Date }>`
        SELECT trigger, examined, as_of FROM autopay_runs`.execute(database.db);
      assert.deepEqual(runs.rows, [{ trigger: 'cli', examined, as_of: new Date(now) }]);
      // `demo --now` dated the book: its one canceled policy was canceled ten days before it.
      const canceled = await sql<{ d: string }>`
        SELECT cancellation_effective_date::text AS d FROM policies WHERE status = 'canceled'`.execute(database.db);
      assert.deepEqual(canceled.rows, [{ d: '2025-12-31' }]);
    } finally {
      await database.close();
    }

    // Every one of those invoices is past its due date by then, so the skips were final: the next
    // pass (every agency) has nothing left to read.
    const again = await policypay(dataDir, 'autopay', 'run', '--now', now);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /no agency has due autopay invoices/);
  });

  it('refuses a --now that is not an instant, and an unknown agency', async () => {
    const badNow = await policypay(dataDir, 'autopay', 'run', '--now', '2026-03-05');
    assert.notEqual(badNow.code, 0);
    assert.match(badNow.stderr, /ISO 8601 instant/);
    const unknown = await policypay(dataDir, 'autopay', 'run', '--agency', 'nope');
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no agency with slug "nope"/);
  });
});
