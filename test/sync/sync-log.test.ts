import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DatabaseHandle } from '../../src/platform/db/database.ts';
import { listSyncLog } from '../../src/sync/views.ts';
import { databaseTargets, openTestDatabase } from '../support/db.ts';
import { createTestAgency, type TestAgency } from '../support/fixtures.ts';

for (const target of databaseTargets()) {
  describe(`sync log on ${target}`, () => {
    let database: DatabaseHandle;
    let agency: TestAgency;

    before(async () => {
      database = await openTestDatabase(target);
      agency = await createTestAgency(database.db);
      for (const action of ['first', 'second', 'third']) {
        await database.db
          .insertInto('sync_log')
          .values({ agency_id: agency.id, system: 'ams', direction: 'inbound', entity: 'customer', action })
          .execute();
      }
    });
    after(async () => database.close());

    // sync_log.id is a bigserial, read as a bigint: the page's `before` is compared as one.
    it('pages newest first: `before` is the last id of the previous page', async () => {
      const first = await listSyncLog(database.db, agency.actor, { limit: 2 });
      assert.deepEqual(
        first.map((e) => e.action),
        ['third', 'second'],
      );
      const next = await listSyncLog(database.db, agency.actor, { before: first[1]?.id, limit: 2 });
      assert.deepEqual(
        next.map((e) => e.action),
        ['first'],
      );
    });
  });
}
