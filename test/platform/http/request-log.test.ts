import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DatabaseHandle } from '../../../src/platform/db/database.ts';
import { SESSION_COOKIE } from '../../../src/platform/http/auth.ts';
import type { App } from '../../../src/platform/http/types.ts';
import { createLogger } from '../../../src/platform/log/logger.ts';
import { databaseTargets, openTestDatabase } from '../../support/db.ts';
import { createTestAgency, type TestAgency } from '../../support/fixtures.ts';
import { buildTestApp } from '../../support/openapi.ts';

interface Line {
  level: string;
  msg: string;
  reqId?: string;
  method?: string;
  route?: string | null;
  status?: number;
  ms?: number;
  agencyId?: string;
}

/** Polls (with a deadline) until `count` lines arrived: the response can be out before its hook ran. */
async function linesWhen(lines: string[], count: number): Promise<Line[]> {
  const deadline = Date.now() + 10_000;
  while (lines.length < count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  return lines.map((line) => JSON.parse(line) as Line);
}

for (const target of databaseTargets()) {
  describe(`request logs on ${target}`, () => {
    let database: DatabaseHandle;
    let agency: TestAgency;
    let app: App;
    const lines: string[] = [];

    before(async () => {
      database = await openTestDatabase(target);
      agency = await createTestAgency(database.db, 'Logged Agency');
      const logger = createLogger({ level: 'info', destination: { write: (line: string) => void lines.push(line) } });
      app = await buildTestApp({ database, logger });
    });
    after(async () => {
      await app.close();
      await database.close();
    });

    it('writes exactly one line per request: method, route template, status, duration, request id, agency', async () => {
      lines.length = 0;
      const customer = await app.inject({
        method: 'GET',
        url: '/api/v1/customers/424242?expand=everything',
        headers: { authorization: `Bearer ${agency.apiKey}` },
      });
      assert.equal(customer.statusCode, 404);
      const health = await app.inject({ method: 'GET', url: '/api/v1/health' });
      assert.equal(health.statusCode, 200);
      const unknown = await app.inject({ method: 'GET', url: '/no-such-page' });
      assert.equal(unknown.statusCode, 404);

      const logged = await linesWhen(lines, 3);
      await new Promise((resolve) => setTimeout(resolve, 50)); // nothing more arrives
      assert.equal(lines.length, 3, lines.join(''));
      assert.deepEqual(
        logged.map((l) => [l.level, l.msg, l.method, l.route, l.status]),
        [
          ['info', 'request', 'GET', '/api/v1/customers/:customerNumber', 404],
          ['info', 'request', 'GET', '/api/v1/health', 200],
          ['info', 'request', 'GET', null, 404],
        ],
      );
      assert.equal(new Set(logged.map((l) => l.reqId)).size, 3, 'each line has its own request id');
      for (const line of logged) assert.ok(typeof line.ms === 'number' && line.ms >= 0);
      assert.equal(logged[0]!.agencyId, agency.id);
      assert.equal(logged[1]!.agencyId, undefined);
      // The URL's parameter and query string are not logged, only the template.
      assert.ok(!lines.join('').includes('424242'));
      assert.ok(!lines.join('').includes('expand'));
    });

    it('never writes a credential, a password, a session token or a request body', async () => {
      lines.length = 0;
      const signIn = await app.inject({
        method: 'POST',
        url: '/api/v1/session',
        headers: { authorization: `Bearer ${agency.apiKey}`, cookie: `${SESSION_COOKIE}=pps_cookie_from_the_browser` },
        payload: { email: agency.staff.email, password: agency.staff.password },
      });
      assert.equal(signIn.statusCode, 200, signIn.body);
      const sessionCookie = signIn.cookies.find((c) => c.name === SESSION_COOKIE);
      assert.ok(sessionCookie?.value, 'signed in: a session cookie was set');
      const wrong = await app.inject({
        method: 'POST',
        url: '/api/v1/session',
        payload: { email: agency.staff.email, password: 'a-wrong-password-123' },
      });
      assert.equal(wrong.statusCode, 401);
      const badKey = await app.inject({
        method: 'GET',
        url: '/api/v1/customers',
        headers: { authorization: 'Bearer pp_live_not_a_real_key_but_secret_looking' },
      });
      assert.equal(badKey.statusCode, 401);

      const logged = await linesWhen(lines, 3);
      assert.deepEqual(
        logged.map((l) => [l.route, l.status]),
        [
          ['/api/v1/session', 200],
          ['/api/v1/session', 401],
          ['/api/v1/customers', 401],
        ],
      );
      const text = lines.join('');
      for (const secret of [
        agency.apiKey,
        agency.staff.password,
        agency.staff.email,
        sessionCookie.value,
        'pps_cookie_from_the_browser',
        'a-wrong-password-123',
        'not_a_real_key_but_secret_looking',
      ]) {
        assert.ok(!text.includes(secret), `"${secret}" is in the logs:\n${text}`);
      }
    });
  });
}
