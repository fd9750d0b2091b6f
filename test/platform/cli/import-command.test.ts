// `policypay import`: the documented samples through the real command on an embedded database,
// a dry run that writes nothing, a re-run that creates nothing, and problems printed as
// `row N, column X: rule` with a failing exit code.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { IMPORT_HEAP_MB } from '../../../src/imports/import-heap.ts';
import { openDatabase } from '../../../src/platform/db/database.ts';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..', '..');
const bin = join(root, 'bin', 'policypay.js');
const samples = join(root, 'docs', 'import', 'samples');
const sampleFiles = ['invoices', 'policies', 'contacts', 'customers'].map((kind) => join(samples, `${kind}.csv`));

async function policypay(dataDir: string, ...args: string[]) {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], {
      env: { ...process.env, DATABASE_URL: dataDir, POLICYPAY_DEMO_API_KEY: '', POLICYPAY_PASSWORD: 'x'.repeat(12) },
      timeout: 300_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('policypay import', () => {
  let dir: string;
  let dataDir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'policypay-import-cli-'));
    dataDir = join(dir, 'data');
    const created = await policypay(
      dataDir,
      ...['agency', 'create', '--name', 'Prairie Agency', '--slug', 'prairie', '--time-zone', 'America/Chicago'],
      ...['--backup-email', 'office@prairie.example', '--staff-email', 'sam@prairie.example', '--staff-name', 'Sam'],
    );
    assert.equal(created.code, 0, created.stderr);
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  async function figures() {
    const database = await openDatabase({ url: dataDir });
    try {
      const row = await sql<{ customers: number; invoices: number; ar: string | null }>`
        SELECT (SELECT count(*)::int FROM customers) AS customers, (SELECT count(*)::int FROM invoices) AS invoices,
          (SELECT sum(amount_cents)::text FROM journal_lines WHERE account = 'accounts_receivable') AS ar`.execute(
        database.db,
      );
      return row.rows[0]!;
    } finally {
      await database.close();
    }
  }

  it("runs the import with V8's heap capped, unless the caller chose a cap", async () => {
    // Each Node process that starts prints its heap limit (NODE_OPTIONS reaches the re-run too).
    const probe = join(dir, 'heap-probe.cjs');
    await writeFile(
      probe,
      "process.stderr.write('heap-limit ' + require('node:v8').getHeapStatistics().heap_size_limit + '\\n');\n",
    );
    const limits = async (nodeOptions: string) => {
      const { stderr } = await run(process.execPath, [bin, 'import', '--help'], {
        env: { ...process.env, NODE_OPTIONS: nodeOptions },
      });
      return [...stderr.matchAll(/heap-limit (\d+)/g)].map((m) => Number(m[1]) / 2 ** 20);
    };
    const [launcher, capped, ...more] = await limits(`--require=${probe}`);
    assert.deepEqual(more, []);
    // The old space at IMPORT_HEAP_MB, plus the young generation V8 counts in the limit (as much again).
    assert.ok(capped! >= IMPORT_HEAP_MB && capped! <= IMPORT_HEAP_MB * 2 + 64, `capped at ${capped} MiB`);
    assert.ok(launcher! > capped!, `the launcher keeps V8's default (${launcher} MiB)`);
    const own = await limits(`--require=${probe} --max-old-space-size=700`);
    assert.equal(own.length, 1, 'no second process when the caller set a cap');
    assert.ok(own[0]! >= 700, `${own[0]} MiB`);
  });

  it('a dry run previews and writes nothing', async () => {
    const result = await policypay(dataDir, 'import', '--agency', 'prairie', '--dry-run', sampleFiles[3]!);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /customers\.csv \(customers\): 3 row\(s\): 3 to create, 0 unchanged/);
    assert.match(result.stdout, /dry run: nothing was written/);
    assert.deepEqual(await figures(), { customers: 0, invoices: 0, ar: null });
  });

  it('imports the samples in kind order with progress, and a re-run creates nothing', async () => {
    const result = await policypay(dataDir, 'import', '--agency', 'prairie', ...sampleFiles);
    assert.equal(result.code, 0, result.stderr);
    const order = [...result.stdout.matchAll(/(\w+)\.csv: imported/g)].map((m) => m[1]);
    assert.deepEqual(order, ['customers', 'contacts', 'policies', 'invoices']);
    // Not a TTY here: the progress is a plain line with a percentage.
    assert.match(result.stderr, /invoices\.csv 4\/4 \(100%\)/);
    assert.deepEqual(await figures(), { customers: 3, invoices: 3, ar: '46550' });
    const again = await policypay(dataDir, 'import', '--agency', 'prairie', ...sampleFiles);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /invoices\.csv \(invoices\): 4 row\(s\): 0 to create, 3 unchanged, 1 skipped/);
    assert.deepEqual(await figures(), { customers: 3, invoices: 3, ar: '46550' });
  });

  it('prints each problem as row, column and rule and fails without writing', async () => {
    const file = join(dir, 'invoices-bad.csv');
    await writeFile(
      file,
      'invoiceNumber,customer,dueDate,amount,openBalance\n70001,AMS-1001,31/12/2026,10.00,10.00\n70002,AMS-1001,2026-12-31,ten,10.00\n',
    );
    const result = await policypay(dataDir, 'import', '--agency', 'prairie', file);
    assert.equal(result.code, 1);
    assert.match(result.stdout, /row 2, column dueDate: must be a date YYYY-MM-DD or M\/D\/YYYY/);
    assert.match(result.stdout, /row 3, column amount: must be an amount with at most 2 decimals/);
    assert.match(result.stderr, /2 problem\(s\); nothing was imported from it/);
    assert.deepEqual(await figures(), { customers: 3, invoices: 3, ar: '46550' });
  });
});
