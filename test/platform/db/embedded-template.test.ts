import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { createAgency } from '../../../src/agency/agencies.ts';
import { openDatabase } from '../../../src/platform/db/database.ts';
import {
  ensureEmbeddedTemplate,
  isNewDataDir,
  readEmbeddedTemplate,
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
    assert.equal(await readEmbeddedTemplate(templates), undefined);
    assert.equal((await ensureEmbeddedTemplate(templates)).built, true);
    await writeFile(join(templates, 'template-0123456789abcdef.tar.gz'), 'an older one');
    const first = await ensureEmbeddedTemplate(templates);
    assert.equal(first.built, false, 'made again although current');
    assert.deepEqual(await readdir(templates), [first.file.split('/').at(-1)]);

    const dataDir = join(dir, 'data');
    assert.equal(isNewDataDir(dataDir), true);
    const template = await readEmbeddedTemplate(templates);
    assert.ok(template);
    const opened = await openDatabase({ url: dataDir, loadDataDir: template });
    try {
      const status = await migrationStatus(opened.db);
      assert.deepEqual([status.pending, status.unknown], [[], []]);
      assert.ok(status.applied.length > 10);
      await createAgency(opened.db, { slug: 'from-template', name: 'From template', timeZone: 'UTC' });
    } finally {
      await opened.close();
    }
    // A directory, not a copy in memory: it is there at the next open, with what was written.
    assert.equal(isNewDataDir(dataDir), false);
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
  });
});
