import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { configureKeyring, Keyring, keyring } from '../../src/agency/secrets/secret-box.ts';
import { sweepStoredSecrets } from '../../src/agency/secrets/stored-secrets.ts';
import { amsEndpoint } from '../../src/sync/ams360-receipts/connector.ts';
import { loadConnector } from '../../src/sync/connectors.ts';
import { AMS_DOUBLE_API_KEY } from '../../src/sync/doubles/ams-double.ts';
import { amsDoubleMapping } from '../../src/sync/doubles/mappings.ts';
import { signSyncWebhook } from '../../src/sync/rules/signature.ts';
import { databaseTargets } from '../support/db.ts';
import { type AmsReceiptDouble, startAmsReceiptDouble } from '../support/doubles/ams360-receipt-double.ts';
import { type ApiClient, apiClient } from '../support/http.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const AMS_AUTH = 'Bearer ams360-receipts-credential-7f3a';

/** Every row of every table of this database's schema, as text: where a plaintext secret would show. */
async function everyRow(server: TestServer): Promise<string> {
  const tables = await sql<{ table_name: string }>`
    select table_name from information_schema.tables
    where table_schema = current_schema() and table_type = 'BASE TABLE'`.execute(server.database.db);
  const texts: string[] = [];
  for (const { table_name } of tables.rows) {
    const rows = await sql<{ row: string }>`select row_to_json(t)::text as row from ${sql.table(table_name)} t`.execute(
      server.database.db,
    );
    texts.push(...rows.rows.map((r) => r.row));
  }
  return texts.join('\n');
}

for (const target of databaseTargets()) {
  describe(`connector secrets at rest (${target})`, () => {
    let server: TestServer;
    let api: ApiClient;
    let ams: AmsReceiptDouble;
    let webhookSecret: string;

    before(async () => {
      server = await startTestServer({ target, web: false });
      api = apiClient(server.url, server.agency.apiKey);
      ams = await startAmsReceiptDouble({ authHeader: { name: 'Authorization', value: AMS_AUTH } });
    });
    after(async () => {
      await ams?.stop();
      await server?.close();
    });

    it('stores connector auth headers and webhook secrets encrypted, and never shows them back', async () => {
      const sync = await api.put('/api/v1/sync/connectors/ams', {
        kind: 'rest',
        mapping: amsDoubleMapping('http://127.0.0.1:9'),
      });
      assert.equal(sync.status, 200, JSON.stringify(sync.body));
      webhookSecret = sync.body.webhookSecret;
      assert.ok(webhookSecret.length >= 16, 'a generated secret is shown once, by the call that generated it');
      assert.equal(sync.body.mapping.auth.value, '********');
      const ams360 = await api.put('/api/v1/connectors/ams360-receipts', {
        baseUrl: ams.url,
        authHeader: { name: 'Authorization', value: AMS_AUTH },
      });
      assert.equal(ams360.status, 200, JSON.stringify(ams360.body));
      assert.equal(ams360.body.authHeaderSet, true);

      const listed = await api.get('/api/v1/sync/connectors');
      assert.equal(listed.body.data[0].webhookSecret, null);
      assert.equal(listed.body.data[0].webhookSecretSet, true);
      const shown = JSON.stringify([listed.body, (await api.get('/api/v1/connectors/ams360-receipts')).body]);
      for (const secret of [webhookSecret, AMS_DOUBLE_API_KEY, AMS_AUTH]) assert.ok(!shown.includes(secret));

      const stored = await everyRow(server);
      assert.match(stored, /ppenc:v1:/, 'the scan sees the connector rows');
      for (const secret of [webhookSecret, AMS_DOUBLE_API_KEY, AMS_AUTH, 'ams360-receipts-credential']) {
        assert.ok(!stored.includes(secret), `no row holds ${secret} in clear`);
      }
    });

    it('decrypts them where they are used: webhook signatures, connector calls', async () => {
      const body = JSON.stringify({ not: 'an ams event' });
      const send = (secret: string) =>
        fetch(`${server.url}/api/v1/sync/webhooks/${server.agency.slug}/ams`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-sync-signature': signSyncWebhook(secret, body, new Date()),
          },
          body,
        });
      // The right secret passes the signature check (and the body is then refused as not an event).
      const signed = await send(webhookSecret);
      assert.equal(signed.status, 400);
      assert.match(((await signed.json()) as { detail: string }).detail, /not a ams event/);
      assert.equal((await send('some-other-secret-value')).status, 401);

      const loaded = await loadConnector(server.database.db, server.agency.actor.agencyId, 'ams');
      assert.equal(loaded?.mapping.auth?.value, AMS_DOUBLE_API_KEY);
      const endpoint = await amsEndpoint(server.database.db, server.agency.actor.agencyId);
      assert.deepEqual(endpoint?.authHeader, { name: 'Authorization', value: AMS_AUTH });
    });

    it('rotates to a new key, and a wrong key fails with a clear error', async () => {
      const original = keyring();
      const agencyId = server.agency.actor.agencyId;
      const next = { id: 'next', key: randomBytes(32) };
      try {
        const both = new Keyring([next, ...original.keys]);
        const sweep = await sweepStoredSecrets(server.database.db, { rotate: true, keys: both });
        assert.deepEqual(sweep, { encrypted: 0, rotated: 3, unchanged: 0 });
        assert.match(await everyRow(server), /ppenc:v1:next:/);
        assert.doesNotMatch(await everyRow(server), new RegExp(`ppenc:v1:${original.primaryId}:`));

        // The new key alone reads everything; the old one alone reads nothing.
        configureKeyring(new Keyring([next]));
        assert.equal((await loadConnector(server.database.db, agencyId, 'ams'))?.webhookSecret, webhookSecret);
        configureKeyring(original);
        await assert.rejects(loadConnector(server.database.db, agencyId, 'ams'), /key "next", which is not configured/);
        configureKeyring(new Keyring([{ id: 'next', key: randomBytes(32) }]));
        await assert.rejects(amsEndpoint(server.database.db, agencyId), /does not decrypt with key "next"/);
        await assert.rejects(
          sweepStoredSecrets(server.database.db, { rotate: false }),
          /does not decrypt with key "next": the key is not the one/,
        );
      } finally {
        // Back to the run's key for the next test.
        await sweepStoredSecrets(server.database.db, { rotate: true, keys: new Keyring([...original.keys, next]) });
        configureKeyring(original);
      }
    });

    it('encrypts secrets stored in clear before encryption at rest', async () => {
      const agencyId = server.agency.actor.agencyId;
      const legacyAuth = 'Bearer legacy-plaintext-value';
      await server.database.db
        .updateTable('ams_receipt_connectors')
        .set({ auth_header_value: legacyAuth })
        .where('agency_id', '=', agencyId)
        .execute();
      await assert.rejects(amsEndpoint(server.database.db, agencyId), /is not encrypted/);
      const sweep = await sweepStoredSecrets(server.database.db, { rotate: false });
      assert.equal(sweep.encrypted, 1);
      assert.ok(!(await everyRow(server)).includes(legacyAuth));
      assert.equal((await amsEndpoint(server.database.db, agencyId))?.authHeader?.value, legacyAuth);
    });
  });
}
