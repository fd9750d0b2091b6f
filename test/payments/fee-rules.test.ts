import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { DatabaseHandle } from '../../src/platform/db/database.ts';
import type { App } from '../../src/platform/http/types.ts';
import { databaseTargets, openTestDatabase } from '../support/db.ts';
import { createTestAgency, type TestAgency } from '../support/fixtures.ts';
import { assertResponsesMatchedDocument, buildTestApp } from '../support/openapi.ts';

const TOKEN = 'op_fee_rules_test_token_0123456789';
const operator = { authorization: `Bearer ${TOKEN}` };
const shipped = JSON.parse(
  readFileSync(new URL('../../src/payments/fees/fee-rules.json', import.meta.url), 'utf8'),
) as {
  notice: string;
  rules: { id: string; scope: string; funding: string; allowed: boolean; maxPercent: string | null; source: string }[];
};

const rule = (extra: Record<string, unknown> = {}) => ({
  scope: 'XY',
  funding: 'credit',
  allowed: true,
  maxPercent: '2.5',
  source: 'Test statute § 1',
  sourceUrl: 'https://law.example/1',
  note: 'a test row',
  ...extra,
});

for (const target of databaseTargets()) {
  describe(`the fee rule table and its operator API on ${target}`, () => {
    let database: DatabaseHandle;
    let app: App;
    let staff: TestAgency;

    before(async () => {
      database = await openTestDatabase(target);
      app = await buildTestApp({ database, operatorToken: TOKEN });
      staff = await createTestAgency(database.db, 'Fee Agency');
    });
    after(async () => {
      await app?.close();
      await database?.close();
      if (app) assertResponsesMatchedDocument(app);
    });

    it('starts as the shipped data file, every row with a source, its header saying to verify with counsel', async () => {
      assert.match(shipped.notice, /verify with counsel/i);
      const res = await app.inject({ method: 'GET', url: '/api/v1/operator/fee-rules', headers: operator });
      assert.equal(res.statusCode, 200, res.body);
      const rows = res.json().data as { id: string; maxPercent: string | null; source: string; allowed: boolean }[];
      assert.deepEqual(rows.map((r) => r.id).sort(), shipped.rules.map((r) => r.id).sort());
      for (const row of rows) {
        const file = shipped.rules.find((r) => r.id === row.id)!;
        assert.equal(row.maxPercent, file.maxPercent, row.id);
        assert.equal(row.allowed, file.allowed, row.id);
        assert.ok(row.source.length > 0, row.id);
      }
      assert.equal(rows.find((r) => r.id === 'visa-us-credit-surcharge-cap')?.maxPercent, '3.00');
    });

    it('only the operator token opens it: an agency key is refused, nothing is written', async () => {
      const res = await app.inject({
        method: 'POST',
        url: '/api/v1/operator/fee-rules',
        headers: { authorization: `Bearer ${staff.apiKey}` },
        payload: { id: 'xy-staff', ...rule() },
      });
      assert.equal(res.statusCode, 401, res.body);
      const list = await app.inject({ method: 'GET', url: '/api/v1/operator/fee-rules', headers: operator });
      assert.ok(!(list.json().data as { id: string }[]).some((r) => r.id === 'xy-staff'));
    });

    it('creates a rule by POST and replaces it by PUT', async () => {
      const created = await app.inject({
        method: 'POST',
        url: '/api/v1/operator/fee-rules',
        headers: operator,
        payload: { id: 'xy-credit-cap', ...rule() },
      });
      assert.equal(created.statusCode, 200, created.body);
      assert.equal(created.json().maxPercent, '2.50');
      assert.equal(created.json().updatedBy, 'operator');
      const replaced = await app.inject({
        method: 'PUT',
        url: '/api/v1/operator/fee-rules/xy-credit-cap',
        headers: operator,
        payload: rule({ allowed: false, maxPercent: null, note: 'now forbidden' }),
      });
      assert.equal(replaced.statusCode, 200, replaced.body);
      assert.equal(replaced.json().allowed, false);
      const list = await app.inject({ method: 'GET', url: '/api/v1/operator/fee-rules', headers: operator });
      const row = (list.json().data as { id: string; note: string; allowed: boolean }[]).find(
        (r) => r.id === 'xy-credit-cap',
      );
      assert.deepEqual([row?.allowed, row?.note], [false, 'now forbidden']);
    });

    it('a PUT with an Idempotency-Key is answered again, not applied again', async () => {
      const headers = { ...operator, 'idempotency-key': 'put-fee-rule-1' };
      const url = '/api/v1/operator/fee-rules/xy-put-once';
      const first = await app.inject({ method: 'PUT', url, headers, payload: rule({ note: 'first' }) });
      assert.equal(first.statusCode, 200, first.body);
      await app.inject({ method: 'PUT', url, headers: operator, payload: rule({ note: 'changed since' }) });
      const replay = await app.inject({ method: 'PUT', url, headers, payload: rule({ note: 'first' }) });
      assert.equal(replay.headers['idempotent-replayed'], 'true');
      assert.deepEqual(replay.json(), first.json());
      const reused = await app.inject({ method: 'PUT', url, headers, payload: rule({ note: 'other' }) });
      assert.equal(reused.statusCode, 422, reused.body);
      const list = await app.inject({ method: 'GET', url: '/api/v1/operator/fee-rules', headers: operator });
      const row = (list.json().data as { id: string; note: string }[]).find((r) => r.id === 'xy-put-once');
      assert.equal(row?.note, 'changed since', 'the replay changed nothing');
    });

    it('refuses bad rows as problem+json naming the field, writing nothing', async () => {
      const bad: [Record<string, unknown>, string][] = [
        [rule({ scope: 'Texas' }), 'scope'],
        [rule({ funding: 'charge' }), 'funding'],
        [rule({ maxPercent: '3.001' }), 'maxPercent'],
        [rule({ maxPercent: 101 }), 'maxPercent'],
        [rule({ allowed: false, maxPercent: '3' }), 'maxPercent'],
        [rule({ source: ' ' }), 'source'],
        [rule({ sourceUrl: 'not a url' }), 'sourceUrl'],
      ];
      for (const [payload, field] of bad) {
        const res = await app.inject({
          method: 'PUT',
          url: '/api/v1/operator/fee-rules/xy-bad',
          headers: operator,
          payload,
        });
        assert.ok([400, 422].includes(res.statusCode), `${field}: ${res.body}`);
        assert.match(String(res.headers['content-type']), /application\/problem\+json/);
        assert.ok(
          (res.json().errors as { path: string }[]).some((e) => e.path.replace(/^\/?(body\/)?/, '') === field),
          `${field}: ${res.body}`,
        );
      }
      const badId = await app.inject({
        method: 'PUT',
        url: '/api/v1/operator/fee-rules/Not%20An%20Id',
        headers: operator,
        payload: rule(),
      });
      assert.equal(badId.statusCode, 400, badId.body);
      const list = await app.inject({ method: 'GET', url: '/api/v1/operator/fee-rules', headers: operator });
      assert.ok(!(list.json().data as { id: string }[]).some((r) => r.id === 'xy-bad'));
    });
  });
}
