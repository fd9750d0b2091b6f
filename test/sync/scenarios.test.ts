import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { databaseTargets } from '../support/db.ts';
import { eventually, pushesSettled, type SyncWorld, startSyncWorld, syncAgency } from '../support/sync.ts';

const badgesOf = (body: { badges: { system: string }[] }) => body.badges.map((b) => b.system).sort();

for (const target of databaseTargets()) {
  describe(`sync hub scenarios on ${target}`, () => {
    let world: SyncWorld;
    before(async () => {
      world = await startSyncWorld(target);
    });
    after(async () => world.close());

    async function customersNamed(
      api: { get: (p: string) => Promise<{ body: { data: { name: string; customerNumber: number }[] } }> },
      name: string,
    ) {
      const list = await api.get(`/api/v1/customers?search=${encodeURIComponent(name)}`);
      return list.body.data.filter((c) => c.name === name);
    }

    it('scenario 1: AMS account arrives in real time, is found by name from the benefits system, and the daily sync links both ids', async () => {
      const s = await syncAgency(world, { connectBenefitsToAms: true });
      try {
        const ams = s.ams.createCustomer({
          customerName: 'Acme Dental Group',
          customerType: 'group',
          email: 'office@acmedental.example',
          phone: '312-555-0100',
          address: { line1: '1 Main St', city: 'Chicago', state: 'IL', zipCode: '60601' },
        });
        const [local] = await eventually(async () => {
          const found = await customersNamed(s.api, 'Acme Dental Group');
          return found.length === 1 ? found : undefined;
        }, 'the AMS webhook to create the customer');
        const customerNumber = (local as { customerNumber: number }).customerNumber;
        let sync = await s.api.get(`/api/v1/customers/${customerNumber}/sync`);
        assert.deepEqual(badgesOf(sync.body), ['ams']);
        assert.equal(sync.body.badges[0].label, 'AMS synced');
        assert.equal(sync.body.badges[0].externalId, ams.customerId);

        // In the benefits system: "does the account already exist in the AMS?" yes, searched by name.
        const account = await s.benefits.createAccount({ accountName: 'Acme Dental Group' }, { existsInAms: true });
        assert.equal(account.amsCustomerNumber, ams.customerNumber, 'the benefits account carries the AMS number');
        assert.equal((account.primaryContact as { email: string }).email, 'office@acmedental.example');

        const run = await s.api.post('/api/v1/sync/runs', { system: 'benefits' });
        assert.equal(run.status, 200, JSON.stringify(run.body));
        assert.equal(run.body.linked, 1);
        assert.equal(run.body.created, 0);
        sync = await s.api.get(`/api/v1/customers/${customerNumber}/sync`);
        assert.deepEqual(badgesOf(sync.body), ['ams', 'benefits']);
        assert.equal(
          sync.body.badges.find((b: { system: string }) => b.system === 'benefits').externalId,
          account.accountId,
        );
        assert.equal((await customersNamed(s.api, 'Acme Dental Group')).length, 1);
        const customer = await s.api.get(`/api/v1/customers/${customerNumber}`);
        assert.equal(customer.body.type, 'group');
        assert.equal(customer.body.address.postalCode, '60601');
      } finally {
        await s.close();
      }
    });

    it('scenario 2: an account only in the benefits system appears after the daily sync as Benefits synced only', async () => {
      const s = await syncAgency(world);
      try {
        const account = await s.benefits.createAccount({
          accountName: 'Birch Family',
          accountType: 'individual',
          primaryContact: { email: 'birch@example.com', phone: '+1 (555) 010-2000' },
          address: { zip: '73301' },
        });
        assert.equal(account.amsCustomerNumber, undefined);
        const run = await s.api.post('/api/v1/sync/runs', { system: 'benefits' });
        assert.equal(run.body.created, 1);
        const [local] = await customersNamed(s.api, 'Birch Family');
        assert.ok(local);
        const sync = await s.api.get(`/api/v1/customers/${local.customerNumber}/sync`);
        assert.deepEqual(badgesOf(sync.body), ['benefits']);
        assert.equal(sync.body.badges[0].label, 'Benefits synced');
        const customer = await s.api.get(`/api/v1/customers/${local.customerNumber}`);
        assert.equal(customer.body.email, 'birch@example.com');
        assert.equal(s.ams.customers.size, 0, 'nothing went to the AMS');
        // Re-running the day's sync changes nothing.
        const again = await s.api.post('/api/v1/sync/runs', { system: 'benefits' });
        assert.equal(again.body.received, 0);
      } finally {
        await s.close();
      }
    });

    it('scenario 3: systems connected, account created in benefits goes to the AMS, one record with both badges', async () => {
      const s = await syncAgency(world, { connectBenefitsToAms: true });
      try {
        const account = await s.benefits.createAccount({
          accountName: 'Cedar Logistics LLC',
          accountType: 'group',
          primaryContact: { email: 'hr@cedar.example' },
        });
        assert.ok(account.amsCustomerNumber, 'the AMS numbered it');
        assert.equal(s.ams.customers.size, 1);
        const [local] = await eventually(async () => {
          const found = await customersNamed(s.api, 'Cedar Logistics LLC');
          return found.length === 1 ? found : undefined;
        }, 'the AMS webhook');
        assert.ok(local);
        assert.deepEqual(badgesOf((await s.api.get(`/api/v1/customers/${local.customerNumber}/sync`)).body), ['ams']);
        await s.api.post('/api/v1/sync/runs', { system: 'benefits' });
        assert.deepEqual(badgesOf((await s.api.get(`/api/v1/customers/${local.customerNumber}/sync`)).body), [
          'ams',
          'benefits',
        ]);
        assert.equal((await customersNamed(s.api, 'Cedar Logistics LLC')).length, 1, 'no duplicate');

        // A plan added in benefits becomes an AMS policy (the doubles' connection).
        await s.benefits.addPlan(account.accountId as string, { planName: 'Dental PPO', carrier: 'Delta' });
        assert.equal(s.ams.policies.size, 1);

        // Benefits-side edits of AMS-owned fields do not flow back, not to policypay nor the AMS.
        s.benefits.updateAccount(account.accountId as string, { accountName: 'Cedar Renamed In Benefits' });
        const run = await s.api.post('/api/v1/sync/runs', { system: 'benefits' });
        assert.equal(run.body.updated, 1);
        assert.equal((await s.api.get(`/api/v1/customers/${local.customerNumber}`)).body.name, 'Cedar Logistics LLC');
        assert.equal(s.ams.customers.all()[0]?.data.customerName, 'Cedar Logistics LLC');

        // AMS edits flow to policypay in real time and on to the benefits system.
        s.ams.updateCustomer(s.ams.customers.all()[0]?.id as string, { email: 'benefits@cedar.example' });
        await eventually(
          async () =>
            (await s.api.get(`/api/v1/customers/${local.customerNumber}`)).body.email === 'benefits@cedar.example',
          'the AMS edit',
        );
        await pushesSettled(world, s.agency.id);
        const pushed = s.benefits.accounts.get(account.accountId as string)?.data;
        assert.equal((pushed?.primaryContact as { email?: string } | undefined)?.email, 'benefits@cedar.example');
      } finally {
        await s.close();
      }
    });

    it('pushes a policypay customer to one or both systems; later edits follow only where synced', async () => {
      // Pushed by hand here: pushOnCreate is tested in test/sync/fidelity.test.ts.
      const s = await syncAgency(world, { pushOnCreate: [] });
      try {
        const one = await s.api.post('/api/v1/customers', {
          type: 'individual',
          name: 'Dana Only-AMS',
          email: 'dana@example.com',
        });
        const both = await s.api.post('/api/v1/customers', {
          type: 'group',
          name: 'Elm Both Inc',
          email: 'elm@example.com',
        });
        const pushOne = await s.api.post(
          `/api/v1/customers/${one.body.customerNumber}/sync`,
          { systems: ['ams'] },
          {
            'idempotency-key': 'push-dana',
          },
        );
        assert.equal(pushOne.status, 202, JSON.stringify(pushOne.body));
        assert.deepEqual(pushOne.body.queued, ['ams']);
        const replay = await s.api.post(
          `/api/v1/customers/${one.body.customerNumber}/sync`,
          { systems: ['ams'] },
          {
            'idempotency-key': 'push-dana',
          },
        );
        assert.equal(replay.headers.get('idempotent-replayed'), 'true');
        const pushBoth = await s.api.post(`/api/v1/customers/${both.body.customerNumber}/sync`, {
          systems: ['ams', 'benefits'],
        });
        assert.deepEqual(pushBoth.body.queued, ['ams', 'benefits']);
        await pushesSettled(world, s.agency.id);
        assert.equal(s.ams.customers.size, 2, 'one AMS customer each, the retried push made none extra');
        assert.equal(s.benefits.accounts.size, 1);
        assert.deepEqual(badgesOf((await s.api.get(`/api/v1/customers/${one.body.customerNumber}/sync`)).body), [
          'ams',
        ]);
        assert.deepEqual(badgesOf((await s.api.get(`/api/v1/customers/${both.body.customerNumber}/sync`)).body), [
          'ams',
          'benefits',
        ]);

        const edit1 = await s.api.patch(`/api/v1/customers/${one.body.customerNumber}`, { phone: '555-0101' });
        assert.equal(edit1.status, 200, JSON.stringify(edit1.body));
        const edit2 = await s.api.patch(`/api/v1/customers/${both.body.customerNumber}`, {
          email: 'billing@elm.example',
        });
        assert.equal(edit2.body.email, 'billing@elm.example');
        await pushesSettled(world, s.agency.id);
        const amsDana = s.ams.customers.all().find((r) => r.data.customerName === 'Dana Only-AMS');
        assert.equal(amsDana?.data.phone, '555-0101');
        assert.equal(
          s.benefits.accounts.all().some((r) => r.data.accountName === 'Dana Only-AMS'),
          false,
        );
        const amsElm = s.ams.customers.all().find((r) => r.data.customerName === 'Elm Both Inc');
        assert.equal(amsElm?.data.email, 'billing@elm.example');
        const bpElm = s.benefits.accounts.all()[0]?.data;
        assert.equal((bpElm?.primaryContact as { email?: string } | undefined)?.email, 'billing@elm.example');

        // Our own pushes come back as AMS webhooks and the next daily sync: nothing changes.
        const run = await s.api.post('/api/v1/sync/runs', { system: 'benefits' });
        assert.equal(run.body.created + run.body.updated + run.body.linked, 0, JSON.stringify(run.body));
        const log = await s.api.get('/api/v1/sync/log?direction=outbound');
        assert.equal(log.status, 400, 'unknown query parameters are refused');
        const outbound = (await s.api.get('/api/v1/sync/log?limit=500')).body.data.filter(
          (e: { direction: string }) => e.direction === 'outbound',
        );
        assert.equal(outbound.length, 6, '3 creates and 3 updates');
      } finally {
        await s.close();
      }
    });

    it('queues ambiguous matches for review and resolves them by accept, merge or reject', async () => {
      // Pat Lee stays local (not pushed on create), so the benefits accounts are ambiguous.
      const s = await syncAgency(world, { pushOnCreate: [] });
      try {
        const local = await s.api.post('/api/v1/customers', {
          type: 'individual',
          name: 'Pat Lee',
          email: 'pat@old.example',
        });
        const a = await s.benefits.createAccount({
          accountName: 'Pat Lee',
          primaryContact: { email: 'pat@new.example' },
        });
        await s.benefits.createAccount({ accountName: 'PAT  LEE', primaryContact: { phone: '555-0199' } });
        await s.benefits.createAccount({ accountName: 'Pat Lee.', primaryContact: { email: 'other@x.example' } });
        const run = await s.api.post('/api/v1/sync/runs', { system: 'benefits' });
        assert.equal(run.body.review, 3);
        assert.equal(run.body.created, 0);
        const reviews = await s.api.get('/api/v1/sync/reviews');
        assert.equal(reviews.body.data.length, 3);
        assert.deepEqual(reviews.body.data[0].candidates, [
          { customerNumber: local.body.customerNumber, name: 'Pat Lee' },
        ]);
        const [first, second, third] = reviews.body.data;

        const badMerge = await s.api.post(`/api/v1/sync/reviews/${first.id}/merge`, {});
        assert.equal(badMerge.status, 400);
        assert.equal(badMerge.headers.get('content-type'), 'application/problem+json; charset=utf-8');
        const merged = await s.api.post(`/api/v1/sync/reviews/${first.id}/merge`, {
          customerNumber: local.body.customerNumber,
        });
        assert.equal(merged.status, 200, JSON.stringify(merged.body));
        assert.equal(merged.body.status, 'merged');
        const sync = await s.api.get(`/api/v1/customers/${local.body.customerNumber}/sync`);
        assert.equal(sync.body.badges[0].externalId, a.accountId);
        // No AMS link: the benefits data is the best there is, so it is taken.
        assert.equal((await s.api.get(`/api/v1/customers/${local.body.customerNumber}`)).body.email, 'pat@new.example');
        const again = await s.api.post(`/api/v1/sync/reviews/${first.id}/merge`, {
          customerNumber: local.body.customerNumber,
        });
        assert.equal(again.status, 409);

        const accepted = await s.api.post(`/api/v1/sync/reviews/${second.id}/accept`);
        assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
        assert.equal(accepted.body.status, 'accepted');
        assert.ok(accepted.body.customerNumber > local.body.customerNumber);
        const rejected = await s.api.post(`/api/v1/sync/reviews/${third.id}/reject`);
        assert.equal(rejected.body.status, 'rejected');

        // A full re-read (cursor reset) links nothing twice and leaves the rejected record alone.
        await world.server.database.db.deleteFrom('sync_cursors').where('agency_id', '=', s.agency.id).execute();
        const rerun = await s.api.post('/api/v1/sync/runs', { system: 'benefits' });
        assert.equal(rerun.body.unchanged, 2, JSON.stringify(rerun.body));
        assert.equal(rerun.body.rejected, 1);
        assert.equal((await s.api.get('/api/v1/sync/reviews')).body.data.length, 0);
      } finally {
        await s.close();
      }
    });

    it('takes field ownership from the agency’s rules: data, not code', async () => {
      const s = await syncAgency(world, { connectBenefitsToAms: true });
      try {
        const defaults = await s.api.get('/api/v1/sync/rules');
        assert.equal(defaults.body.customer.owners.phone, 'ams');
        const bad = await s.api.put('/api/v1/sync/rules', {
          ...defaults.body,
          customer: { ...defaults.body.customer, owners: { ...defaults.body.customer.owners, phone: 'nowhere' } },
        });
        assert.equal(bad.status, 400);
        assert.ok(
          bad.body.errors.some((e: { path: string }) => e.path.includes('phone')),
          JSON.stringify(bad.body),
        );
        const rules = structuredClone(defaults.body);
        rules.customer.owners.phone = 'benefits';
        const saved = await s.api.put('/api/v1/sync/rules', rules);
        assert.equal(saved.status, 200, JSON.stringify(saved.body));

        const account = await s.benefits.createAccount({
          accountName: 'Fir Partners',
          accountType: 'group',
          primaryContact: { phone: '555-0001' },
        });
        const [local] = await eventually(async () => {
          const found = await customersNamed(s.api, 'Fir Partners');
          return found.length === 1 ? found : undefined;
        }, 'the AMS webhook');
        assert.ok(local);
        await s.api.post('/api/v1/sync/runs', { system: 'benefits' });
        s.benefits.updateAccount(account.accountId as string, {
          accountName: 'Fir Renamed',
          primaryContact: { phone: '555-0002' },
        });
        await s.api.post('/api/v1/sync/runs', { system: 'benefits' });
        const customer = await s.api.get(`/api/v1/customers/${local.customerNumber}`);
        assert.equal(customer.body.phone, '555-0002', 'the benefits system owns the phone now');
        assert.equal(customer.body.name, 'Fir Partners', 'the AMS still owns the name');
      } finally {
        await s.close();
      }
    });

    it('refuses bad connector mappings with problem+json naming the field', async () => {
      const s = await syncAgency(world);
      try {
        const bad = await s.api.put('/api/v1/sync/connectors/crm', {
          kind: 'rest',
          mapping: { baseUrl: 'ftp://x', customer: { changesPath: 'no-slash' } },
        });
        assert.equal(bad.status, 400);
        const paths = bad.body.errors.map((e: { path: string }) => e.path);
        assert.ok(paths.includes('mapping/baseUrl'), JSON.stringify(paths));
        assert.ok(paths.includes('mapping/customer/changesPath'), JSON.stringify(paths));
        const listed = await s.api.get('/api/v1/sync/connectors');
        assert.deepEqual(
          listed.body.data.map((c: { system: string }) => c.system),
          ['ams', 'benefits'],
        );
        assert.equal(listed.body.data[0].mapping.auth.value, '********');
        const unknown = await s.api.post('/api/v1/customers/999999/sync', { systems: ['ams'] });
        assert.equal(unknown.status, 404);
        const notConfigured = await s.api.post(`/api/v1/customers/${world.server.seeded.customerNumber}/sync`, {
          systems: ['crm'],
        });
        assert.equal(notConfigured.status, 404, 'another agency’s customer is not found');
      } finally {
        await s.close();
      }
    });
  });
}
