import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { hashToken } from '../../src/agency/secrets/secrets.ts';
import { inTransaction } from '../../src/platform/db/transaction.ts';
import { issuePortalLink } from '../../src/portal/links.ts';
import { databaseTargets } from '../support/db.ts';
import { createTestAgency } from '../support/fixtures.ts';
import { portalLink, waitFor } from '../support/mail.ts';
import { assertResponsesMatchedDocument, buildTestApp } from '../support/openapi.ts';
import { type PortalCustomer, type PortalWorld, portalClient, startPortalWorld } from '../support/portal.ts';

for (const target of databaseTargets()) {
  describe(`portal sign-in and links on ${target}`, () => {
    let world: PortalWorld;
    before(async () => {
      world = await startPortalWorld(target);
    });
    after(async () => world?.close());

    async function link(customer: PortalCustomer, options: { validMs?: number; now?: Date } = {}): Promise<URL> {
      const customerId = (
        await world.database.db
          .selectFrom('customers')
          .select('id')
          .where('customer_number', '=', customer.customerNumber)
          .where('agency_id', '=', world.agency.id)
          .executeTakeFirstOrThrow()
      ).id;
      const url = await inTransaction(world.database.db, (tx) =>
        issuePortalLink(
          tx,
          {
            agencyId: world.agency.id,
            agencySlug: world.agency.slug,
            customerId,
            contactId: customer.contactId,
            purpose: 'enroll',
            validMs: options.validMs ?? 60_000,
            portalUrl: `${world.url}/portal`,
          },
          options.now,
        ),
      );
      return new URL(url);
    }

    function redeem(url: URL, agency = url.searchParams.get('agency')) {
      return portalClient(world.url).post('/api/v1/portal/tokens/redeem', {
        agency,
        token: url.searchParams.get('token'),
      });
    }

    it('stores only the SHA-256 of a 256-bit token; a link works once', async () => {
      const customer = await world.addCustomer('Once Only');
      const url = await link(customer);
      const token = url.searchParams.get('token')!;
      assert.match(token, /^ppt_[A-Za-z0-9_-]{43}$/);
      const stored = await world.database.db
        .selectFrom('portal_tokens')
        .select('token_hash')
        .where('token_hash', '=', hashToken(token))
        .executeTakeFirst();
      assert.ok(stored);
      const dump = await world.database.db.selectFrom('portal_tokens').selectAll().execute();
      assert.ok(!JSON.stringify(dump).includes(token));

      assert.equal((await redeem(url)).status, 200);
      const second = await redeem(url);
      assert.equal(second.status, 401);
      assert.match(second.body.detail, /not valid any more/);
    });

    it('refuses an expired link and a link of another agency with the same answer', async () => {
      const customer = await world.addCustomer('Late Clicker');
      const expired = await link(customer, { validMs: 60_000, now: new Date(Date.now() - 120_000) });
      const late = await redeem(expired);
      assert.equal(late.status, 401);

      const other = await createTestAgency(world.database.db, 'Other Agency');
      const fresh = await link(customer);
      const wrongAgency = await redeem(fresh, other.slug);
      assert.equal(wrongAgency.status, 401);
      assert.equal(wrongAgency.body.detail, late.body.detail);
      const unknownAgency = await redeem(fresh, 'no-such-agency');
      assert.equal(unknownAgency.body.detail, late.body.detail);
      // Refused tries did not use it up.
      assert.equal((await redeem(fresh)).status, 200);
    });

    it('signs in with a password; the same answer for an unknown e-mail, no password and a wrong one', async () => {
      const customer = await world.addCustomer('Password Person');
      const client = portalClient(world.url);
      const first = await client.post('/api/v1/portal/tokens/redeem', {
        agency: world.agency.slug,
        token: (await link(customer)).searchParams.get('token'),
      });
      assert.equal(first.status, 200);
      const attempt = (email: string, password: string) =>
        portalClient(world.url).post('/api/v1/portal/session', { agency: world.agency.slug, email, password });
      const noPasswordYet = await attempt(customer.email, 'whatever-it-is');
      assert.equal(noPasswordYet.status, 401);
      const tooShort = await client.post('/api/v1/portal/password', { password: 'short' });
      assert.equal(tooShort.status, 400);
      assert.equal(tooShort.body.errors[0].path, 'password');
      assert.equal((await client.post('/api/v1/portal/password', { password: 'correct horse' })).status, 200);
      const wrong = await attempt(customer.email, 'incorrect horse');
      const unknown = await attempt('nobody@example.com', 'correct horse');
      assert.equal(wrong.status, 401);
      assert.equal(unknown.status, 401);
      assert.equal(wrong.body.detail, unknown.body.detail);
      assert.equal(wrong.body.detail, noPasswordYet.body.detail);
      const ok = await attempt(customer.email.toUpperCase(), 'correct horse');
      assert.equal(ok.status, 200);
      assert.equal(ok.body.contact.id, customer.contactId);
      const signedIn = portalClient(world.url);
      signedIn.cookie = ok.headers.getSetCookie()[0]!.split(';')[0]!;
      assert.equal((await signedIn.get('/api/v1/portal/me')).body.customer.customerNumber, customer.customerNumber);
      assert.equal((await signedIn.delete('/api/v1/portal/session')).status, 204);
      assert.equal((await signedIn.get('/api/v1/portal/me')).status, 401);
    });

    it('e-mails a sign-in link to an enrolled contact, an enrollment link otherwise, nothing to strangers', async () => {
      const enrolled = await world.addCustomer('Enrolled Already');
      assert.equal((await redeem(await link(enrolled))).status, 200);
      const newcomer = await world.addCustomer('Not Yet');
      const ask = (email: string) =>
        portalClient(world.url).post('/api/v1/portal/sign-in-link', { agency: world.agency.slug, email });
      const answers = [await ask(enrolled.email), await ask(newcomer.email), await ask('stranger@example.com')];
      for (const answer of answers) {
        assert.equal(answer.status, 202);
        assert.deepEqual(answer.body, { status: 'sent_if_known' });
      }
      const unknownAgency = await portalClient(world.url).post('/api/v1/portal/sign-in-link', {
        agency: 'nope',
        email: enrolled.email,
      });
      assert.deepEqual(unknownAgency.body, { status: 'sent_if_known' });

      const signIn = await waitFor('the sign-in link', () =>
        world.smtp.messages.find((m) => m.to.includes(enrolled.email) && /sign-in link/.test(m.subject)),
      );
      assert.equal(portalLink(signIn).pathname, '/portal/sign-in');
      const enroll = await waitFor('the enrollment link', () =>
        world.smtp.messages.find((m) => m.to.includes(newcomer.email) && /enrollment link/.test(m.subject)),
      );
      const enrollUrl = portalLink(enroll);
      assert.equal(enrollUrl.pathname, '/portal/enroll');
      assert.equal((await redeem(enrollUrl)).status, 200);
      const stored = await world.database.db
        .selectFrom('emails')
        .select('to_address')
        .where('agency_id', '=', world.agency.id)
        .execute();
      assert.ok(!stored.some((e) => e.to_address === 'stranger@example.com'));
    });

    it('never puts a host the caller chose into an e-mailed link (Host header poisoning)', async () => {
      const victim = await world.addCustomer('Poisoning Target');
      const port = new URL(world.url).port;
      const body = JSON.stringify({ agency: world.agency.slug, email: victim.email });
      const status = await new Promise<number>((resolve, reject) => {
        const req = request(
          {
            host: '127.0.0.1',
            port,
            path: '/api/v1/portal/sign-in-link',
            method: 'POST',
            headers: {
              host: 'evil.example',
              'content-type': 'application/json',
              'content-length': Buffer.byteLength(body),
            },
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end(body);
      });
      assert.equal(status, 202);
      const mail = await waitFor('the link e-mail', () => world.smtp.messages.find((m) => m.to.includes(victim.email)));
      const link = portalLink(mail);
      assert.equal(link.host, `localhost:${port}`);
      assert.ok(!mail.decoded.includes('evil.example'));
    });

    it('rate-limits sign-in, link redemption and link e-mails with 429 problem+json and Retry-After', async () => {
      const app = await buildTestApp({
        database: world.database,
        // Two per window; an hour-long one, so the test's few requests all fall in it however slow the machine.
        signInLimits: {
          portalSignIn: { max: 2, windowMs: 3_600_000 },
          portalRedeem: { max: 2, windowMs: 3_600_000 },
          portalLink: { max: 2, windowMs: 3_600_000 },
        },
      });
      const url = await app.listen({ port: 0, host: '127.0.0.1' });
      try {
        const client = portalClient(url);
        const cases = [
          () =>
            client.post('/api/v1/portal/session', { agency: world.agency.slug, email: 'a@b.example', password: 'x' }),
          () => client.post('/api/v1/portal/tokens/redeem', { agency: world.agency.slug, token: 'ppt_guess' }),
          () => client.post('/api/v1/portal/sign-in-link', { agency: world.agency.slug, email: 'a@b.example' }),
        ];
        for (const call of cases) {
          const before = [await call(), await call()];
          assert.ok(before.every((r) => r.status !== 429));
          const limited = await call();
          assert.equal(limited.status, 429);
          assert.equal(limited.headers.get('content-type'), 'application/problem+json; charset=utf-8');
          assert.equal(limited.body.type, 'https://policypay.dev/problems/rate-limited');
          assert.ok(Number(limited.headers.get('retry-after')) >= 1);
        }
      } finally {
        await app.close();
        assertResponsesMatchedDocument(app);
      }
    });
  });
}
