import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { signIn } from '../../../src/agency/users.ts';
import { openDatabase } from '../../../src/platform/db/database.ts';

const run = promisify(execFile);
const bin = join(import.meta.dirname, '..', '..', '..', 'bin', 'policypay.js');

async function policypay(dataDir: string, args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], {
      env: { ...process.env, DATABASE_URL: dataDir, POLICYPAY_DEMO_API_KEY: '', POLICYPAY_PASSWORD: '', ...env },
      timeout: 300_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

const create = (slug: string, ...more: string[]) => [
  'agency',
  'create',
  '--name',
  'Prairie Mutual Agency',
  '--slug',
  slug,
  '--time-zone',
  'America/Chicago',
  '--address-line1',
  '100 Main St',
  '--city',
  'Peoria',
  '--state',
  'IL',
  '--postal-code',
  '61602',
  '--backup-email',
  'office@prairie.example',
  '--staff-email',
  `owner@${slug}.example`,
  '--staff-name',
  'Olive Owner',
  ...more,
];

/** What the data directory holds, read after the CLI processes exited (the embedded database is one process's). */
async function inDatabase<T>(
  dataDir: string,
  work: (db: Awaited<ReturnType<typeof openDatabase>>['db']) => Promise<T>,
) {
  const database = await openDatabase({ url: dataDir });
  try {
    return await work(database.db);
  } finally {
    await database.close();
  }
}

describe('policypay agency create on an embedded database', () => {
  let dataDir: string;
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'policypay-agency-'));
  });
  after(async () => rm(dataDir, { recursive: true, force: true }));

  it('sets an agency up with a generated password whose staff can sign in; refuses a taken slug and a bad time zone', async () => {
    const created = await policypay(dataDir, create('prairie'));
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /created agency "Prairie Mutual Agency" \(prairie, /);
    const password = /staff sign-in: owner@prairie\.example \/ (\S+) \(shown once\)/.exec(created.stdout)?.[1];
    assert.ok(password, created.stdout);

    const given = await policypay(dataDir, create('lakeside'), { POLICYPAY_PASSWORD: 'a-chosen-password' });
    assert.equal(given.code, 0, given.stderr);
    assert.match(given.stdout, /staff sign-in: owner@lakeside\.example with the password given/);
    assert.doesNotMatch(given.stdout, /a-chosen-password/);

    const taken = await policypay(dataDir, create('prairie', '--staff-email', 'second@prairie.example'));
    assert.equal(taken.code, 1);
    assert.match(taken.stderr, /an agency with slug "prairie" already exists/);
    const zone = await policypay(dataDir, create('zoneless', '--time-zone', 'Mars/Olympus'));
    assert.equal(zone.code, 1);
    assert.match(zone.stderr, /timeZone: must be an IANA time zone/);
    const slug = await policypay(dataDir, create('Bad_Slug'));
    assert.equal(slug.code, 1);
    assert.match(slug.stderr, /slug: must be 1 to 63 lowercase letters/);

    await inDatabase(dataDir, async (db) => {
      const agencies = await db
        .selectFrom('agencies')
        .select(['slug', 'city', 'time_zone', 'settings'])
        .orderBy('slug')
        .execute();
      assert.deepEqual(
        agencies.map((a) => a.slug),
        ['lakeside', 'prairie'],
      );
      assert.equal(agencies[1]!.city, 'Peoria');
      assert.deepEqual(agencies[1]!.settings, { payments: { backupEmail: 'office@prairie.example' } });
      assert.equal((await db.selectFrom('users').select('email').execute()).length, 2);
      const session = await signIn(db as never, 'owner@prairie.example', password);
      assert.equal(session.agency.slug, 'prairie');
      assert.equal((await signIn(db as never, 'owner@lakeside.example', 'a-chosen-password')).agency.slug, 'lakeside');
    });
  });
});
