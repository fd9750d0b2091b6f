import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { createAgency } from '../../../src/agency/agencies.ts';
import { openDatabase } from '../../../src/platform/db/database.ts';
import {
  copyEmbeddedTemplate,
  ensureEmbeddedTemplate,
  isNewDataDir,
} from '../../../src/platform/db/embedded-template.ts';
import { migrationStatus } from '../../../src/platform/db/migrate.ts';

describe('the embedded database template', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'policypay-template-'));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  it('is made once per set of migrations, replaces older ones, and starts a data directory fully migrated', async () => {
    const templates = join(dir, 'templates');
    const dataDir = join(dir, 'data');
    assert.equal(await copyEmbeddedTemplate(dataDir, templates), false, 'copied a template that does not exist');
    assert.equal((await ensureEmbeddedTemplate(templates)).built, true);
    await mkdir(join(templates, 'template-0123456789abcdef'));
    const first = await ensureEmbeddedTemplate(templates);
    assert.equal(first.built, false, 'made again although current');
    assert.deepEqual(await readdir(templates), [basename(first.dir)]);

    assert.equal(isNewDataDir(dataDir), true);
    assert.equal(await copyEmbeddedTemplate(dataDir, templates), true);
    assert.equal(isNewDataDir(dataDir), false);
    const opened = await openDatabase({ url: dataDir });
    try {
      const status = await migrationStatus(opened.db);
      assert.deepEqual([status.pending, status.unknown], [[], []]);
      assert.ok(status.applied.length > 10);
      await createAgency(opened.db, { slug: 'from-template', name: 'From template', timeZone: 'UTC' });
    } finally {
      await opened.close();
    }
    // The copy is the data directory's own: what was written is there at the next open, and the
    // template is unchanged.
    const reopened = await openDatabase({ url: dataDir });
    try {
      const { rows } = await sql<{ slug: string }>`select slug from agencies`.execute(reopened.db);
      assert.deepEqual(
        rows.map((r) => r.slug),
        ['from-template'],
      );
    } finally {
      await reopened.close();
    }
    const fromTemplate = await openDatabase({ url: first.dir });
    try {
      const { rows } = await sql<{ n: string }>`select count(*)::text as n from agencies`.execute(fromTemplate.db);
      assert.equal(rows[0]!.n, '0');
    } finally {
      await fromTemplate.close();
    }
  });
});
