import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import type { DatabaseHandle } from '../../src/platform/db/database.ts';
import type { App } from '../../src/platform/http/types.ts';
import { databaseTargets, openTestDatabase } from '../support/db.ts';
import { createTestAgency, type TestAgency } from '../support/fixtures.ts';
import { assertResponsesMatchedDocument, buildTestApp } from '../support/openapi.ts';

const TOKEN = 'op_agencies_test_token_0123456789';
const operator = { authorization: `Bearer ${TOKEN}` };

const newAgency = (slug: string, extra: Record<string, unknown> = {}) => ({
  name: 'Prairie Mutual Agency',
  slug,
  timeZone: 'America/Chicago',
  addressLine1: '100 Main St',
  city: 'Peoria',
  state: 'IL',
  postalCode: '61602',
  backupEmail: 'office@prairie.example',
  staffEmail: `owner@${slug}.example`,
  staffName: 'Olive Owner',
  ...extra,
});

for (const target of databaseTargets()) {
  describe(`operator API on ${target}`, () => {
    let database: DatabaseHandle;
    let app: App;
    let closed: App;
    let other: TestAgency;

    before(async () => {
      database = await openTestDatabase(target);
      app = await buildTestApp({ database, operatorToken: TOKEN });
      closed = await buildTestApp({ database });
      other = await createTestAgency(database.db, 'Other Agency');
      const customer = await app.inject({
        method: 'POST',
        url: '/api/v1/customers',
        headers: { authorization: `Bearer ${other.apiKey}` },
        payload: { type: 'individual', name: 'Somebody Else' },
      });
      assert.equal(customer.statusCode, 201, customer.body);
    });
    after(async () => {
      await app?.close();
      await closed?.close();
      await database?.close();
      if (app) assertResponsesMatchedDocument(app);
      if (closed) assertResponsesMatchedDocument(closed);
    });

    const agencyCount = async () =>
      Number((await sql<{ n: bigint }>`SELECT count(*) AS n FROM agencies`.execute(database.db)).rows[0]!.n);

    it('sets an agency up (201) with a generated password answered once; its staff signs in and sees no other agency', async () => {
      const res = await app.inject({
        method: 'POST',
        url: '/api/v1/operator/agencies',
        headers: operator,
        payload: newAgency('prairie'),
      });
      assert.equal(res.statusCode, 201, res.body);
      const body = res.json();
      assert.equal(body.agency.slug, 'prairie');
      assert.equal(body.agency.city, 'Peoria');
      assert.equal(body.agency.backupEmail, 'office@prairie.example');
      assert.equal(body.staff.email, 'owner@prairie.example');
      assert.match(body.staffPassword, /^[A-Za-z0-9_-]{24}$/);

      const session = await app.inject({
        method: 'POST',
        url: '/api/v1/session',
        payload: { email: 'owner@prairie.example', password: body.staffPassword },
      });
      assert.equal(session.statusCode, 200, session.body);
      assert.equal(session.json().agency.slug, 'prairie');
      const cookie = session.cookies.find((c) => c.name === 'pp_session')!;
      const customers = await app.inject({
        method: 'GET',
        url: '/api/v1/customers',
        cookies: { pp_session: cookie.value },
      });
      assert.equal(customers.statusCode, 200, customers.body);
      assert.deepEqual(customers.json().data, []);
      const settings = await app.inject({
        method: 'GET',
        url: '/api/v1/settings/payments',
        cookies: { pp_session: cookie.value },
      });
      assert.equal(settings.statusCode, 200, settings.body);
      assert.equal(settings.json().backupEmail, 'office@prairie.example');
    });

    it('lists the agencies', async () => {
      const res = await app.inject({ method: 'GET', url: '/api/v1/operator/agencies', headers: operator });
      assert.equal(res.statusCode, 200, res.body);
      const slugs = res.json().data.map((a: { slug: string }) => a.slug);
      assert.ok(slugs.includes('prairie') && slugs.includes(other.slug), slugs.join());
      for (const agency of res.json().data)
        assert.deepEqual(Object.keys(agency).sort(), ['createdAt', 'id', 'name', 'slug']);
    });

    it('refuses an agency API key, a staff session, a wrong token and none (401), writing nothing', async () => {
      const before = await agencyCount();
      for (const authorization of [`Bearer ${other.apiKey}`, `Bearer ${TOKEN}x`, TOKEN, undefined]) {
        for (const method of ['GET', 'POST'] as const) {
          const res = await app.inject({
            method,
            url: '/api/v1/operator/agencies',
            headers: authorization ? { authorization } : {},
            ...(method === 'POST' ? { payload: newAgency('intruder') } : {}),
          });
          assert.equal(res.statusCode, 401, `${method} ${authorization}: ${res.body}`);
          assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
        }
      }
      // Nor is a staff session of an agency: the operator routes read no agency credential.
      const session = await app.inject({ method: 'POST', url: '/api/v1/session', payload: other.staff });
      assert.equal(session.statusCode, 200, session.body);
      const cookie = session.cookies.find((c) => c.name === 'pp_session')!;
      const list = await app.inject({
        method: 'GET',
        url: '/api/v1/operator/agencies',
        cookies: { pp_session: cookie.value },
      });
      assert.equal(list.statusCode, 401, list.body);
      assert.equal(await agencyCount(), before);
    });

    it('is not there (404) without an operator token configured', async () => {
      for (const authorization of [`Bearer ${TOKEN}`, `Bearer ${other.apiKey}`]) {
        const list = await closed.inject({
          method: 'GET',
          url: '/api/v1/operator/agencies',
          headers: { authorization },
        });
        assert.equal(list.statusCode, 404, list.body);
        const create = await closed.inject({
          method: 'POST',
          url: '/api/v1/operator/agencies',
          headers: { authorization },
          payload: newAgency('nowhere'),
        });
        assert.equal(create.statusCode, 404, create.body);
      }
    });

    it('answers 422 naming the bad field, and 409 for a taken slug, writing nothing', async () => {
      const before = await agencyCount();
      const zone = await app.inject({
        method: 'POST',
        url: '/api/v1/operator/agencies',
        headers: operator,
        payload: newAgency('zoneless', { timeZone: 'Mars/Olympus' }),
      });
      assert.equal(zone.statusCode, 422, zone.body);
      assert.deepEqual(
        zone.json().errors.map((e: { path: string }) => e.path),
        ['timeZone'],
      );
      const slug = await app.inject({
        method: 'POST',
        url: '/api/v1/operator/agencies',
        headers: operator,
        payload: newAgency('Bad Slug!'),
      });
      assert.equal(slug.statusCode, 422, slug.body);
      assert.equal(slug.json().errors[0].path, 'slug');
      const taken = await app.inject({
        method: 'POST',
        url: '/api/v1/operator/agencies',
        headers: operator,
        payload: newAgency('prairie', { staffEmail: 'second@prairie.example' }),
      });
      assert.equal(taken.statusCode, 409, taken.body);
      assert.equal(taken.json().errors[0].path, 'slug');
      // A taken staff e-mail rolls the new agency back too.
      const email = await app.inject({
        method: 'POST',
        url: '/api/v1/operator/agencies',
        headers: operator,
        payload: newAgency('fresh', { staffEmail: 'owner@prairie.example' }),
      });
      assert.equal(email.statusCode, 409, email.body);
      assert.equal(await agencyCount(), before);
    });

    it('replays an Idempotency-Key: the same agency, no second one, and no password stored', async () => {
      const request = {
        method: 'POST' as const,
        url: '/api/v1/operator/agencies',
        headers: { ...operator, 'idempotency-key': 'setup-lakeside-1' },
        payload: newAgency('lakeside'),
      };
      const first = await app.inject(request);
      assert.equal(first.statusCode, 201, first.body);
      assert.ok(first.json().staffPassword);
      const before = await agencyCount();
      const again = await app.inject(request);
      assert.equal(again.statusCode, 201, again.body);
      assert.equal(again.headers['idempotent-replayed'], 'true');
      assert.equal(again.json().agency.id, first.json().agency.id);
      assert.equal(again.json().staffPassword, undefined);
      assert.equal(await agencyCount(), before);
      const stored = await sql<{ body: string }>`SELECT response_body::text AS body FROM idempotency_keys
        WHERE key = 'setup-lakeside-1'`.execute(database.db);
      assert.equal(stored.rows.length, 1);
      assert.doesNotMatch(stored.rows[0]!.body, new RegExp(first.json().staffPassword));
      // The same key from an agency is that agency's own key, not the operator's.
      const agencyKey = await app.inject({
        method: 'POST',
        url: '/api/v1/customers',
        headers: { authorization: `Bearer ${other.apiKey}`, 'idempotency-key': 'setup-lakeside-1' },
        payload: { type: 'individual', name: 'Keyed Customer' },
      });
      assert.equal(agencyKey.statusCode, 201, agencyKey.body);
      // A different body under the operator's key is refused.
      const reused = await app.inject({ ...request, payload: newAgency('lakeside-two') });
      assert.equal(reused.statusCode, 422, reused.body);
    });
  });
}
