import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import type { DatabaseHandle } from '../../src/platform/db/database.ts';
import type { App } from '../../src/platform/http/types.ts';
import { databaseTargets, openTestDatabase } from '../support/db.ts';
import { assertResponsesMatchedDocument, buildTestApp } from '../support/openapi.ts';

const CODE = 'first-run-code-0123456789abcdef';
const withCode = { authorization: `Bearer ${CODE}` };

const firstRun = (extra: Record<string, unknown> = {}) => ({
  name: 'Lakeside Insurance',
  slug: 'lakeside',
  timeZone: 'America/Chicago',
  backupEmail: 'office@lakeside.example',
  staffName: 'Lena Lake',
  staffEmail: 'lena@lakeside.example',
  staffPassword: 'correct horse battery',
  banks: [
    { shortName: 'TRUST', name: 'First Lakeside Trust', division: 'Main' },
    { shortName: 'OPER', name: 'Lakeside Operating', division: 'Main' },
  ],
  ...extra,
});

for (const target of databaseTargets()) {
  describe(`first run on ${target}`, () => {
    let database: DatabaseHandle;
    let app: App;
    let closed: App;

    before(async () => {
      database = await openTestDatabase(target);
      app = await buildTestApp({ database, setupToken: CODE });
      closed = await buildTestApp({ database });
    });
    after(async () => {
      await app?.close();
      await closed?.close();
      await database?.close();
      if (app) assertResponsesMatchedDocument(app);
      if (closed) assertResponsesMatchedDocument(closed);
    });

    const count = async (table: 'agencies' | 'banks' | 'users') =>
      Number((await sql<{ n: bigint }>`SELECT count(*) AS n FROM ${sql.table(table)}`.execute(database.db)).rows[0]!.n);

    it('says an empty database needs its first run, open only where a setup code was printed', async () => {
      assert.deepEqual((await app.inject({ method: 'GET', url: '/api/v1/setup' })).json(), {
        needed: true,
        open: true,
      });
      assert.deepEqual((await closed.inject({ method: 'GET', url: '/api/v1/setup' })).json(), {
        needed: true,
        open: false,
      });
    });

    it('refuses without the setup code, with a wrong one, and on a process that printed none', async () => {
      const none = await app.inject({ method: 'POST', url: '/api/v1/setup', payload: firstRun() });
      assert.equal(none.statusCode, 401, none.body);
      const wrong = await app.inject({
        method: 'POST',
        url: '/api/v1/setup',
        headers: { authorization: 'Bearer not-the-code' },
        payload: firstRun(),
      });
      assert.equal(wrong.statusCode, 401, wrong.body);
      const shut = await closed.inject({
        method: 'POST',
        url: '/api/v1/setup',
        headers: withCode,
        payload: firstRun(),
      });
      assert.equal(shut.statusCode, 409, shut.body);
      assert.match(shut.json().detail, /--no-demo/);
      assert.equal(await count('agencies'), 0);
    });

    it('names every bad field, banks by their row, and writes nothing', async () => {
      const res = await app.inject({
        method: 'POST',
        url: '/api/v1/setup',
        headers: withCode,
        payload: firstRun({
          slug: 'Not A Slug',
          staffPassword: 'short',
          banks: [
            { shortName: 'TRUST', name: 'One', division: 'Main' },
            { shortName: 'trust', name: '', division: 'Main' },
            { shortName: 'has space', name: 'Three', division: 'Main' },
          ],
        }),
      });
      assert.equal(res.statusCode, 422, res.body);
      assert.match(res.headers['content-type'] as string, /application\/problem\+json/);
      const paths = (res.json().errors as { path: string }[]).map((e) => e.path).sort();
      assert.deepEqual(paths, ['banks.1.name', 'banks.1.shortName', 'banks.2.shortName', 'slug', 'staffPassword']);
      const empty = await app.inject({
        method: 'POST',
        url: '/api/v1/setup',
        headers: withCode,
        payload: firstRun({ banks: [] }),
      });
      assert.equal(empty.statusCode, 422, empty.body);
      assert.deepEqual(
        (empty.json().errors as { path: string }[]).map((e) => e.path),
        ['banks'],
      );
      assert.equal(await count('agencies'), 0);
      assert.equal(await count('banks'), 0);
    });

    it('sets the agency, its banks (the first the default deposit bank) and its staff user up once; a replay answers the same', async () => {
      const key = { ...withCode, 'idempotency-key': 'first-run-1' };
      const [a, b] = await Promise.all([
        app.inject({ method: 'POST', url: '/api/v1/setup', headers: key, payload: firstRun() }),
        app.inject({
          method: 'POST',
          url: '/api/v1/setup',
          headers: withCode,
          payload: firstRun({ slug: 'other', staffEmail: 'x@other.example' }),
        }),
      ]);
      // Two first runs at once: exactly one agency is set up.
      const statuses = [a.statusCode, b.statusCode].sort();
      assert.deepEqual(statuses, [201, 409], `${a.body}\n${b.body}`);
      assert.equal(await count('agencies'), 1);
      const winner = a.statusCode === 201 ? 'lakeside' : 'other';
      if (winner === 'lakeside') {
        const replay = await app.inject({ method: 'POST', url: '/api/v1/setup', headers: key, payload: firstRun() });
        assert.equal(replay.statusCode, 201, replay.body);
        assert.equal(replay.headers['idempotent-replayed'], 'true');
        assert.deepEqual(replay.json(), a.json());
        assert.equal(await count('agencies'), 1);
      }
      assert.deepEqual((await app.inject({ method: 'GET', url: '/api/v1/setup' })).json(), {
        needed: false,
        open: false,
      });
      const again = await app.inject({ method: 'POST', url: '/api/v1/setup', headers: withCode, payload: firstRun() });
      assert.equal(again.statusCode, 409, again.body);
      assert.match(again.json().detail, /already set up/);

      const email = winner === 'lakeside' ? 'lena@lakeside.example' : 'x@other.example';
      const session = await app.inject({
        method: 'POST',
        url: '/api/v1/session',
        payload: { email, password: 'correct horse battery' },
      });
      assert.equal(session.statusCode, 200, session.body);
      assert.equal(session.json().user.role, 'staff');
      const cookie = session.cookies.find((c) => c.name === 'pp_session')!;
      const headers = { cookie: `pp_session=${cookie.value}` };
      const banks = await app.inject({ method: 'GET', url: '/api/v1/banks', headers });
      assert.deepEqual(
        (banks.json().data as { shortName: string }[]).map((bank) => bank.shortName),
        ['OPER', 'TRUST'],
      );
      const settings = await app.inject({ method: 'GET', url: '/api/v1/settings/payments', headers });
      assert.deepEqual(settings.json().defaultDepositBanks, {
        autopay: 'TRUST',
        secure_checkout: 'TRUST',
        agent_sweep: 'TRUST',
      });
      assert.equal(settings.json().backupEmail, 'office@lakeside.example');
    });
  });
}
