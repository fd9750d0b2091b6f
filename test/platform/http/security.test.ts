// Issue 15, defect 6: sign-in and sessions. Rate limits, equal work for unknown e-mails, Secure
// cookies, the CSRF rule, security headers, a password change ending other sessions, and staff
// never seeing a client's live link token.
import assert from 'node:assert/strict';
import diagnosticsChannel from 'node:diagnostics_channel';
import { after, before, describe, it } from 'node:test';
import type { AppOptions } from '../../../src/platform/app/app.ts';
import { inTransaction } from '../../../src/platform/db/transaction.ts';
import type { JobQueue } from '../../../src/platform/jobs/job-queue.ts';
import { issuePortalLink } from '../../../src/portal/links.ts';
import { databaseTargets } from '../../support/db.ts';
import { apiClient } from '../../support/http.ts';
import { portalLink, waitFor } from '../../support/mail.ts';
import { buildTestApp } from '../../support/openapi.ts';
import { type PortalCustomer, type PortalWorld, portalClient, startPortalWorld } from '../../support/portal.ts';

const PROBLEM_JSON = 'application/problem+json; charset=utf-8';

for (const target of databaseTargets()) {
  describe(`sign-in and sessions on ${target}`, () => {
    let world: PortalWorld;
    before(async () => {
      world = await startPortalWorld(target);
    });
    after(async () => world?.close());

    /** Another server over the same database, with its own options; closed after `use`. */
    async function withApp<T>(options: Partial<AppOptions>, use: (url: string) => Promise<T>): Promise<T> {
      const app = await buildTestApp({ database: world.database, ...options });
      const url = await app.listen({ port: 0, host: '127.0.0.1' });
      try {
        return await use(url);
      } finally {
        await app.close();
      }
    }

    async function enrollmentLink(customer: PortalCustomer): Promise<URL> {
      const customerId = (
        await world.database.db
          .selectFrom('customers')
          .select('id')
          .where('agency_id', '=', world.agency.id)
          .where('customer_number', '=', customer.customerNumber)
          .executeTakeFirstOrThrow()
      ).id;
      return new URL(
        await inTransaction(world.database.db, (tx) =>
          issuePortalLink(tx, {
            agencyId: world.agency.id,
            agencySlug: world.agency.slug,
            customerId,
            contactId: customer.contactId,
            purpose: 'enroll',
            validMs: 60_000,
            portalUrl: `${world.url}/portal`,
          }),
        ),
      );
    }

    async function staffCookie(url = world.url): Promise<string> {
      const signedIn = await apiClient(url).post('/api/v1/session', world.agency.staff);
      assert.equal(signedIn.status, 200);
      return signedIn.headers.getSetCookie()[0]!.split(';')[0]!;
    }

    it('rate-limits staff sign-in per client address and per e-mail: 429 problem+json with Retry-After', async () => {
      // One hour-long window: the test's few requests all fall in it however slow the machine.
      await withApp(
        { signInLimits: { staffSignIn: { max: 4, maxPerAccount: 2, windowMs: 3_600_000 } } },
        async (url) => {
          const client = apiClient(url);
          const attempt = (email: string) => client.post('/api/v1/session', { email, password: 'not it' });
          assert.equal((await attempt(world.agency.staff.email)).status, 401);
          assert.equal((await attempt(world.agency.staff.email.toUpperCase())).status, 401);
          const perAccount = await attempt(world.agency.staff.email);
          assert.equal(perAccount.status, 429);
          assert.equal(perAccount.headers.get('content-type'), PROBLEM_JSON);
          assert.equal(perAccount.body.type, 'https://policypay.dev/problems/rate-limited');
          assert.ok(Number(perAccount.headers.get('retry-after')) >= 1);
          // Another e-mail from the same address is still let through, until the address's own limit.
          assert.equal((await attempt('someone.else@example.com')).status, 401);
          const perAddress = await attempt('a.third@example.com');
          assert.equal(perAddress.status, 429);
          assert.ok(Number(perAddress.headers.get('retry-after')) >= 1);
          // Even the right password waits out the window.
          assert.equal((await client.post('/api/v1/session', world.agency.staff)).status, 429);
        },
      );
    });

    it('pays one scrypt verification for an unknown e-mail, as for a known one (staff and portal)', async () => {
      let verifications = 0;
      const count = () => {
        verifications++;
      };
      diagnosticsChannel.subscribe('policypay.password.verify', count);
      try {
        const anon = apiClient(world.url);
        const cases = [
          () => anon.post('/api/v1/session', { email: 'nobody@nowhere.example', password: 'guess' }),
          () => anon.post('/api/v1/session', { email: world.agency.staff.email, password: 'guess' }),
          () =>
            anon.post('/api/v1/portal/session', {
              agency: world.agency.slug,
              email: 'nobody@nowhere.example',
              password: 'guess',
            }),
        ];
        for (const call of cases) {
          verifications = 0;
          const answer = await call();
          assert.equal(answer.status, 401);
          assert.equal(verifications, 1, `one scrypt per attempt: ${JSON.stringify(answer.body)}`);
        }
      } finally {
        diagnosticsChannel.unsubscribe('policypay.password.verify', count);
      }
    });

    it('answers a sign-in link request after the same work for a client and a stranger (a queued job)', async () => {
      const enrolled = await world.addCustomer('Known Client');
      assert.equal(
        (
          await portalClient(world.url).post('/api/v1/portal/tokens/redeem', {
            agency: world.agency.slug,
            token: (await enrollmentLink(enrolled)).searchParams.get('token'),
          })
        ).status,
        200,
      );
      const newcomer = await world.addCustomer('Known Contact');
      const enqueued: { queue: string; data: object }[] = [];
      const recording: JobQueue = {
        async enqueue(_tx, queue, data) {
          enqueued.push({ queue, data });
        },
        async enqueueMany(_tx, queue, jobs) {
          for (const job of jobs) enqueued.push({ queue, data: job.data });
        },
      };
      const rows = async () => {
        const [emails, tokens] = await Promise.all([
          world.database.db
            .selectFrom('emails')
            .select((eb) => eb.fn.countAll<string>().as('n'))
            .executeTakeFirst(),
          world.database.db
            .selectFrom('portal_tokens')
            .select((eb) => eb.fn.countAll<string>().as('n'))
            .executeTakeFirst(),
        ]);
        return [Number(emails?.n), Number(tokens?.n)];
      };
      await withApp({ jobs: recording, publicUrl: 'https://pay.example' }, async (url) => {
        const work: string[] = [];
        for (const email of [enrolled.email, newcomer.email, 'stranger@example.com']) {
          const before = await rows();
          enqueued.length = 0;
          const answer = await portalClient(url).post('/api/v1/portal/sign-in-link', {
            agency: world.agency.slug,
            email,
          });
          assert.equal(answer.status, 202);
          // Nothing looked up or written on the request's path: the job does it.
          assert.deepEqual(await rows(), before, `no e-mail or token written while answering ${email}`);
          work.push(JSON.stringify(enqueued.map((job) => [job.queue, Object.keys(job.data).sort()])));
        }
        assert.equal(new Set(work).size, 1, `the same work for everyone: ${work.join(' / ')}`);
        assert.deepEqual(enqueued[0]?.data, {
          agencySlug: world.agency.slug,
          email: 'stranger@example.com',
          portalUrl: 'https://pay.example/portal',
        });
      });
    });

    it('marks the staff and portal cookies Secure when the public URL is https, and sends HSTS then', async () => {
      const customer = await world.addCustomer('Secure Cookie');
      await withApp({ publicUrl: 'https://pay.example' }, async (url) => {
        const staff = await apiClient(url).post('/api/v1/session', world.agency.staff);
        assert.equal(staff.status, 200);
        assert.match(staff.headers.getSetCookie()[0]!, /^pp_session=.*; Secure/);
        const portal = await portalClient(url).post('/api/v1/portal/tokens/redeem', {
          agency: world.agency.slug,
          token: (await enrollmentLink(customer)).searchParams.get('token'),
        });
        assert.equal(portal.status, 200);
        assert.match(portal.headers.getSetCookie()[0]!, /^pp_portal=.*; Secure/);
        assert.match(staff.headers.get('strict-transport-security') ?? '', /max-age=\d+/);
      });
      // Plain http (the default `npm start`): no Secure, or the browser would drop the cookie.
      const plain = await apiClient(world.url).post('/api/v1/session', world.agency.staff);
      assert.doesNotMatch(plain.headers.getSetCookie()[0]!, /Secure/);
      assert.equal(plain.headers.get('strict-transport-security'), null);
    });

    it('refuses a cookie-authenticated write without this server as Origin, or with a non-JSON body', async () => {
      const cookie = await staffCookie();
      const body = JSON.stringify({ type: 'individual', name: 'Forged Customer' });
      const post = (headers: Record<string, string>, payload = body) =>
        fetch(`${world.url}/api/v1/customers`, { method: 'POST', headers, body: payload }).then(async (r) => ({
          status: r.status,
          type: r.headers.get('content-type'),
          body: await r.json(),
        }));
      const json = { 'content-type': 'application/json' };

      const noOrigin = await post({ ...json, cookie });
      assert.equal(noOrigin.status, 403);
      assert.equal(noOrigin.type, PROBLEM_JSON);
      assert.match(noOrigin.body.detail, /Origin.*CSRF rule/);
      const foreign = await post({ ...json, cookie, origin: 'https://evil.example' });
      assert.equal(foreign.status, 403);
      assert.match(foreign.body.detail, /evil\.example is not this server/);
      const textPlain = await post({ 'content-type': 'text/plain', cookie, origin: world.url }, body);
      assert.equal(textPlain.status, 415);
      assert.equal(textPlain.type, PROBLEM_JSON);
      assert.match(textPlain.body.detail, /application\/json/);
      const form = await post(
        { 'content-type': 'application/x-www-form-urlencoded', cookie, origin: world.url },
        'type=individual&name=Forged',
      );
      assert.equal(form.status, 415);
      const forged = await world.database.db
        .selectFrom('customers')
        .select('id')
        .where('name', 'like', 'Forged%')
        .execute();
      assert.deepEqual(forged, [], 'nothing written');

      // The console's own requests: Origin (or only a Referer) of this server, JSON.
      assert.equal((await post({ ...json, cookie, origin: world.url })).status, 201);
      assert.equal((await post({ ...json, cookie, referer: `${world.url}/app/customers` })).status, 201);
      // API keys are not ambient credentials: no Origin needed.
      assert.equal((await post({ ...json, authorization: `Bearer ${world.agency.apiKey}` })).status, 201);
      // Signing out by cookie needs an Origin too; signing in from another site is refused.
      const signOut = await fetch(`${world.url}/api/v1/session`, { method: 'DELETE', headers: { cookie } });
      assert.equal(signOut.status, 403);
      const loginCsrf = await fetch(`${world.url}/api/v1/session`, {
        method: 'POST',
        headers: { ...json, origin: 'https://evil.example' },
        body: JSON.stringify(world.agency.staff),
      });
      assert.equal(loginCsrf.status, 403);
    });

    it('applies the same rule to the portal cookie', async () => {
      const customer = await world.addCustomer('Portal Csrf');
      const client = portalClient(world.url);
      await client.post('/api/v1/portal/tokens/redeem', {
        agency: world.agency.slug,
        token: (await enrollmentLink(customer)).searchParams.get('token'),
      });
      const forged = await fetch(`${world.url}/api/v1/portal/password`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie: client.cookie },
        body: JSON.stringify({ password: 'chosen by the attacker' }),
      });
      assert.equal(forged.status, 403);
      assert.equal((await client.get('/api/v1/portal/me')).body.hasPassword, false);
      assert.equal((await client.post('/api/v1/portal/password', { password: 'chosen by me' })).status, 200);
    });

    it('sends security headers on every answer; no page may be framed', async () => {
      for (const path of ['/api/v1/health', '/api/v1/no-such-route', '/portal', '/api/openapi.json']) {
        const response = await fetch(`${world.url}${path}`);
        const csp = response.headers.get('content-security-policy') ?? '';
        assert.match(csp, /frame-ancestors 'none'/, path);
        assert.match(csp, /default-src 'self'/, path);
        assert.match(csp, /script-src 'self'(;|$)/, path);
        // The portal posts card data to the processor's tokenize endpoint.
        assert.ok(csp.includes(`connect-src 'self' ${new URL(world.sandbox.url).origin}`), `${path}: ${csp}`);
        assert.equal(response.headers.get('x-frame-options'), 'DENY', path);
        assert.equal(response.headers.get('x-content-type-options'), 'nosniff', path);
        assert.equal(response.headers.get('referrer-policy'), 'same-origin', path);
        await response.body?.cancel();
      }
      // Swagger UI styles itself inline.
      const docs = await fetch(`${world.url}/api/docs/`);
      assert.equal(docs.status, 200);
      assert.match(docs.headers.get('content-security-policy') ?? '', /style-src 'self' 'unsafe-inline'/);
      assert.match(docs.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
      await docs.body?.cancel();
    });

    it("ends a portal account's other sessions when its password changes", async () => {
      const customer = await world.addCustomer('Password Changer');
      const here = portalClient(world.url);
      const redeemed = await here.post('/api/v1/portal/tokens/redeem', {
        agency: world.agency.slug,
        token: (await enrollmentLink(customer)).searchParams.get('token'),
      });
      assert.equal(redeemed.status, 200);
      assert.equal((await here.post('/api/v1/portal/password', { password: 'first password' })).status, 200);
      const elsewhere = portalClient(world.url);
      const signIn = { agency: world.agency.slug, email: customer.email, password: 'first password' };
      assert.equal((await elsewhere.post('/api/v1/portal/session', signIn)).status, 200);
      assert.equal((await elsewhere.get('/api/v1/portal/me')).status, 200);

      assert.equal((await here.post('/api/v1/portal/password', { password: 'second password' })).status, 200);
      assert.equal((await elsewhere.get('/api/v1/portal/me')).status, 401, 'the other session ended');
      assert.equal((await here.get('/api/v1/portal/me')).status, 200, 'the one that changed it stays');
      assert.equal((await elsewhere.post('/api/v1/portal/session', signIn)).status, 401);
    });

    it("shows staff a client's sign-in e-mail with the link's token hidden; the e-mail as sent has it", async () => {
      const enrolled = await world.addCustomer('Outbox Reader');
      await portalClient(world.url).post('/api/v1/portal/tokens/redeem', {
        agency: world.agency.slug,
        token: (await enrollmentLink(enrolled)).searchParams.get('token'),
      });
      const asked = await portalClient(world.url).post('/api/v1/portal/sign-in-link', {
        agency: world.agency.slug,
        email: enrolled.email,
      });
      assert.equal(asked.status, 202);
      const sent = await waitFor('the sign-in e-mail', () =>
        world.smtp.messages.find((m) => m.to.includes(enrolled.email) && /sign-in link/.test(m.subject)),
      );
      const token = portalLink(sent).searchParams.get('token')!;
      assert.match(token, /^ppt_[A-Za-z0-9_-]{43}$/);

      const list = await world.api.get('/api/v1/emails?limit=200');
      const summary = list.body.data.find((e: { to: string; kind: string }) => e.to === enrolled.email);
      const cookie = await staffCookie();
      for (const view of [
        await world.api.get(`/api/v1/emails/${summary.id}`),
        await apiClient(world.url).get(`/api/v1/emails/${summary.id}`, { cookie }),
      ]) {
        assert.equal(view.status, 200);
        for (const body of [view.body.text, view.body.html]) {
          assert.ok(!body.includes(token), 'the live token is not shown');
          assert.ok(body.includes(`token=${token.slice(0, 8)}…(hidden)`), body);
        }
      }
    });
  });
}
