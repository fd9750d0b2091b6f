import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { databaseTargets } from '../../support/db.ts';
import { portalRouteCases } from '../../support/worlds/idempotency-portal-cases.ts';
import { staffRouteCases } from '../../support/worlds/idempotency-staff-cases.ts';
import {
  app,
  closeIdempotencyWorld,
  type RouteCase,
  snapshot,
  startIdempotencyWorld,
  writtenSince,
} from '../../support/worlds/idempotency-world.ts';

/**
 * Every POST route honours Idempotency-Key: the first call, its replay (same status and body,
 * `Idempotent-Replayed: true`, nothing written), the same key with another body (422), and 50
 * concurrent requests with one key (one effect: one fresh answer, the rest replays or 409, and
 * the rows written are those of one call). The routes come from the app's OpenAPI document, so
 * a new POST route fails this test until it has an entry below (or a reason to be excluded).
 */

/** POSTs that must not replay, each with `config.idempotent: false` and its reason there. */
const EXCLUDED = new Set([
  '/api/v1/session', // signing in would hand out a stored session
  '/api/v1/portal/session',
  '/api/v1/portal/tokens/redeem',
  '/api/v1/portal/sign-in-link',
  '/api/v1/portal/password',
  '/api/v1/password-links/inspect', // a set-password link is used once, as sign-in is not replayed
  '/api/v1/password-links/redeem',
  '/api/v1/webhooks/{processor}', // processor events are deduplicated by their event id
  '/api/v1/webhooks/stripe/{agency}', // likewise (an agency's own Stripe account)
  '/api/v1/sync/webhooks/{agency}/{system}', // likewise, by the external record's version
  // The first run needs an empty database and its own credential (the setup code), which this
  // table's world does not have; its replay and concurrent first runs are tested in
  // test/agency/first-run.test.ts.
  '/api/v1/setup',
]);

for (const target of databaseTargets()) {
  describe(`Idempotency-Key on every POST route on ${target}`, () => {
    const cases: Record<string, RouteCase> = { ...staffRouteCases, ...portalRouteCases };

    before(async () => {
      await startIdempotencyWorld(target);
    });
    after(async () => {
      await closeIdempotencyWorld();
    });

    it('has an entry for every POST route (or a reason to exclude it)', async () => {
      const paths = (app.swagger() as { paths: Record<string, Record<string, unknown>> }).paths;
      const posts = Object.entries(paths)
        .filter(([, operations]) => 'post' in operations)
        .map(([path]) => path)
        .sort();
      assert.deepEqual(posts, [...new Set([...Object.keys(cases), ...EXCLUDED])].sort());
    });

    for (const [route, routeCase] of Object.entries(cases)) {
      it(`POST ${route}: first call, replay, other body, 50 concurrent`, async () => {
        const first = await routeCase.make();
        const key = { 'idempotency-key': `k-${randomUUID()}` };
        const rowsBefore = await snapshot();
        const original = await first.client.post(first.path, first.body, key);
        assert.equal(original.status, routeCase.status, JSON.stringify(original.body));
        assert.notEqual(original.headers.get('idempotent-replayed'), 'true');
        const written = await writtenSince(rowsBefore);

        const replay = await first.client.post(first.path, first.body, key);
        assert.equal(replay.status, original.status, JSON.stringify(replay.body));
        assert.equal(replay.headers.get('idempotent-replayed'), 'true');
        assert.deepEqual(replay.body, original.body);
        assert.deepEqual(await writtenSince(rowsBefore), written, 'a replay writes nothing');

        const reused = await first.client.post(first.path, first.other, key);
        assert.equal(reused.status, 422, JSON.stringify(reused.body));
        assert.equal(reused.body.type, 'https://policypay.dev/problems/idempotency-key-reused');
        assert.deepEqual(await writtenSince(rowsBefore), written, 'a reused key writes nothing');

        const second = await routeCase.make();
        const key2 = { 'idempotency-key': `k-${randomUUID()}` };
        const rowsBefore2 = await snapshot();

        const responses = await Promise.all(
          Array.from({ length: 50 }, () => second.client.post(second.path, second.body, key2)),
        );
        for (const res of responses) {
          if (res.status === 409) {
            assert.equal(
              res.body.type,
              'https://policypay.dev/problems/idempotency-key-in-use',
              JSON.stringify(res.body),
            );
          } else assert.equal(res.status, routeCase.status, JSON.stringify(res.body));
        }
        const answers = responses.filter((r) => r.status === routeCase.status);
        const fresh = answers.filter((r) => r.headers.get('idempotent-replayed') !== 'true');
        assert.equal(fresh.length, 1, `one request ran: ${responses.map((r) => r.status).join(',')}`);
        for (const res of answers) assert.deepEqual(res.body, fresh[0]!.body);
        assert.deepEqual(await writtenSince(rowsBefore2), written, 'the rows of one call');
      });
    }
  });
}
