import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { databaseTargets } from '../support/db.ts';
import {
  eventually,
  pushesSettled,
  type SyncAgency,
  type SyncWorld,
  startSyncWorld,
  syncAgency,
} from '../support/sync.ts';

// Issue 16 item 6: the statements of seed 004 (AMS360 → BenefitPoint → the hub), each with a case.
for (const target of databaseTargets()) {
  describe(`sync fidelity (seed 004) on ${target}`, () => {
    let world: SyncWorld;
    before(async () => {
      world = await startSyncWorld(target);
    });
    after(async () => world.close());

    async function customerNamed(s: SyncAgency, name: string): Promise<number> {
      return eventually(async () => {
        const list = await s.api.get(`/api/v1/customers?search=${encodeURIComponent(name)}`);
        const found = list.body.data.filter((c: { name: string }) => c.name === name);
        return found.length === 1 ? (found[0].customerNumber as number) : undefined;
      }, `the customer ${name}`);
    }
    const problem = (response: { status: number; headers: Headers }, status: number) => {
      assert.equal(response.status, status);
      assert.equal(response.headers.get('content-type'), 'application/problem+json; charset=utf-8');
    };

    it('an AMS change reaches the benefits system as only the AMS-owned fields that changed: a benefits-only edit of another field survives', async () => {
      const s = await syncAgency(world, { connectBenefitsToAms: true });
      try {
        const ams = s.ams.createCustomer({
          customerName: 'Juniper Dental',
          customerType: 'group',
          email: 'office@juniper.example',
          phone: '312-555-0100',
          address: { line1: '1 Main St', city: 'Chicago', state: 'IL', zipCode: '60601' },
        });
        const customerNumber = await customerNamed(s, 'Juniper Dental');
        const account = await s.benefits.createAccount({ accountName: 'Juniper Dental' }, { existsInAms: true });
        const run = await s.api.post('/api/v1/sync/runs', { system: 'benefits' });
        assert.equal(run.body.linked, 1, JSON.stringify(run.body));
        const accountId = account.accountId as string;

        // Benefits staff edit the city there; it stays there (the AMS owns it, nothing flows back).
        s.benefits.updateAccount(accountId, { address: { city: 'Evanston' } });
        await s.api.post('/api/v1/sync/runs', { system: 'benefits' });
        assert.equal((await s.api.get(`/api/v1/customers/${customerNumber}`)).body.address.city, 'Chicago');

        // The AMS changes the phone: only the phone goes to the benefits system.
        s.ams.updateCustomer(ams.customerId as string, { phone: '312-555-0199' });
        await eventually(async () => {
          const c = await s.api.get(`/api/v1/customers/${customerNumber}`);
          return c.body.phone === '312-555-0199' || undefined;
        }, 'the AMS change to arrive');
        await pushesSettled(world, s.agency.id);
        const benefits = s.benefits.accounts.get(accountId)?.data as {
          primaryContact: { phone: string };
          address: { city: string };
        };
        assert.equal(benefits.primaryContact.phone, '312-555-0199', 'the AMS change arrived in the benefits system');
        assert.equal(benefits.address.city, 'Evanston', 'the benefits-only edit of another field survived');

        // A local edit of the e-mail also carries only the e-mail.
        const edit = await s.api.patch(`/api/v1/customers/${customerNumber}`, { email: 'front@juniper.example' });
        assert.equal(edit.status, 200, JSON.stringify(edit.body));
        await pushesSettled(world, s.agency.id);
        const after = s.benefits.accounts.get(accountId)?.data as {
          primaryContact: { email: string };
          address: { city: string };
        };
        assert.equal(after.primaryContact.email, 'front@juniper.example');
        assert.equal(after.address.city, 'Evanston');
      } finally {
        await s.close();
      }
    });

    it('a customer created in policypay follows pushOnCreate without a manual push (AMS by default, both, or none)', async () => {
      const s = await syncAgency(world);
      try {
        const created = await s.api.post('/api/v1/customers', {
          type: 'individual',
          name: 'Kestrel Auto',
          email: 'kestrel@example.com',
        });
        assert.equal(created.status, 201, JSON.stringify(created.body));
        await pushesSettled(world, s.agency.id);
        const sync = await s.api.get(`/api/v1/customers/${created.body.customerNumber}/sync`);
        assert.deepEqual(
          sync.body.badges.map((b: { system: string }) => b.system),
          ['ams'],
        );
        assert.equal(s.ams.findByName('Kestrel Auto').length, 1, 'one AMS customer');
        assert.equal(s.benefits.accounts.all().length, 0, 'the default rule does not push to benefits');

        const rules = await s.api.get('/api/v1/sync/rules');
        await s.api.put('/api/v1/sync/rules', { ...rules.body, pushOnCreate: ['ams', 'benefits'] });
        const both = await s.api.post('/api/v1/customers', { type: 'group', name: 'Lark Group' });
        await pushesSettled(world, s.agency.id);
        const bothSync = await s.api.get(`/api/v1/customers/${both.body.customerNumber}/sync`);
        assert.deepEqual(bothSync.body.badges.map((b: { system: string }) => b.system).sort(), ['ams', 'benefits']);
        const account = s.benefits.accounts.all().find((a) => a.data.accountName === 'Lark Group');
        assert.equal(
          account?.data.amsCustomerNumber,
          bothSync.body.badges.find((b: { system: string }) => b.system === 'ams').amsCustomerNumber,
          'the benefits account carries the AMS number',
        );

        await s.api.put('/api/v1/sync/rules', { ...rules.body, pushOnCreate: [] });
        const none = await s.api.post('/api/v1/customers', { type: 'group', name: 'Martin Local' });
        await pushesSettled(world, s.agency.id);
        const noneSync = await s.api.get(`/api/v1/customers/${none.body.customerNumber}/sync`);
        assert.deepEqual(noneSync.body.badges, []);
        assert.equal(s.ams.findByName('Martin Local').length, 0);
      } finally {
        await s.close();
      }
    });

    it('contacts go to the linked systems on create and follow edits (PATCH contact); bad input is a problem and writes nothing', async () => {
      const s = await syncAgency(world, { pushOnCreate: ['ams', 'benefits'] });
      try {
        const created = await s.api.post('/api/v1/customers', { type: 'group', name: 'Nightjar Labs' });
        const number = created.body.customerNumber as number;
        await pushesSettled(world, s.agency.id);
        const contact = await s.api.post(
          `/api/v1/customers/${number}/contacts`,
          { name: 'Nia Night', email: 'nia@nightjar.example', phone: '773-555-0101' },
          { 'idempotency-key': 'contact-nia' },
        );
        assert.equal(contact.status, 201, JSON.stringify(contact.body));
        assert.equal(contact.body.primary, true);
        await pushesSettled(world, s.agency.id);
        const amsRecord = () => s.ams.findByName('Nightjar Labs')[0] as Record<string, unknown>;
        const benefitsRecord = () =>
          s.benefits.accounts.all().find((a) => a.data.accountName === 'Nightjar Labs')?.data as {
            primaryContact: Record<string, unknown>;
          };
        assert.equal(amsRecord().contactName, 'Nia Night');
        assert.equal(amsRecord().email, 'nia@nightjar.example');
        assert.deepEqual(benefitsRecord().primaryContact, {
          name: 'Nia Night',
          email: 'nia@nightjar.example',
          phone: '773-555-0101',
        });
        const view = await s.api.get(`/api/v1/customers/${number}/sync`);
        assert.equal(view.body.contacts.length, 1, 'the pushed contact is linked, not duplicated by its echo');

        const edit = await s.api.patch(`/api/v1/customers/${number}/contacts/${contact.body.id}`, {
          phone: '773-555-0199',
          name: 'Nia Nightingale',
        });
        assert.equal(edit.status, 200, JSON.stringify(edit.body));
        assert.equal(edit.body.phone, '773-555-0199');
        await pushesSettled(world, s.agency.id);
        assert.equal(amsRecord().contactName, 'Nia Nightingale');
        assert.equal(amsRecord().phone, '773-555-0199');
        assert.equal(benefitsRecord().primaryContact.phone, '773-555-0199');
        assert.equal(benefitsRecord().primaryContact.name, 'Nia Nightingale');
        const contacts = await s.api.get(`/api/v1/customers/${number}/contacts`);
        assert.equal(contacts.body.data.length, 1, 'echoes of the pushes made no second contact');

        const path = `/api/v1/customers/${number}/contacts/${contact.body.id}`;
        for (const [body, field] of [
          [{}, ''],
          [{ email: 'not-an-email' }, 'email'],
          [{ name: '' }, 'name'],
          [{ primary: false }, 'primary'],
          [{ phone: 'x'.repeat(41) }, 'phone'],
          [{ nickname: 'Nia' }, ''],
        ] as const) {
          const bad = await s.api.patch(path, body);
          problem(bad, 400);
          if (field) assert.ok(JSON.stringify(bad.body).includes(field), JSON.stringify(bad.body));
        }
        problem(await s.api.patch(`/api/v1/customers/${number}/contacts/not-a-uuid`, { phone: '1' }), 404);
        problem(
          await s.api.patch(`/api/v1/customers/${number}/contacts/00000000-0000-4000-8000-000000000000`, {
            phone: '1',
          }),
          404,
        );
        problem(await s.api.patch(`/api/v1/customers/999999/contacts/${contact.body.id}`, { phone: '1' }), 404);
        const unchanged = await s.api.get(`/api/v1/customers/${number}/contacts`);
        assert.deepEqual(unchanged.body.data, contacts.body.data, 'nothing was written');
      } finally {
        await s.close();
      }
    });

    it('plans of a benefits-only account arrive as policies with their premium and dates; AMS policies carry their premium and effective date; a plan of an AMS account is not doubled', async () => {
      const s = await syncAgency(world, { connectBenefitsToAms: false });
      try {
        const account = await s.benefits.createAccount({
          accountName: 'Osprey Staffing',
          accountType: 'group',
          primaryContact: { email: 'hr@osprey.example' },
        });
        await s.benefits.addPlan(account.accountId as string, {
          planName: 'Dental PPO',
          carrier: 'Delta',
          policyNumber: 'DEN-4401',
          premium: 1200.5,
          effectiveDate: '2026-02-01',
          renewalDate: '2027-02-01',
        });
        const run = await s.api.post('/api/v1/sync/runs', { system: 'benefits' });
        assert.equal(run.body.created, 1, JSON.stringify(run.body));
        const number = await customerNamed(s, 'Osprey Staffing');
        const policies = await s.api.get(`/api/v1/customers/${number}/policies`);
        assert.equal(policies.body.data.length, 1, JSON.stringify(policies.body));
        const [plan] = policies.body.data;
        assert.equal(plan.policyNumber, 'DEN-4401');
        assert.equal(plan.premium, 1200.5);
        assert.equal(plan.effectiveDate, '2026-02-01');
        assert.equal(plan.expirationDate, '2027-02-01');

        const ams = s.ams.createCustomer({ customerName: 'Pelican Bakery', email: 'p@pelican.example' });
        s.ams.addPolicy(ams.customerId as string, {
          lineOfBusiness: 'Commercial Property',
          premium: '3400.00',
          effectiveDate: '2026-04-15',
        });
        const pelican = await customerNamed(s, 'Pelican Bakery');
        const amsPolicies = await eventually(async () => {
          const list = await s.api.get(`/api/v1/customers/${pelican}/policies`);
          return list.body.data.length === 1 ? list.body.data : undefined;
        }, 'the AMS policy');
        assert.equal(amsPolicies[0].premium, 3400);
        assert.equal(amsPolicies[0].effectiveDate, '2026-04-15');
        assert.equal(amsPolicies[0].expirationDate, '2027-04-15');

        // An AMS premium that is not an amount is logged, not guessed.
        s.ams.addPolicy(ams.customerId as string, { premium: 'lots', effectiveDate: '2026-04-15' });
        await eventually(async () => {
          const log = await s.api.get('/api/v1/sync/log');
          return (
            log.body.data.some(
              (r: { action: string; message: string | null }) =>
                r.action === 'invalid' && /premium/.test(r.message ?? ''),
            ) || undefined
          );
        }, 'the invalid premium to be logged');
        assert.equal((await s.api.get(`/api/v1/customers/${pelican}/policies`)).body.data.length, 1);
      } finally {
        await s.close();
      }
    });

    it('a plan of an account the AMS knows comes once, through the AMS, with its premium and effective date', async () => {
      const s = await syncAgency(world, { connectBenefitsToAms: true });
      try {
        s.ams.createCustomer({ customerName: 'Quail Clinic', email: 'q@quail.example' });
        const number = await customerNamed(s, 'Quail Clinic');
        const account = await s.benefits.createAccount({ accountName: 'Quail Clinic' }, { existsInAms: true });
        await s.benefits.addPlan(account.accountId as string, {
          planName: 'Vision',
          carrier: 'VSP',
          premium: '480.25',
          effectiveDate: '2026-05-01',
        });
        const policies = await eventually(async () => {
          const list = await s.api.get(`/api/v1/customers/${number}/policies`);
          return list.body.data.length === 1 ? list.body.data : undefined;
        }, 'the AMS policy made from the plan');
        await s.api.post('/api/v1/sync/runs', { system: 'benefits' });
        const again = await s.api.get(`/api/v1/customers/${number}/policies`);
        assert.equal(again.body.data.length, 1, 'the benefits plan is not a second policy');
        assert.equal(policies[0].premium, 480.25);
        assert.equal(policies[0].effectiveDate, '2026-05-01');
      } finally {
        await s.close();
      }
    });
  });
}
