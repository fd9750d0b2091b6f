// Issue 16, item 1: one portal identity per e-mail and agency, across every customer where the
// person is a contact. Requests, payments, saved methods and autopay stay per customer; another
// customer's ids answer 404 (or 422 for a method named in a body) and write nothing.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { addContact } from '../../src/customers/contacts.ts';
import { CARD_SUCCEEDS } from '../../src/payments/processors/sandbox/test-numbers.ts';
import { databaseTargets } from '../support/db.ts';
import { portalLink, waitFor } from '../support/mail.ts';
import { tokenizeCard } from '../support/payments.ts';
import {
  type PortalClient,
  type PortalCustomer,
  type PortalWorld,
  portalClient,
  startPortalWorld,
} from '../support/portal.ts';

/** Tables a portal call for the wrong customer could write to. */
const WATCHED = [
  'payments',
  'payment_methods',
  'autopay_enrollments',
  'payment_requests',
  'portal_identities',
  'portal_sessions',
  'journal_entries',
  'activities',
  'idempotency_keys',
] as const;

for (const target of databaseTargets()) {
  describe(`portal identities across accounts on ${target}`, () => {
    let world: PortalWorld;
    let personal: PortalCustomer;
    let business: PortalCustomer & { personContactId: string };
    let stranger: PortalCustomer;
    /** The person, signed in once, who may see `personal` and `business`. */
    let person: PortalClient;
    const requestIds: { personal?: string; business?: string; stranger?: string } = {};
    const methodIds: { personal?: string; business?: string; stranger?: string } = {};

    before(async () => {
      world = await startPortalWorld(target);
      personal = await world.addCustomer('Morgan Lee');
      const company = await world.addCustomer('Lee Landscaping LLC');
      // The same person is also a contact of the business (the customer's own contact is its AP desk).
      const contact = await addContact(world.database.db, world.agency.actor, company.customerNumber, {
        name: 'Morgan Lee',
        email: personal.email.toUpperCase(),
      });
      business = { ...company, personContactId: contact.id };
      stranger = await world.addCustomer('Sam Stranger');
    });
    after(async () => world?.close());

    const counts = async () => {
      const union = WATCHED.map((t) => `SELECT '${t}' AS t, count(*) AS n FROM ${t}`).join(' UNION ALL ');
      const rows = (await sql<{ t: string; n: bigint }>`${sql.raw(union)}`.execute(world.database.db)).rows;
      const sessions = await world.database.db
        .selectFrom('portal_sessions')
        .select(['token_hash', 'customer_id'])
        .orderBy('token_hash')
        .execute();
      return { rows: Object.fromEntries(rows.map((r) => [r.t, Number(r.n)])), sessions };
    };

    async function requestFor(customerNumber: number, contactId: string, amount = 120) {
      const res = await world.api.post('/api/v1/payment-requests', {
        customerNumber,
        contactId,
        amount,
        dueDate: '2099-11-01',
      });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return res.body.id as string;
    }

    const mailFor = (requestId: string) =>
      waitFor(`the e-mail of request ${requestId}`, () =>
        world.smtp.messages.find((m) => m.decoded.includes(`request=${requestId}`)),
      );

    async function redeem(client: PortalClient, link: URL) {
      return client.post('/api/v1/portal/tokens/redeem', {
        agency: link.searchParams.get('agency'),
        token: link.searchParams.get('token'),
      });
    }

    async function saveCard(client: PortalClient) {
      const res = await client.post('/api/v1/portal/payment-methods', {
        token: await tokenizeCard(world.sandbox, CARD_SUCCEEDS),
      });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return res.body.id as string;
    }

    const switchTo = (client: PortalClient, customerNumber: unknown, headers?: Record<string, string>) =>
      client.post('/api/v1/portal/session/account', { customerNumber }, headers);

    it('enrolls once; a request for the other account says sign in, and its link opens that account', async () => {
      requestIds.personal = await requestFor(personal.customerNumber, personal.contactId);
      const first = await mailFor(requestIds.personal);
      assert.match(first.decoded, /not enrolled in our client portal yet/);
      person = portalClient(world.url);
      const enrolled = await redeem(person, portalLink(first));
      assert.equal(enrolled.status, 200, JSON.stringify(enrolled.body));
      assert.equal(enrolled.body.customer.customerNumber, personal.customerNumber);
      assert.deepEqual(
        enrolled.body.accounts.map((a: { customerNumber: number; current: boolean }) => [a.customerNumber, a.current]),
        [
          [personal.customerNumber, true],
          [business.customerNumber, false],
        ],
      );

      // Before identities this e-mail said "not enrolled" and its link answered 409.
      requestIds.business = await requestFor(business.customerNumber, business.personContactId, 340);
      const second = await mailFor(requestIds.business);
      assert.doesNotMatch(second.decoded, /not enrolled/);
      assert.match(second.decoded, /Sign in to your client portal to pay it/);
      const link = portalLink(second);
      assert.equal(link.pathname, '/portal/sign-in');
      const signedIn = await redeem(person, link);
      assert.equal(signedIn.status, 200, JSON.stringify(signedIn.body));
      assert.equal(signedIn.body.customer.customerNumber, business.customerNumber);
      assert.equal(signedIn.body.contact.id, business.personContactId);
      assert.equal(signedIn.body.paymentRequestId, requestIds.business);
      const identities = await world.database.db
        .selectFrom('portal_identities')
        .select('email')
        .where('agency_id', '=', world.agency.id)
        .where('email', '=', personal.email.toLowerCase())
        .execute();
      assert.equal(identities.length, 1, 'one identity for the address');
      const seen = await person.get(`/api/v1/portal/payment-requests/${requestIds.business}`);
      assert.equal(seen.status, 200);
      assert.equal(seen.body.amount, 340);
    });

    it('keeps methods, payments and autopay per account and pays a request of each', async () => {
      // On the business account (the last link): a card saved here belongs to the business.
      methodIds.business = await saveCard(person);
      const paidBusiness = await person.post(`/api/v1/portal/payment-requests/${requestIds.business}/pay`, {
        paymentMethodId: methodIds.business,
      });
      assert.equal(paidBusiness.status, 201, JSON.stringify(paidBusiness.body));
      assert.equal(paidBusiness.body.state, 'posted');

      const switched = await switchTo(person, personal.customerNumber, { 'idempotency-key': 'switch-1' });
      assert.equal(switched.status, 200, JSON.stringify(switched.body));
      assert.equal(switched.body.customer.customerNumber, personal.customerNumber);
      assert.equal(switched.body.contact.id, personal.contactId);
      assert.equal((await person.get('/api/v1/portal/me')).body.customer.customerNumber, personal.customerNumber);

      // The business's card is not offered, and cannot pay the personal account's request.
      assert.deepEqual((await person.get('/api/v1/portal/payment-methods')).body.data, []);
      const before = await counts();
      const crossPay = await person.post(`/api/v1/portal/payment-requests/${requestIds.personal}/pay`, {
        paymentMethodId: methodIds.business,
      });
      assert.equal(crossPay.status, 422);
      assert.equal(crossPay.headers.get('content-type'), 'application/problem+json; charset=utf-8');
      assert.equal(crossPay.body.errors[0].path, 'paymentMethodId');
      const crossAutopay = await person.post('/api/v1/portal/autopay', { paymentMethodId: methodIds.business });
      assert.equal(crossAutopay.status, 422);
      assert.deepEqual(await counts(), before, 'nothing written by the refused calls');

      methodIds.personal = await saveCard(person);
      const paidPersonal = await person.post(`/api/v1/portal/payment-requests/${requestIds.personal}/pay`, {
        paymentMethodId: methodIds.personal,
      });
      assert.equal(paidPersonal.status, 201, JSON.stringify(paidPersonal.body));
      assert.equal((await person.post('/api/v1/portal/autopay', { paymentMethodId: methodIds.personal })).status, 200);

      const payments = (await person.get('/api/v1/portal/payments')).body.data;
      assert.deepEqual(
        payments.map((p: { id: string }) => p.id),
        [paidPersonal.body.id],
      );
      assert.equal((await person.get('/api/v1/portal/autopay')).body.enrolled, true);

      assert.equal((await switchTo(person, business.customerNumber)).status, 200);
      assert.deepEqual(
        (await person.get('/api/v1/portal/payments')).body.data.map((p: { id: string }) => p.id),
        [paidBusiness.body.id],
      );
      assert.equal((await person.get('/api/v1/portal/autopay')).body.enrolled, false, 'autopay is per customer');
      assert.deepEqual(
        (await person.get('/api/v1/portal/payment-methods')).body.data.map((m: { id: string }) => m.id),
        [methodIds.business],
      );
      // Staff see each payment on its own customer.
      const staffPayments = await world.database.db
        .selectFrom('payments as p')
        .innerJoin('customers as c', 'c.id', 'p.customer_id')
        .select(['p.id', 'c.customer_number', 'p.paid_by_contact_id'])
        .where('p.id', 'in', [paidPersonal.body.id, paidBusiness.body.id])
        .orderBy('c.customer_number')
        .execute();
      assert.deepEqual(
        staffPayments.map((p) => [p.customer_number, p.paid_by_contact_id]),
        [
          [personal.customerNumber, personal.contactId],
          [business.customerNumber, business.personContactId],
        ],
      );
    });

    it('answers 404 for a customer where the person is not a contact, and writes nothing', async () => {
      // The stranger's own request and card, made by the stranger through their own session.
      requestIds.stranger = await requestFor(stranger.customerNumber, stranger.contactId, 55);
      const strangerClient = portalClient(world.url);
      assert.equal((await redeem(strangerClient, portalLink(await mailFor(requestIds.stranger)))).status, 200);
      methodIds.stranger = await saveCard(strangerClient);
      assert.deepEqual(
        (await strangerClient.get('/api/v1/portal/me')).body.accounts.map(
          (a: { customerNumber: number }) => a.customerNumber,
        ),
        [stranger.customerNumber],
      );

      const before = await counts();
      const refused = [
        await switchTo(person, stranger.customerNumber),
        await switchTo(person, 2_147_483_000),
        await person.get(`/api/v1/portal/payment-requests/${requestIds.stranger}`),
        await person.post(`/api/v1/portal/payment-requests/${requestIds.stranger}/pay`, {
          paymentMethodId: methodIds.business,
        }),
        await person.post(`/api/v1/portal/payment-methods/${methodIds.stranger}/default`, {}),
        await person.delete(`/api/v1/portal/payment-methods/${methodIds.stranger}`),
        await strangerClient.get(`/api/v1/portal/payment-requests/${requestIds.business}`),
        await switchTo(strangerClient, business.customerNumber),
      ];
      for (const res of refused) {
        assert.equal(res.status, 404, JSON.stringify(res.body));
        assert.equal(res.headers.get('content-type'), 'application/problem+json; charset=utf-8');
      }
      // A method of someone else named in a body: refused as not one of yours.
      const foreignMethod = await person.post('/api/v1/portal/payments', {
        amount: 10,
        paymentMethodId: methodIds.stranger,
      });
      assert.equal(foreignMethod.status, 422);
      assert.deepEqual(await counts(), before, 'nothing written');
      assert.equal((await person.get('/api/v1/portal/me')).body.customer.customerNumber, business.customerNumber);
    });

    it('refuses bad input to the switch with problem+json naming the field, writing nothing', async () => {
      const before = await counts();
      const bodies: unknown[] = [
        { customerNumber: 'abc' },
        { customerNumber: '1001' },
        { customerNumber: -1 },
        { customerNumber: 0 },
        { customerNumber: 1.5 },
        { customerNumber: true },
        { customerNumber: 3_000_000_000 },
        { customerNumber: null },
        {},
        { customerNumber: personal.customerNumber, extra: 1 },
      ];
      for (const body of bodies) {
        const res = await person.post('/api/v1/portal/session/account', body, {
          'idempotency-key': `bad-${Math.random()}`,
        });
        assert.equal(res.status, 400, `${JSON.stringify(body)} → ${JSON.stringify(res.body)}`);
        assert.equal(res.headers.get('content-type'), 'application/problem+json; charset=utf-8');
        const field = 'extra' in (body as object) ? 'extra' : 'customerNumber';
        assert.ok(
          res.body.errors.some((e: { path: string }) => e.path === field),
          `${field} named in ${JSON.stringify(res.body.errors)}`,
        );
      }
      const noSession = await portalClient(world.url).post('/api/v1/portal/session/account', {
        customerNumber: personal.customerNumber,
      });
      assert.equal(noSession.status, 401);
      const staff = await world.api.post('/api/v1/portal/session/account', { customerNumber: personal.customerNumber });
      assert.equal(staff.status, 403);
      assert.deepEqual(await counts(), before);
    });

    it('one password for the identity; sign-in opens the first account and lists both', async () => {
      assert.equal((await person.post('/api/v1/portal/password', { password: 'two accounts one login' })).status, 200);
      const fresh = portalClient(world.url);
      const signedIn = await fresh.post('/api/v1/portal/session', {
        agency: world.agency.slug,
        email: personal.email,
        password: 'two accounts one login',
      });
      assert.equal(signedIn.status, 200, JSON.stringify(signedIn.body));
      assert.equal(signedIn.body.customer.customerNumber, personal.customerNumber);
      assert.equal(signedIn.body.accounts.length, 2);
      // Each browser keeps its own account: switching one does not move the other.
      assert.equal((await switchTo(fresh, business.customerNumber)).status, 200);
      assert.equal((await person.get('/api/v1/portal/me')).body.customer.customerNumber, business.customerNumber);
      assert.equal((await switchTo(person, personal.customerNumber)).status, 200);
      assert.equal((await fresh.get('/api/v1/portal/me')).body.customer.customerNumber, business.customerNumber);
    });

    it('an enrollment link of the other account sent before enrolling still works afterwards', async () => {
      const home = await world.addCustomer('Robin Hale');
      const shop = await world.addCustomer('Hale Hardware');
      const contact = await addContact(world.database.db, world.agency.actor, shop.customerNumber, {
        name: 'Robin Hale',
        email: home.email,
      });
      const homeRequest = await requestFor(home.customerNumber, home.contactId);
      const shopRequest = await requestFor(shop.customerNumber, contact.id);
      const homeLink = portalLink(await mailFor(homeRequest));
      const shopLink = portalLink(await mailFor(shopRequest));
      assert.equal(shopLink.pathname, '/portal/enroll');
      const robin = portalClient(world.url);
      assert.equal((await redeem(robin, homeLink)).status, 200);
      // Before identities: 409, "another contact of this agency is already enrolled with this e-mail".
      const later = await redeem(robin, shopLink);
      assert.equal(later.status, 200, JSON.stringify(later.body));
      assert.equal(later.body.customer.customerNumber, shop.customerNumber);
      assert.equal(later.body.paymentRequestId, shopRequest);
      const count = await world.database.db
        .selectFrom('portal_identities')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('email', '=', home.email.toLowerCase())
        .executeTakeFirstOrThrow();
      assert.equal(Number(count.n), 1);
    });

    it("a link mailed before the contact's address changed no longer signs anyone in", async () => {
      const moved = await world.addCustomer('Alex Moved');
      const link = portalLink(await mailFor(await requestFor(moved.customerNumber, moved.contactId)));
      await world.database.db
        .updateTable('contacts')
        .set({ email: 'alex.new.address@example.com' })
        .where('id', '=', moved.contactId)
        .execute();
      const before = await counts();
      const answer = await redeem(portalClient(world.url), link);
      assert.equal(answer.status, 401, JSON.stringify(answer.body));
      assert.deepEqual(await counts(), before, 'no identity for the new address, no session');
    });

    it('ends access to a customer at once when the person stops being its contact', async () => {
      assert.equal((await switchTo(person, business.customerNumber)).status, 200);
      // The business's contact is re-addressed (an edit or a sync from the AMS): the person is no
      // longer a contact of the business.
      await world.database.db
        .updateTable('contacts')
        .set({ email: 'new.ap.desk@example.com' })
        .where('id', '=', business.personContactId)
        .execute();
      // The session that was looking at the business goes on with the person's remaining account.
      const me = await person.get('/api/v1/portal/me');
      assert.equal(me.body.customer.customerNumber, personal.customerNumber);
      assert.deepEqual(
        me.body.accounts.map((a: { customerNumber: number }) => a.customerNumber),
        [personal.customerNumber],
      );
      assert.equal((await switchTo(person, business.customerNumber)).status, 404);
      assert.equal((await person.get(`/api/v1/portal/payment-requests/${requestIds.business}`)).status, 404);
      assert.equal((await person.post(`/api/v1/portal/payment-methods/${methodIds.business}/default`, {})).status, 404);
      const signIn = await portalClient(world.url).post('/api/v1/portal/session', {
        agency: world.agency.slug,
        email: personal.email,
        password: 'two accounts one login',
      });
      assert.deepEqual(
        signIn.body.accounts.map((a: { customerNumber: number }) => a.customerNumber),
        [personal.customerNumber],
      );

      // With no account left the identity signs nobody in (its sessions and its password).
      await world.database.db
        .updateTable('contacts')
        .set({ email: 'moved.away@example.com' })
        .where('id', '=', personal.contactId)
        .execute();
      assert.equal((await person.get('/api/v1/portal/me')).status, 401);
      const noAccount = await portalClient(world.url).post('/api/v1/portal/session', {
        agency: world.agency.slug,
        email: personal.email,
        password: 'two accounts one login',
      });
      assert.equal(noAccount.status, 401);
    });
  });
}
