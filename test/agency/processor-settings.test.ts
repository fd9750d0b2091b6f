// GET/PUT /api/v1/settings/processor: an agency chooses the sandbox or its own Stripe account.
// Secrets are checked for shape, stored sealed, never returned (last 4 only); test mode is per agency.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { createApiKey } from '../../src/agency/api-keys.ts';
import { sweepStoredSecrets } from '../../src/agency/secrets/stored-secrets.ts';
import { createProcessors } from '../../src/payments/processor-registry.ts';
import type { DatabaseHandle } from '../../src/platform/db/database.ts';
import type { App } from '../../src/platform/http/types.ts';
import { databaseTargets, openTestDatabase } from '../support/db.ts';
import { createTestAgency, type TestAgency } from '../support/fixtures.ts';
import { type ApiClient, apiClient } from '../support/http.ts';
import { assertResponsesMatchedDocument, buildTestApp } from '../support/openapi.ts';

const PATH = '/api/v1/settings/processor';
const SECRET = 'sk_test_51SettingsSecretKey9876';
const LIVE = 'sk_live_51SettingsLiveKey000LIVE';

for (const target of databaseTargets()) {
  describe(`processor settings on ${target}`, () => {
    let database: DatabaseHandle;
    let app: App;
    let url: string;
    let agency: TestAgency;
    let staff: ApiClient;

    before(async () => {
      database = await openTestDatabase(target);
      // The process default is the sandbox (never started here: nothing is charged in these tests).
      app = await buildTestApp({
        database,
        processors: createProcessors({ sandboxUrl: 'http://127.0.0.1:9', sandboxWebhookSecret: 'whsec_unused' }),
      });
      url = await app.listen({ port: 0, host: '127.0.0.1' });
      agency = await createTestAgency(database.db);
      staff = apiClient(url, agency.apiKey);
    });
    after(async () => {
      await app.close();
      await database.close();
      assertResponsesMatchedDocument(app);
    });

    it("answers the server's default until the agency chooses", async () => {
      const res = await staff.get(PATH);
      assert.equal(res.status, 200);
      assert.deepEqual(
        { source: res.body.source, kind: res.body.kind, testMode: res.body.testMode },
        { source: 'default', kind: 'sandbox', testMode: true },
      );
    });

    it('refuses a bad key shape as problem+json naming the field, and writes nothing', async () => {
      const bad = await staff.put(PATH, {
        kind: 'stripe',
        secretKey: 'pk_test_notASecretKey123',
        webhookSecret: 'nope',
      });
      assert.equal(bad.status, 400);
      assert.match(bad.headers.get('content-type') ?? '', /application\/problem\+json/);
      assert.deepEqual(bad.body.errors.map((e: { path: string }) => e.path).sort(), ['secretKey', 'webhookSecret']);
      assert.match(
        bad.body.errors.find((e: { path: string }) => e.path === 'secretKey').message,
        /sk_test_ or sk_live_/,
      );
      const missing = await staff.put(PATH, { kind: 'stripe' });
      assert.equal(missing.status, 400);
      assert.equal(missing.body.errors[0].path, 'secretKey');
      const mixed = await staff.put(PATH, {
        kind: 'stripe',
        secretKey: SECRET,
        publishableKey: 'pk_live_livePublishable01',
      });
      assert.equal(mixed.status, 400);
      assert.equal(mixed.body.errors[0].path, 'publishableKey');
      const rows = await sql`SELECT 1 FROM agency_processors WHERE agency_id = ${agency.id}`.execute(database.db);
      assert.equal(rows.rows.length, 0);
      assert.equal((await staff.get(PATH)).body.source, 'default');
    });

    it('saves a Stripe account: sealed in the table, only the last 4 shown, test mode for sk_test_', async () => {
      const saved = await staff.put(PATH, {
        kind: 'stripe',
        publishableKey: 'pk_test_51SettingsPublishable',
        secretKey: SECRET,
        webhookSecret: 'whsec_settingsSigning4321',
      });
      assert.equal(saved.status, 200, JSON.stringify(saved.body));
      assert.deepEqual(
        {
          source: saved.body.source,
          kind: saved.body.kind,
          publishableKey: saved.body.publishableKey,
          secretKeyLast4: saved.body.secretKeyLast4,
          webhookSecretLast4: saved.body.webhookSecretLast4,
          testMode: saved.body.testMode,
          webhookUrl: saved.body.webhookUrl,
        },
        {
          source: 'agency',
          kind: 'stripe',
          publishableKey: 'pk_test_51SettingsPublishable',
          secretKeyLast4: '9876',
          webhookSecretLast4: '4321',
          testMode: true,
          webhookUrl: `/api/v1/webhooks/stripe/${agency.id}`,
        },
      );
      const text = JSON.stringify((await staff.get(PATH)).body);
      assert.ok(!text.includes(SECRET) && !text.includes('whsec_settingsSigning4321'));
      const row = await sql<{ secret_key: string; webhook_secret: string }>`
        SELECT secret_key, webhook_secret FROM agency_processors WHERE agency_id = ${agency.id}`.execute(database.db);
      assert.match(row.rows[0]!.secret_key, /^ppenc:v1:/);
      assert.ok(!row.rows[0]!.secret_key.includes(SECRET));
      assert.match(row.rows[0]!.webhook_secret, /^ppenc:v1:/);
      // The console's banner asks /system: signed in, the agency's answer; anonymous, the server's.
      assert.deepEqual((await staff.get('/api/v1/system')).body, { processor: 'stripe', testMode: true });
      assert.deepEqual((await apiClient(url).get('/api/v1/system')).body, { processor: 'sandbox', testMode: true });
    });

    it('a live key is not test mode; a secret left out is kept', async () => {
      const live = await staff.put(PATH, { kind: 'stripe', secretKey: LIVE });
      assert.equal(live.status, 200, JSON.stringify(live.body));
      assert.equal(live.body.testMode, false);
      assert.equal(live.body.webhookSecretLast4, '4321');
      assert.deepEqual((await staff.get('/api/v1/system')).body, { processor: 'stripe', testMode: false });
      const kept = await staff.put(PATH, { kind: 'stripe', publishableKey: 'pk_live_51SettingsLivePub' });
      assert.equal(kept.status, 200, JSON.stringify(kept.body));
      assert.equal(kept.body.secretKeyLast4, 'LIVE');
    });

    it('honours Idempotency-Key on PUT', async () => {
      const body = { kind: 'sandbox' };
      const first = await staff.put(PATH, body, { 'idempotency-key': 'proc-put-1' });
      assert.equal(first.status, 200, JSON.stringify(first.body));
      assert.equal(first.body.kind, 'sandbox');
      assert.equal(first.body.testMode, true);
      const again = await staff.put(PATH, body, { 'idempotency-key': 'proc-put-1' });
      assert.equal(again.headers.get('idempotent-replayed'), 'true');
      assert.deepEqual(again.body, first.body);
      const other = await staff.put(PATH, { kind: 'stripe', secretKey: SECRET }, { 'idempotency-key': 'proc-put-1' });
      assert.equal(other.status, 422);
      assert.equal((await staff.get(PATH)).body.kind, 'sandbox');
      const sandboxRow = await sql<{ secret_key: string | null }>`
        SELECT secret_key FROM agency_processors WHERE agency_id = ${agency.id}`.execute(database.db);
      assert.equal(sandboxRow.rows[0]!.secret_key, null);
    });

    it('is for staff only', async () => {
      const key = await createApiKey(database.db, agency.actor, { name: 'agent', role: 'agent' });
      const agent = apiClient(url, key.key);
      assert.equal((await agent.get(PATH)).status, 403);
      assert.equal((await agent.put(PATH, { kind: 'sandbox' })).status, 403);
    });

    it('the secret sweep seals a value stored in clear and opens the sealed ones', async () => {
      const other = await createTestAgency(database.db, 'Plain Agency');
      await sql`INSERT INTO agency_processors (agency_id, kind, secret_key, webhook_secret, updated_by)
                VALUES (${other.id}, 'stripe', ${SECRET}, 'whsec_plainValue0001', 'test')`.execute(database.db);
      const sweep = await sweepStoredSecrets(database.db, { rotate: false });
      assert.ok(sweep.encrypted >= 2, JSON.stringify(sweep));
      const row = await sql<{ secret_key: string; webhook_secret: string }>`
        SELECT secret_key, webhook_secret FROM agency_processors WHERE agency_id = ${other.id}`.execute(database.db);
      assert.match(row.rows[0]!.secret_key, /^ppenc:v1:/);
      assert.match(row.rows[0]!.webhook_secret, /^ppenc:v1:/);
      const shown = await apiClient(url, other.apiKey).get(PATH);
      assert.equal(shown.body.secretKeyLast4, SECRET.slice(-4));
    });
  });
}
