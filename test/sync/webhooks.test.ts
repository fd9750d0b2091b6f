import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { signSyncWebhook } from '../../src/sync/rules/signature.ts';
import { databaseTargets } from '../support/db.ts';
import { type SyncWorld, startSyncWorld, syncAgency } from '../support/sync.ts';

for (const target of databaseTargets()) {
  describe(`signed sync webhooks on ${target}`, () => {
    let world: SyncWorld;
    before(async () => {
      world = await startSyncWorld(target);
    });
    after(async () => world.close());

    it('applies a signed event once and refuses forged, stale, unsigned and unknown ones', async () => {
      const s = await syncAgency(world, { autoDeliver: false });
      try {
        s.ams.createCustomer({ customerName: 'Webhook Works Inc', email: 'ww@example.com' });
        const [event] = s.ams.server.events;
        assert.ok(event);
        const body = JSON.stringify(event);
        const path = `/api/v1/sync/webhooks/${s.agency.slug}/ams`;
        const post = (signature: string | undefined, text = body, url = path) =>
          fetch(`${world.server.url}${url}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...(signature ? { 'x-sync-signature': signature } : {}) },
            body: text,
          }).then(async (r) => ({ status: r.status, type: r.headers.get('content-type'), body: await r.json() }));
        const customers = async () =>
          (
            await world.server.database.db
              .selectFrom('customers')
              .select('id')
              .where('agency_id', '=', s.agency.id)
              .execute()
          ).length;

        const forged = await post(signSyncWebhook('not-the-secret', body, new Date()));
        assert.equal(forged.status, 401);
        assert.match(forged.type ?? '', /application\/problem\+json/);
        assert.match(forged.body.detail, /mismatch/);
        const stale = await post(signSyncWebhook(s.amsSecret, body, new Date(Date.now() - 10 * 60_000)));
        assert.equal(stale.status, 401);
        assert.match(stale.body.detail, /stale/);
        const unsigned = await post(undefined);
        assert.equal(unsigned.status, 401);
        const tampered = await post(
          signSyncWebhook(s.amsSecret, body, new Date()),
          body.replace('Webhook Works', 'Evil'),
        );
        assert.equal(tampered.status, 401);
        const unknownAgency = await post(
          signSyncWebhook(s.amsSecret, body, new Date()),
          body,
          '/api/v1/sync/webhooks/nope/ams',
        );
        assert.equal(unknownAgency.status, 404);
        const notConfigured = await post(
          signSyncWebhook(s.amsSecret, body, new Date()),
          body,
          `/api/v1/sync/webhooks/${s.agency.slug}/crm`,
        );
        assert.equal(notConfigured.status, 404);
        const garbage = '{"id":"evt_x","type":"customer.deleted","data":{}}';
        const wrongType = await post(signSyncWebhook(s.amsSecret, garbage, new Date()), garbage);
        assert.equal(wrongType.status, 400);
        assert.equal(await customers(), 0, 'nothing refused was applied');

        const first = await post(signSyncWebhook(s.amsSecret, body, new Date()));
        assert.equal(first.status, 200);
        assert.equal(first.body.outcome, 'created');
        const again = await post(signSyncWebhook(s.amsSecret, body, new Date()));
        assert.equal(again.body.outcome, 'duplicate');
        assert.equal(await customers(), 1);

        // An older version delivered after a newer one is stale and changes nothing.
        const id = s.ams.customers.all()[0]?.id as string;
        s.ams.updateCustomer(id, { email: 'v2@example.com' });
        s.ams.updateCustomer(id, { email: 'v3@example.com' });
        const [, v2, v3] = s.ams.server.events;
        assert.equal((await s.ams.server.deliver(v3 as never)) ?? 0, 200);
        const late = JSON.stringify(v2);
        const lateResult = await post(signSyncWebhook(s.amsSecret, late, new Date()), late);
        assert.equal(lateResult.body.outcome, 'stale');
        const customer = await world.server.database.db
          .selectFrom('customers')
          .select('email')
          .where('agency_id', '=', s.agency.id)
          .executeTakeFirstOrThrow();
        assert.equal(customer.email, 'v3@example.com');
      } finally {
        await s.close();
      }
    });
  });
}
