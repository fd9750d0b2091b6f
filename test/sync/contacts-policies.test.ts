import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { addMonths } from '../../src/sync/rules/policy-rules.ts';
import { databaseTargets } from '../support/db.ts';
import { eventually, type SyncAgency, type SyncWorld, startSyncWorld, syncAgency } from '../support/sync.ts';

interface ChildLink {
  system: string;
  externalId: string;
}
interface SyncView {
  badges: { system: string; externalId: string }[];
  contacts: { id: string; name: string; email: string | null; links: ChildLink[] }[];
  policies: { id: string; policyNumber: string; links: ChildLink[] }[];
}

const linksOf = (item: { links: ChildLink[] }) => item.links.map((l) => `${l.system}:${l.externalId}`).sort();

for (const target of databaseTargets()) {
  describe(`sync of contacts and policies on ${target}`, () => {
    let world: SyncWorld;
    before(async () => {
      world = await startSyncWorld(target);
    });
    after(async () => world.close());

    async function customerNamed(s: SyncAgency, name: string): Promise<number> {
      const list = await s.api.get(`/api/v1/customers?search=${encodeURIComponent(name)}`);
      const found = list.body.data.filter((c: { name: string }) => c.name === name);
      assert.equal(found.length, 1, `one customer named ${name}: ${JSON.stringify(list.body.data)}`);
      return found[0].customerNumber;
    }
    async function view(s: SyncAgency, customerNumber: number): Promise<SyncView> {
      const response = await s.api.get(`/api/v1/customers/${customerNumber}/sync`);
      assert.equal(response.status, 200, JSON.stringify(response.body));
      return response.body as SyncView;
    }
    async function counts(s: SyncAgency) {
      const db = world.server.database.db;
      const count = async (table: 'contacts' | 'policies' | 'customers') =>
        Number(
          (
            await db
              .selectFrom(table)
              .select((eb) => eb.fn.countAll<string>().as('n'))
              .where('agency_id', '=', s.agency.id)
              .executeTakeFirstOrThrow()
          ).n,
        );
      return {
        customers: await count('customers'),
        contacts: await count('contacts'),
        policies: await count('policies'),
      };
    }

    it('after the syncs an AMS account has its contact (both ids linked) and its policy; benefits edits of AMS-owned contact fields do not overwrite; re-running the day changes nothing', async () => {
      const s = await syncAgency(world, { connectBenefitsToAms: true });
      try {
        const ams = s.ams.createCustomer({
          customerName: 'Birch Dental Group',
          customerType: 'group',
          contactName: 'Robin Birch',
          email: 'Office@BirchDental.example',
          phone: '312-555-0100',
          address: { line1: '1 Main St', city: 'Chicago', state: 'IL', zipCode: '60601' },
        });
        await eventually(async () => {
          const list = await s.api.get('/api/v1/customers?search=Birch');
          return list.body.data.length === 1 || undefined;
        }, 'the AMS webhook to create the customer');
        const customerNumber = await customerNamed(s, 'Birch Dental Group');

        // The benefits account is found in the AMS by name; its plan becomes an AMS policy, which
        // updates the AMS customer (a real-time event).
        const account = await s.benefits.createAccount({ accountName: 'Birch Dental Group' }, { existsInAms: true });
        await s.benefits.addPlan(account.accountId as string, { planName: 'Dental PPO', carrier: 'Delta' });
        const amsPolicy = s.ams.policies.all()[0];
        assert.ok(amsPolicy, 'the plan became an AMS policy');
        await eventually(
          async () => (await view(s, customerNumber)).policies.length === 1 || undefined,
          'the AMS policy to arrive in real time',
        );

        const run = await s.api.post('/api/v1/sync/runs', { system: 'benefits' });
        assert.equal(run.status, 200, JSON.stringify(run.body));
        assert.equal(run.body.linked, 1, JSON.stringify(run.body));

        let sync = await view(s, customerNumber);
        assert.equal(sync.contacts.length, 1, JSON.stringify(sync.contacts));
        const contact = sync.contacts[0] as SyncView['contacts'][number];
        assert.deepEqual(linksOf(contact), [`ams:${ams.customerId}:primary`, `benefits:${account.accountId}:primary`]);
        assert.equal(contact.name, 'Robin Birch', 'the AMS names the contact');
        assert.equal(contact.email, 'Office@BirchDental.example');
        assert.equal(sync.policies.length, 1);
        const policy = sync.policies[0] as SyncView['policies'][number];
        assert.deepEqual(linksOf(policy), [`ams:${amsPolicy.id}`]);

        const contacts = await s.api.get(`/api/v1/customers/${customerNumber}/contacts`);
        assert.equal(contacts.body.data.length, 1);
        assert.equal(contacts.body.data[0].primary, true, "the customer's first contact is its primary one");
        const local = await s.api.get(`/api/v1/policies/${encodeURIComponent(policy.policyNumber)}`);
        assert.equal(local.status, 200, JSON.stringify(local.body));
        assert.equal(local.body.customerNumber, customerNumber);
        assert.equal(local.body.lineOfBusiness, 'Employee Benefits');
        assert.equal(local.body.premium, 0, 'the premium is billed here, not read from the AMS');
        assert.equal(local.body.status, 'active');
        assert.equal(local.body.expirationDate, addMonths(local.body.effectiveDate, 12));

        // A benefits-side edit of the contact: stays in the benefits system.
        s.benefits.updateAccount(account.accountId as string, {
          primaryContact: { email: 'someone@else.example', phone: '999-555-0199' },
        });
        const afterEdit = await s.api.post('/api/v1/sync/runs', { system: 'benefits' });
        assert.equal(afterEdit.body.updated, 1, JSON.stringify(afterEdit.body));
        sync = await view(s, customerNumber);
        assert.equal(sync.contacts.length, 1);
        assert.equal(sync.contacts[0]?.email, 'Office@BirchDental.example', 'the AMS value stays');
        const unchanged = await s.api.get(`/api/v1/customers/${customerNumber}/contacts`);
        assert.equal(unchanged.body.data[0].phone, '312-555-0100');
        assert.equal(s.ams.customers.get(ams.customerId as string)?.data.email, 'Office@BirchDental.example');

        // An AMS edit is the source of truth: it reaches the local contact in real time.
        s.ams.updateCustomer(ams.customerId as string, { email: 'front@birchdental.example' });
        await eventually(async () => {
          const list = await s.api.get(`/api/v1/customers/${customerNumber}/contacts`);
          return list.body.data[0].email === 'front@birchdental.example' || undefined;
        }, 'the AMS contact edit to arrive');

        // Re-running the whole day (cursors reset) through both systems changes nothing.
        const before = await counts(s);
        await world.server.database.db.deleteFrom('sync_cursors').where('agency_id', '=', s.agency.id).execute();
        for (const system of ['benefits', 'ams']) {
          const again = await s.api.post('/api/v1/sync/runs', { system });
          assert.equal(again.status, 200, JSON.stringify(again.body));
          assert.equal(again.body.created + again.body.linked + again.body.updated, 0, JSON.stringify(again.body));
        }
        assert.deepEqual(await counts(s), before);
        assert.deepEqual(before, { customers: 1, contacts: 1, policies: 1 });
      } finally {
        await s.close();
      }
    });

    it('webhooks and daily runs delivered twice, out of order, make no duplicate contacts or policies; a local policy with the number is linked, not copied', async () => {
      // Dogwood is typed in locally and stays local (not pushed on create) until the merge.
      const s = await syncAgency(world, { autoDeliver: false, pushOnCreate: [] });
      try {
        const first = s.ams.createCustomer({ customerName: 'Cedar Family', email: 'cedar@example.com' });
        const second = s.ams.createCustomer({ customerName: 'Dogwood LLC', customerType: 'group', phone: '555-0142' });
        s.ams.addPolicy(first.customerId as string, { lineOfBusiness: 'Homeowners', effectiveDate: '2026-03-01' });
        s.ams.addPolicy(first.customerId as string, {
          lineOfBusiness: 'Auto',
          effectiveDate: '2026-01-15',
          expirationDate: '2026-07-15',
        });
        const dogwoodPolicy = s.ams.addPolicy(second.customerId as string, {}) as { policyNumber: string };

        // Staff already typed Dogwood in, with the AMS policy number.
        const created = await s.api.post('/api/v1/customers', { type: 'group', name: 'Dogwood LLC' });
        assert.equal(created.status, 201, JSON.stringify(created.body));
        const dogwoodNumber = created.body.customerNumber as number;
        const typed = await s.api.post('/api/v1/policies', {
          customerNumber: dogwoodNumber,
          policyNumber: dogwoodPolicy.policyNumber,
          lineOfBusiness: 'General Liability',
          effectiveDate: '2026-02-01',
          expirationDate: '2027-02-01',
          premium: 1200,
        });
        assert.equal(typed.status, 201, JSON.stringify(typed.body));

        // Daily first, then every webhook newest first, then the day again.
        const daily = await s.api.post('/api/v1/sync/runs', { system: 'ams' });
        assert.equal(daily.status, 200, JSON.stringify(daily.body));
        for (const event of [...s.ams.server.events].reverse()) assert.equal(await s.ams.server.deliver(event), 200);
        for (const event of s.ams.server.events) assert.equal(await s.ams.server.deliver(event), 200);
        await world.server.database.db.deleteFrom('sync_cursors').where('agency_id', '=', s.agency.id).execute();
        const again = await s.api.post('/api/v1/sync/runs', { system: 'ams' });
        assert.equal(again.body.created + again.body.linked + again.body.updated, 0, JSON.stringify(again.body));

        const cedar = await view(s, await customerNamed(s, 'Cedar Family'));
        assert.equal(cedar.contacts.length, 1);
        assert.deepEqual(linksOf(cedar.contacts[0] as SyncView['contacts'][number]), [
          `ams:${first.customerId}:primary`,
        ]);
        assert.equal(cedar.policies.length, 2);
        const policies = await s.api.get(`/api/v1/customers/${await customerNamed(s, 'Cedar Family')}/policies`);
        const byLine = Object.fromEntries(
          policies.body.data.map((p: { lineOfBusiness: string }) => [p.lineOfBusiness, p]),
        ) as Record<string, { effectiveDate: string; expirationDate: string }>;
        assert.deepEqual(
          [byLine.Homeowners?.effectiveDate, byLine.Homeowners?.expirationDate],
          ['2026-03-01', '2027-03-01'],
          'a missing expiration date is a year after the effective one',
        );
        assert.deepEqual([byLine.Auto?.effectiveDate, byLine.Auto?.expirationDate], ['2026-01-15', '2026-07-15']);

        // Our Dogwood has no phone to confirm the name match, so the AMS account waits in review;
        // staff merge it into ours.
        const reviews = await s.api.get('/api/v1/sync/reviews');
        const review = reviews.body.data.find((r: { externalId: string }) => r.externalId === second.customerId);
        assert.ok(review, JSON.stringify(reviews.body));
        const merge = await s.api.post(`/api/v1/sync/reviews/${review.id}/merge`, { customerNumber: dogwoodNumber });
        assert.equal(merge.status, 200, JSON.stringify(merge.body));
        const dogwood = await view(s, dogwoodNumber);
        assert.equal(dogwood.policies.length, 1, JSON.stringify(dogwood.policies));
        assert.equal(dogwood.policies[0]?.policyNumber, dogwoodPolicy.policyNumber, 'the typed-in policy is linked');
        assert.equal(dogwood.contacts.length, 1);
        const kept = await s.api.get(`/api/v1/policies/${encodeURIComponent(dogwoodPolicy.policyNumber)}`);
        assert.equal(kept.body.lineOfBusiness, 'Employee Benefits', "the AMS's line of business wins");
        assert.equal(kept.body.effectiveDate, '2026-02-01', 'fields the AMS does not send are kept');
        assert.equal(kept.body.premium, 1200);

        assert.deepEqual(await counts(s), { customers: 2, contacts: 2, policies: 3 });
      } finally {
        await s.close();
      }
    });
  });
}
