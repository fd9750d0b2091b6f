// Settings → Users and roles over the API (issue 18): bad input named by field, agents refused,
// another agency's users never seen or changed, the set-password link single-use and hashed,
// deactivation ending sessions, and the guards on deactivating yourself or the last staff user.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createApiKey } from '../../src/agency/api-keys.ts';
import { hashToken } from '../../src/agency/secrets/secrets.ts';
import { createUser } from '../../src/agency/users.ts';
import type { DatabaseHandle } from '../../src/platform/db/database.ts';
import type { App } from '../../src/platform/http/types.ts';
import { databaseTargets, openTestDatabase } from '../support/db.ts';
import { createTestAgency, type TestAgency } from '../support/fixtures.ts';
import { assertResponsesMatchedDocument, buildTestApp } from '../support/openapi.ts';

const many = { max: 10_000, windowMs: 60_000 };
const ORIGIN = 'https://console.example';

for (const target of databaseTargets()) {
  describe(`users API on ${target}`, () => {
    let database: DatabaseHandle;
    let app: App;
    let agency: TestAgency;
    let other: TestAgency;
    let agentKey: string;

    before(async () => {
      database = await openTestDatabase(target);
      app = await buildTestApp({
        database,
        publicUrl: 'https://console.example',
        signInLimits: { staffSignIn: many, portalSignIn: many, portalRedeem: many, portalLink: many },
      });
      agency = await createTestAgency(database.db, 'Harbor Agency');
      other = await createTestAgency(database.db, 'Other Agency');
      agentKey = (await createApiKey(database.db, agency.actor, { name: 'agent app', role: 'agent' })).key;
    });
    after(async () => {
      await app?.close();
      await database?.close();
      if (app) assertResponsesMatchedDocument(app);
    });

    const asKey = (key: string) => ({ authorization: `Bearer ${key}` });
    const post = (url: string, payload: unknown, headers: Record<string, string>) =>
      app.inject({ method: 'POST', url, headers, payload: payload as object });

    async function signIn(email: string, password: string) {
      const res = await post('/api/v1/session', { email, password }, {});
      const cookie = res.cookies.find((c) => c.name === 'pp_session');
      return { res, headers: cookie ? { cookie: `pp_session=${cookie.value}`, origin: ORIGIN } : undefined };
    }

    /** The token in the latest e-mail to `to` (the outbox keeps it; no SMTP here). */
    async function linkTokenFor(to: string): Promise<string> {
      const mail = await database.db
        .selectFrom('emails')
        .select(['text_body', 'kind'])
        .where('to_address', '=', to)
        .orderBy('created_at', 'desc')
        .executeTakeFirstOrThrow();
      const match = /https:\/\/console\.example\/set-password\?token=(\S+)/.exec(mail.text_body);
      assert.ok(match, mail.text_body);
      return decodeURIComponent(match[1]!);
    }

    it('refuses bad input naming the field, and writes nothing', async () => {
      const cases: [unknown, string][] = [
        [{ email: 'not-an-address', name: 'A', role: 'agent' }, 'email'],
        [{ email: 'a@x.example', name: '  ', role: 'agent' }, 'name'],
        [{ email: 'a@x.example', name: 'A', role: 'client' }, 'role'],
        [{ email: 'a@x.example', name: 'A', role: 'agent', admin: true }, ''],
      ];
      for (const [payload, field] of cases) {
        const res = await post('/api/v1/users', payload, asKey(agency.apiKey));
        assert.equal(res.statusCode, 400, res.body);
        assert.match(res.headers['content-type'] as string, /application\/problem\+json/);
        if (field)
          assert.ok(
            res.json().errors.some((e: { path: string }) => e.path.includes(field)),
            res.body,
          );
      }
      const dup = await post(
        '/api/v1/users',
        { email: agency.staff.email, name: 'B', role: 'agent' },
        asKey(agency.apiKey),
      );
      assert.equal(dup.statusCode, 409, dup.body);
      assert.equal(dup.json().errors[0].path, 'email');
      const users = await database.db.selectFrom('users').select('id').where('agency_id', '=', agency.id).execute();
      assert.equal(users.length, 1);
    });

    it('answers 403 to agents, by API key and by session', async () => {
      await createUser(database.db, agency.actor, {
        email: `agent@${agency.slug}.example`,
        name: 'Ann Agent',
        role: 'agent',
        password: 'an agent password',
      });
      const { headers } = await signIn(`agent@${agency.slug}.example`, 'an agent password');
      assert.ok(headers);
      for (const auth of [asKey(agentKey), headers]) {
        assert.equal((await app.inject({ method: 'GET', url: '/api/v1/users', headers: auth })).statusCode, 403);
        assert.equal((await app.inject({ method: 'GET', url: '/api/v1/api-keys', headers: auth })).statusCode, 403);
        const invite = await post('/api/v1/users', { email: 'x@y.example', name: 'X', role: 'staff' }, auth);
        assert.equal(invite.statusCode, 403, invite.body);
      }
    });

    it('invites by e-mail (Idempotency-Key replays); the link sets a password once; the user signs in with the role', async () => {
      const email = `nina@${agency.slug}.example`;
      const headers = { ...asKey(agency.apiKey), 'idempotency-key': 'invite-nina' };
      const first = await post('/api/v1/users', { email, name: 'Nina New', role: 'agent' }, headers);
      assert.equal(first.statusCode, 201, first.body);
      assert.equal(first.json().status, 'invited');
      const again = await post('/api/v1/users', { email, name: 'Nina New', role: 'agent' }, headers);
      assert.equal(again.statusCode, 201);
      assert.equal(again.headers['idempotent-replayed'], 'true');
      assert.equal(again.json().id, first.json().id);
      const mails = await database.db.selectFrom('emails').select('kind').where('to_address', '=', email).execute();
      assert.deepEqual(
        mails.map((m) => m.kind),
        ['user_invitation'],
      );

      const token = await linkTokenFor(email);
      // Only the hash is stored.
      const links = await database.db.selectFrom('password_links').selectAll().execute();
      assert.ok(links.some((l) => l.token_hash === hashToken(token)));
      assert.ok(!JSON.stringify(links).includes(token));

      // The console's Email page never shows the token (whoever reads the outbox could use it).
      const outbox = await database.db
        .selectFrom('emails')
        .select('id')
        .where('to_address', '=', email)
        .executeTakeFirstOrThrow();
      const shown = await app.inject({
        method: 'GET',
        url: `/api/v1/emails/${outbox.id}`,
        headers: asKey(agency.apiKey),
      });
      assert.equal(shown.statusCode, 200, shown.body);
      assert.ok(!shown.body.includes(token));
      assert.match(shown.json().text, /set-password\?token=ppw_.{4}…\(hidden\)/);

      // Invited but no password yet: cannot sign in.
      assert.equal((await signIn(email, 'whatever password')).res.statusCode, 401);
      const inspect = await post('/api/v1/password-links/inspect', { token }, {});
      assert.equal(inspect.statusCode, 200, inspect.body);
      assert.equal(inspect.json().email, email);
      assert.equal(inspect.json().purpose, 'invite');

      const short = await post('/api/v1/password-links/redeem', { token, password: 'short' }, {});
      assert.equal(short.statusCode, 400, short.body);
      assert.equal(short.json().errors[0].path, 'password');
      const set = await post('/api/v1/password-links/redeem', { token, password: 'a fine long password' }, {});
      assert.equal(set.statusCode, 200, set.body);
      const reuse = await post('/api/v1/password-links/redeem', { token, password: 'another long password' }, {});
      assert.equal(reuse.statusCode, 404, reuse.body);
      assert.equal(reuse.json().errors[0].path, 'token');

      const session = await signIn(email, 'a fine long password');
      assert.equal(session.res.statusCode, 200, session.res.body);
      assert.equal(session.res.json().user.role, 'agent');
      const listed = await app.inject({ method: 'GET', url: '/api/v1/users', headers: asKey(agency.apiKey) });
      const nina = listed.json().data.find((u: { email: string }) => u.email === email);
      assert.equal(nina.status, 'active');
      assert.ok(nina.lastSignInAt);
    });

    it('refuses an expired link', async () => {
      const email = `late@${agency.slug}.example`;
      const res = await post('/api/v1/users', { email, name: 'Late', role: 'staff' }, asKey(agency.apiKey));
      assert.equal(res.statusCode, 201, res.body);
      const token = await linkTokenFor(email);
      await database.db
        .updateTable('password_links')
        .set({ expires_at: new Date(Date.now() - 1000) })
        .where('token_hash', '=', hashToken(token))
        .execute();
      const redeem = await post('/api/v1/password-links/redeem', { token, password: 'a fine long password' }, {});
      assert.equal(redeem.statusCode, 404, redeem.body);
    });

    it('deactivates: sign-in refused and sessions end; never yourself nor the last active staff user', async () => {
      const email = `dora@${agency.slug}.example`;
      const dora = await createUser(database.db, agency.actor, {
        email,
        name: 'Dora',
        role: 'staff',
        password: 'doras long password',
      });
      const doraSession = await signIn(email, 'doras long password');
      assert.ok(doraSession.headers);
      const me = await app.inject({ method: 'GET', url: '/api/v1/me', headers: doraSession.headers });
      assert.equal(me.statusCode, 200);
      // Dora cannot deactivate herself.
      const self = await post(`/api/v1/users/${dora.id}/deactivate`, {}, doraSession.headers);
      assert.equal(self.statusCode, 409, self.body);

      const staff = await signIn(agency.staff.email, agency.staff.password);
      assert.ok(staff.headers);
      const off = await post(`/api/v1/users/${dora.id}/deactivate`, {}, staff.headers);
      assert.equal(off.statusCode, 200, off.body);
      assert.equal(off.json().status, 'deactivated');
      assert.equal(
        (await app.inject({ method: 'GET', url: '/api/v1/me', headers: doraSession.headers })).statusCode,
        401,
      );
      const refused = await signIn(email, 'doras long password');
      assert.equal(refused.res.statusCode, 401);
      assert.match(refused.res.json().detail, /deactivated/);
      const reset = await post(`/api/v1/users/${dora.id}/password-reset`, {}, staff.headers);
      assert.equal(reset.statusCode, 409, reset.body);

      // Only Sam (and the invited, password-less "Late") are active staff: Sam is the last who can sign in,
      // but "Late" counts as staff too; deactivate Late first, then Sam is the last.
      const users = (await app.inject({ method: 'GET', url: '/api/v1/users', headers: staff.headers })).json().data as {
        id: string;
        email: string;
        role: string;
        status: string;
      }[];
      for (const user of users.filter((u) => u.role === 'staff' && u.status !== 'deactivated')) {
        if (user.email === agency.staff.email) continue;
        assert.equal((await post(`/api/v1/users/${user.id}/deactivate`, {}, staff.headers)).statusCode, 200);
      }
      const sam = users.find((u) => u.email === agency.staff.email)!;
      const last = await post(`/api/v1/users/${sam.id}/deactivate`, {}, asKey(agency.apiKey));
      assert.equal(last.statusCode, 409, last.body);
      assert.match(last.json().detail, /last active staff/);
    });

    it('sends a reset whose link sets a new password; the old one works until then', async () => {
      const email = `rita@${agency.slug}.example`;
      const rita = await createUser(database.db, agency.actor, {
        email,
        name: 'Rita',
        role: 'agent',
        password: 'old long password',
      });
      const res = await post(`/api/v1/users/${rita.id}/password-reset`, {}, asKey(agency.apiKey));
      assert.equal(res.statusCode, 202, res.body);
      assert.equal(res.json().sentTo, email);
      assert.equal((await signIn(email, 'old long password')).res.statusCode, 200);
      const token = await linkTokenFor(email);
      assert.equal((await post('/api/v1/password-links/inspect', { token }, {})).json().purpose, 'reset');
      assert.equal(
        (await post('/api/v1/password-links/redeem', { token, password: 'new long password' }, {})).statusCode,
        200,
      );
      assert.equal((await signIn(email, 'old long password')).res.statusCode, 401);
      assert.equal((await signIn(email, 'new long password')).res.statusCode, 200);
    });

    it("never lists or changes another agency's users", async () => {
      const theirs = await database.db
        .selectFrom('users')
        .select(['id', 'email'])
        .where('agency_id', '=', other.id)
        .executeTakeFirstOrThrow();
      const listed = (await app.inject({ method: 'GET', url: '/api/v1/users', headers: asKey(agency.apiKey) })).json();
      assert.ok(listed.data.length > 0);
      assert.ok(!listed.data.some((u: { id: string }) => u.id === theirs.id));
      for (const action of ['deactivate', 'password-reset']) {
        const res = await post(`/api/v1/users/${theirs.id}/${action}`, {}, asKey(agency.apiKey));
        assert.equal(res.statusCode, 404, res.body);
      }
      const row = await database.db
        .selectFrom('users')
        .select('deactivated_at')
        .where('id', '=', theirs.id)
        .executeTakeFirstOrThrow();
      assert.equal(row.deactivated_at, null);
      assert.equal((await signIn(other.staff.email, other.staff.password)).res.statusCode, 200);
      // Nor their keys.
      const keys = (await app.inject({ method: 'GET', url: '/api/v1/api-keys', headers: asKey(agency.apiKey) })).json();
      const otherKeys = await database.db
        .selectFrom('api_keys')
        .select('id')
        .where('agency_id', '=', other.id)
        .execute();
      assert.ok(!keys.data.some((k: { id: string }) => otherKeys.some((o) => o.id === k.id)));
      const revoke = await app.inject({
        method: 'DELETE',
        url: `/api/v1/api-keys/${otherKeys[0]!.id}`,
        headers: asKey(agency.apiKey),
      });
      assert.equal(revoke.statusCode, 404, revoke.body);
      assert.equal(
        (await app.inject({ method: 'GET', url: '/api/v1/me', headers: asKey(other.apiKey) })).statusCode,
        403,
      );
      assert.equal(
        (await app.inject({ method: 'GET', url: '/api/v1/users', headers: asKey(other.apiKey) })).json().data.length,
        1,
      );
    });
  });
}
