import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runDailySync } from '../../src/sync/daily.ts';
import { pushPending } from '../../src/sync/push.ts';
import { databaseTargets } from '../support/db.ts';
import { eventually, type SyncAgency, type SyncWorld, startSyncWorld, syncAgency } from '../support/sync.ts';

const ACCOUNTS = 2_500;
const PAGE = 500;
/** A never-answering page is injected here: the client's timeout ends it, so keep it short. */
const FAULT_TIMING = { timeoutMs: 5_000 };

for (const target of databaseTargets()) {
  describe(`sync under faults on ${target}`, () => {
    let world: SyncWorld;
    before(async () => {
      world = await startSyncWorld(target);
    });
    after(async () => world.close());

    async function seeded(): Promise<SyncAgency> {
      const s = await syncAgency(world, { amsWebhooks: false, timing: FAULT_TIMING });
      s.benefits.seed(ACCOUNTS, (i) => ({
        accountName: `Fault Account ${i}`,
        accountType: 'group',
        primaryContact: { email: `f${i}@example.com` },
      }));
      return s;
    }

    const db = () => world.server.database.db;
    const count = async (agencyId: string) =>
      Number(
        (
          await db()
            .selectFrom('customers')
            .select((eb) => eb.fn.countAll().as('n'))
            .where('agency_id', '=', agencyId)
            .executeTakeFirstOrThrow()
        ).n,
      );
    const cursor = async (agencyId: string) =>
      (
        await db()
          .selectFrom('sync_cursors')
          .select('cursor')
          .where('agency_id', '=', agencyId)
          .where('system', '=', 'benefits')
          .executeTakeFirst()
      )?.cursor ?? null;

    it('retries 500s and timeouts and finishes with every account once', async () => {
      const s = await seeded();
      try {
        s.benefits.server.inject('500', 2, '/v2/accounts/changes');
        s.benefits.server.inject('timeout', 1, '/v2/accounts/changes');
        const run = await runDailySync(db(), s.agency.id, 'benefits', { pageSize: PAGE });
        assert.equal(run.status, 'completed', run.error ?? '');
        assert.equal(run.created, ACCOUNTS);
        assert.equal(await count(s.agency.id), ACCOUNTS);
        assert.equal(s.benefits.server.pendingFaults, 0, 'every fault was met, and the request repeated');
        assert.ok(s.benefits.server.requests >= ACCOUNTS / PAGE + 1);
      } finally {
        await s.close();
      }
    });

    it('keeps the cursor when the system dies mid-sync and goes on from there, duplicating nothing', async () => {
      const s = await seeded();
      try {
        s.benefits.server.dieAfter(2, '/v2/accounts/changes');
        const failed = await runDailySync(db(), s.agency.id, 'benefits', { pageSize: PAGE });
        assert.equal(failed.status, 'failed');
        assert.match(failed.error ?? '', /failed/);
        assert.equal(failed.pages, 2);
        assert.equal(await count(s.agency.id), 2 * PAGE, 'the two committed pages and nothing of the third');
        const kept = await cursor(s.agency.id);
        assert.equal(kept, failed.cursor);
        const logged = await db()
          .selectFrom('sync_log')
          .select('message')
          .where('agency_id', '=', s.agency.id)
          .where('action', '=', 'error')
          .execute();
        assert.equal(logged.length, 1);

        await s.benefits.server.restart();
        const resumed = await runDailySync(db(), s.agency.id, 'benefits', { pageSize: PAGE });
        assert.equal(resumed.status, 'completed');
        assert.equal(resumed.created, ACCOUNTS - 2 * PAGE, 'only the rest');
        assert.equal(await count(s.agency.id), ACCOUNTS);

        // Re-reading the whole day (cursor reset) changes nothing: every hash is the same.
        await db().deleteFrom('sync_cursors').where('agency_id', '=', s.agency.id).execute();
        const again = await runDailySync(db(), s.agency.id, 'benefits', { pageSize: PAGE });
        assert.equal(again.unchanged, ACCOUNTS);
        assert.equal(again.created + again.updated + again.linked, 0);
        assert.equal(await count(s.agency.id), ACCOUNTS);
      } finally {
        await s.close();
      }
    });

    it('gives up after its retries on a persistent 500 with the cursor where it was', async () => {
      const s = await seeded();
      try {
        await runDailySync(db(), s.agency.id, 'benefits', { pageSize: PAGE });
        const before = await cursor(s.agency.id);
        s.benefits.updateAccount('BP-0000001', { accountName: 'Renamed In Benefits' });
        s.benefits.server.inject('500', 10, '/v2/accounts/changes');
        const failed = await runDailySync(db(), s.agency.id, 'benefits', { pageSize: PAGE });
        assert.equal(failed.status, 'failed');
        assert.match(failed.error ?? '', /HTTP 500/);
        assert.equal(await cursor(s.agency.id), before);
        s.benefits.server.clearFaults();
        const ok = await runDailySync(db(), s.agency.id, 'benefits', { pageSize: PAGE });
        assert.equal(ok.updated, 1);
        assert.equal(ok.received, 1, 'O(changes): only the changed account was read');
      } finally {
        await s.close();
      }
    });

    it('pushes a new customer exactly once when the AMS fails, times out or loses its answer', async () => {
      // Pushed by hand after the fault is injected (not on create).
      const s = await syncAgency(world, { amsWebhooks: false, pushOnCreate: [], timing: FAULT_TIMING });
      try {
        for (const [i, fault] of (['500', 'timeout', 'lose-answer'] as const).entries()) {
          const created = await s.api.post('/api/v1/customers', { type: 'individual', name: `Pushed ${fault}` });
          // Every try of the first drain (the one the request starts) meets the fault, so the push
          // stays queued with the error; a lost answer is retried at once and found by our id.
          s.ams.server.inject(fault, fault === 'lose-answer' ? 1 : 4, '/customers');
          await s.api.post(`/api/v1/customers/${created.body.customerNumber}/sync`, { systems: ['ams'] });
          await eventually(
            async () => {
              const row = await db()
                .selectFrom('sync_outbox')
                .select(['attempts', 'done_at'])
                .where('agency_id', '=', s.agency.id)
                .orderBy('created_at', 'desc')
                .executeTakeFirstOrThrow();
              return row.attempts >= 1;
              // A deadline, not a timing: four tries that each wait out FAULT_TIMING's timeout.
            },
            'the first drain',
            120_000,
          );
          s.ams.server.clearFaults();
          const pending = await eventually(async () => {
            await pushPending(db(), s.agency.id);
            const rows = await db()
              .selectFrom('sync_outbox')
              .select('id')
              .where('agency_id', '=', s.agency.id)
              .where('done_at', 'is', null)
              .execute();
            return rows.length === 0 ? rows : undefined;
          }, 'the push to go through');
          assert.equal(pending.length, 0, `${fault}: the push went through`);
          assert.equal(s.ams.customers.size, i + 1, `${fault}: one AMS customer, however many tries`);
          const sync = await s.api.get(`/api/v1/customers/${created.body.customerNumber}/sync`);
          assert.equal(sync.body.badges[0].status, 'synced');
        }
      } finally {
        await s.close();
      }
    });
  });
}
