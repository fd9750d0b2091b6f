// The sync figures of /metrics: the lag since each system's last completed daily run (an empty run
// counts: nothing new is not a stall), and a scrape whose database is gone still answering.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { createMetrics } from '../../../src/platform/metrics/metrics.ts';
import { runDailySync } from '../../../src/sync/daily.ts';
import { databaseTargets, openTestDatabase } from '../../support/db.ts';
import { type SyncAgency, type SyncWorld, startSyncWorld, syncAgency } from '../../support/sync.ts';

const HOUR = 3_600_000;

/** The value of `name{labels}` in a scrape, undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

for (const target of databaseTargets()) {
  describe(`sync and database figures on ${target}`, () => {
    let world: SyncWorld;
    let s: SyncAgency;
    before(async () => {
      world = await startSyncWorld(target);
      s = await syncAgency(world, { amsWebhooks: false });
    });
    after(async () => {
      await s?.close();
      await world?.close();
    });

    it('reports seconds since the least recent completed daily run per enabled system, an empty run included', async () => {
      const db = world.server.database.db;
      const scrapeAt = async (now: Date) =>
        (await createMetrics({ database: world.server.database, clock: () => now }).scrape()).body;
      assert.equal(sample(await scrapeAt(new Date()), 'policypay_sync_lag_seconds{system="benefits"}'), undefined);

      s.benefits.seed(3, (i) => ({ accountName: `Lag Account ${i}`, accountType: 'group' }));
      const first = await runDailySync(db, s.agency.id, 'benefits');
      assert.equal(first.status, 'completed', first.error ?? '');
      const anHourLater = await scrapeAt(new Date(Date.now() + HOUR));
      const lag = sample(anHourLater, 'policypay_sync_lag_seconds{system="benefits"}');
      assert.ok(lag !== undefined && lag >= 3_599 && lag <= 3_600 + 600, String(lag));

      // Two days without a completed run, then a run that finds nothing new: the lag starts again.
      await sql`UPDATE sync_cursors SET updated_at = now() - interval '2 days' WHERE agency_id = ${s.agency.id}`.execute(
        db,
      );
      const stale = sample(await scrapeAt(new Date()), 'policypay_sync_lag_seconds{system="benefits"}');
      assert.ok(stale !== undefined && stale >= 2 * 86_400 - 60, String(stale));
      const cursorBefore = (
        await db
          .selectFrom('sync_cursors')
          .select('cursor')
          .where('agency_id', '=', s.agency.id)
          .executeTakeFirstOrThrow()
      ).cursor;
      const empty = await runDailySync(db, s.agency.id, 'benefits');
      assert.equal(empty.status, 'completed', empty.error ?? '');
      assert.equal(empty.pages, 0);
      const fresh = sample(await scrapeAt(new Date()), 'policypay_sync_lag_seconds{system="benefits"}');
      assert.ok(fresh !== undefined && fresh < 2 * 86_400 - 60, String(fresh));
      const cursorAfter = (
        await db
          .selectFrom('sync_cursors')
          .select('cursor')
          .where('agency_id', '=', s.agency.id)
          .executeTakeFirstOrThrow()
      ).cursor;
      assert.equal(cursorAfter, cursorBefore, 'an empty run leaves the cursor as it was');

      // A disabled connector's system is not reported.
      await db.updateTable('sync_connectors').set({ enabled: false }).where('agency_id', '=', s.agency.id).execute();
      assert.equal(sample(await scrapeAt(new Date()), 'policypay_sync_lag_seconds{system="benefits"}'), undefined);
      await db.updateTable('sync_connectors').set({ enabled: true }).where('agency_id', '=', s.agency.id).execute();
    });

    it('answers a scrape without the database figures, and policypay_database_up 0, when the database is gone', async () => {
      const gone = await openTestDatabase(target);
      await gone.close();
      const body = (await createMetrics({ database: gone, databaseTimeoutMs: 5_000 }).scrape()).body;
      assert.equal(sample(body, 'policypay_database_up'), 0);
      assert.equal(sample(body, 'policypay_payments_created_total'), undefined);
      assert.match(body, /^process_cpu_user_seconds_total /m, 'the process figures are still there');
    });
  });
}
