import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { databaseTargets } from '../support/db.ts';
import { type SyncWorld, startSyncWorld, syncAgency } from '../support/sync.ts';

const ACCOUNTS = 1_000;

/** Deterministic shuffle (a seeded LCG), so a failure can be replayed. */
function shuffled<T>(items: T[], seed: number): T[] {
  const out = [...items];
  let state = seed;
  for (let i = out.length - 1; i > 0; i--) {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

for (const target of databaseTargets()) {
  describe(`sync without duplicates on ${target}`, () => {
    let world: SyncWorld;
    before(async () => {
      world = await startSyncWorld(target);
    });
    after(async () => world.close());

    it(`${ACCOUNTS} accounts delivered twice, out of order, through real-time and daily paths at once → ${ACCOUNTS} customers with the right links`, async () => {
      const s = await syncAgency(world, { connectBenefitsToAms: true, autoDeliver: false });
      try {
        // Accounts created in the benefits system, which creates each in the AMS (scenario 3).
        for (let i = 0; i < ACCOUNTS; i++) {
          await s.benefits.createAccount({
            accountName: `Account ${i} ${i % 7 === 0 ? 'Holdings' : 'Family'}`,
            accountType: i % 2 ? 'group' : 'individual',
            primaryContact: { email: `a${i}@example.com` },
            address: { zip: String(10_000 + i) },
          });
        }
        const events = s.ams.server.events;
        assert.equal(events.length, ACCOUNTS);

        // Each AMS event twice, shuffled, eight in flight, while two daily syncs (the second from
        // the start again) read the benefits side.
        const deliveries = shuffled([...events, ...events], 42);
        const outcomes = new Map<number, number>();
        let next = 0;
        const deliver = async () => {
          while (next < deliveries.length) {
            const event = deliveries[next++];
            if (!event) break;
            const status = await s.ams.server.deliver(event);
            outcomes.set(status, (outcomes.get(status) ?? 0) + 1);
          }
        };
        const daily = async () => {
          const first = await s.api.post('/api/v1/sync/runs', { system: 'benefits' });
          assert.equal(first.body.status, 'completed', JSON.stringify(first.body));
          await world.server.database.db.deleteFrom('sync_cursors').where('agency_id', '=', s.agency.id).execute();
          const second = await s.api.post('/api/v1/sync/runs', { system: 'benefits' });
          assert.equal(second.body.status, 'completed', JSON.stringify(second.body));
        };
        await Promise.all([...Array.from({ length: 8 }, deliver), daily()]);
        assert.deepEqual([...outcomes.keys()], [200], 'every delivery accepted');
        // And the daily path once more after the real-time path is done.
        await world.server.database.db.deleteFrom('sync_cursors').where('agency_id', '=', s.agency.id).execute();
        const last = await s.api.post('/api/v1/sync/runs', { system: 'benefits' });
        assert.equal(last.body.created + last.body.linked, 0, JSON.stringify(last.body));

        const db = world.server.database.db;
        const customers = await db
          .selectFrom('customers')
          .select(['id', 'name'])
          .where('agency_id', '=', s.agency.id)
          .execute();
        assert.equal(customers.length, ACCOUNTS);
        const links = await db
          .selectFrom('sync_links')
          .select(['local_id', 'system', 'external_id'])
          .where('agency_id', '=', s.agency.id)
          .where('entity', '=', 'customer')
          .execute();
        // Each account's contact came through both paths too: one local contact, linked to both.
        const contacts = await db.selectFrom('contacts').select('id').where('agency_id', '=', s.agency.id).execute();
        assert.equal(contacts.length, ACCOUNTS);
        const contactLinks = await db
          .selectFrom('sync_links')
          .select(['local_id', 'system'])
          .where('agency_id', '=', s.agency.id)
          .where('entity', '=', 'contact')
          .execute();
        assert.equal(new Set(contactLinks.filter((l) => l.system === 'ams').map((l) => l.local_id)).size, ACCOUNTS);
        assert.equal(
          new Set(contactLinks.filter((l) => l.system === 'benefits').map((l) => l.local_id)).size,
          ACCOUNTS,
        );
        assert.equal(contactLinks.length, 2 * ACCOUNTS);
        const bySystem = (system: string) =>
          new Map(links.filter((l) => l.system === system).map((l) => [l.local_id, l.external_id]));
        const ams = bySystem('ams');
        const benefits = bySystem('benefits');
        assert.equal(ams.size, ACCOUNTS);
        assert.equal(benefits.size, ACCOUNTS);
        const reviews = await db.selectFrom('sync_reviews').select('id').where('agency_id', '=', s.agency.id).execute();
        assert.equal(reviews.length, 0);
        // Each customer's benefits account is the one created with its AMS customer.
        for (const customer of customers) {
          const account = s.benefits.accounts.get(benefits.get(customer.id) as string);
          assert.ok(account, `customer ${customer.name} has a benefits link`);
          assert.equal(account.data.amsCustomerId, ams.get(customer.id), `links of ${customer.name}`);
          assert.equal(account.data.accountName, customer.name);
        }
      } finally {
        await s.close();
      }
    });
  });
}
