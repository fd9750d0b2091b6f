import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  configureOutboundPolicy,
  connectorFetch,
  OutboundRefused,
  outboundPolicyFromEnv,
} from '../../src/platform/outbound.ts';
import { postAmsReceipt } from '../../src/sync/ams360-receipts/client.ts';
import { amsEndpoint } from '../../src/sync/ams360-receipts/connector.ts';
import { loadConnector } from '../../src/sync/connectors.ts';
import { amsDoubleMapping } from '../../src/sync/doubles/mappings.ts';
import { databaseTargets } from '../support/db.ts';
import { type AmsReceiptDouble, startAmsReceiptDouble } from '../support/doubles/ams360-receipt-double.ts';
import { type ApiClient, apiClient } from '../support/http.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

// The test harness allows private connectors (its doubles are on loopback); these tests take
// the default policy away from it and put it back after.
const allowAll = outboundPolicyFromEnv({ POLICYPAY_ALLOW_PRIVATE_CONNECTORS: 'true' });
const strict = outboundPolicyFromEnv({});

const privateUrls = [
  'http://127.0.0.1:8080',
  'http://localhost:8080/api',
  'http://app.localhost',
  'http://10.1.2.3',
  'http://172.20.0.5',
  'http://192.168.1.1',
  'http://169.254.169.254/latest/meta-data',
  'http://[::1]:80',
  'http://[fd00::1]',
  'http://[fe80::1]',
  'http://[::ffff:127.0.0.1]',
  'http://0.0.0.0:3000',
  'http://2130706433',
];

for (const target of databaseTargets()) {
  describe(`connectors refuse loopback and private addresses (${target})`, () => {
    let server: TestServer;
    let api: ApiClient;
    let ams: AmsReceiptDouble;

    before(async () => {
      server = await startTestServer({ target, web: false });
      api = apiClient(server.url, server.agency.apiKey);
      ams = await startAmsReceiptDouble({});
    });
    after(async () => {
      configureOutboundPolicy(undefined);
      await ams?.stop();
      await server?.close();
    });

    it('refuses them at configuration, naming the field, and writes nothing', async () => {
      configureOutboundPolicy(strict);
      for (const baseUrl of privateUrls) {
        const sync = await api.put('/api/v1/sync/connectors/ams', { kind: 'rest', mapping: amsDoubleMapping(baseUrl) });
        assert.equal(sync.status, 422, `${baseUrl}: ${JSON.stringify(sync.body)}`);
        assert.equal(sync.headers.get('content-type')?.startsWith('application/problem+json'), true);
        assert.equal(sync.body.errors[0].path, 'mapping/baseUrl');
        assert.match(sync.body.errors[0].message, /must be a public address/);
        const receipts = await api.put('/api/v1/connectors/ams360-receipts', { baseUrl });
        assert.equal(receipts.status, 422, `${baseUrl}: ${JSON.stringify(receipts.body)}`);
        assert.equal(receipts.body.errors[0].path, 'baseUrl');
      }
      assert.deepEqual((await api.get('/api/v1/sync/connectors')).body.data, []);
      assert.equal((await api.get('/api/v1/connectors/ams360-receipts')).status, 404);
    });

    it('accepts them when the operator allows them, all or by range', async () => {
      configureOutboundPolicy(outboundPolicyFromEnv({ POLICYPAY_CONNECTOR_ALLOWLIST: '127.0.0.0/8' }));
      const receipts = await api.put('/api/v1/connectors/ams360-receipts', { baseUrl: ams.url });
      assert.equal(receipts.status, 200, JSON.stringify(receipts.body));
      configureOutboundPolicy(allowAll);
      const sync = await api.put('/api/v1/sync/connectors/ams', {
        kind: 'rest',
        mapping: amsDoubleMapping(ams.url.replace('127.0.0.1', 'localhost'), { retries: 0 }),
      });
      assert.equal(sync.status, 200, JSON.stringify(sync.body));
    });

    it('refuses them at call time too, on the address DNS gives when connecting', async () => {
      configureOutboundPolicy(strict);
      const agencyId = server.agency.actor.agencyId;
      const before = ams.requests;
      // Configured while allowed (or DNS changed since): the call is refused before any request.
      const endpoint = await amsEndpoint(server.database.db, agencyId);
      assert.ok(endpoint);
      const answer = await postAmsReceipt(endpoint, { body: {}, idempotencyKey: 'k-1', reference: 'r-1' });
      assert.equal(answer.kind, 'no_response');
      assert.match(
        answer.kind === 'no_response' ? answer.reason : '',
        /refused to connect: 127\.0\.0\.1 is a loopback address/,
      );
      // A host name: refused by the agent's lookup, at connect time.
      const byName = ams.url.replace('127.0.0.1', 'localhost');
      const post = { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' };
      const refused = await connectorFetch(`${byName}/receipt/customer`, post).catch((error: Error) => error);
      assert.ok(refused instanceof Error);
      assert.ok(refused.cause instanceof OutboundRefused, String(refused.cause));
      assert.match(refused.cause.message, /refused to connect to localhost: .* is a loopback address/);
      const sync = await loadConnector(server.database.db, agencyId, 'ams');
      await assert.rejects(sync!.connector.get('customer', 'c-1'), /refused to connect to localhost/);
      assert.equal(ams.requests, before, 'nothing reached the double');

      // Allowed by range, through the checking agent; and allowed outright.
      configureOutboundPolicy(outboundPolicyFromEnv({ POLICYPAY_CONNECTOR_ALLOWLIST: '127.0.0.0/8,::1' }));
      const byRange = await connectorFetch(`${byName}/receipt/customer`, post);
      assert.equal(typeof byRange.status, 'number');
      assert.equal(ams.requests, before + 1);
      // A redirect (here towards the metadata address) is the answer, not followed.
      const redirector = createServer((_request, response) => {
        response.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data' }).end();
      });
      await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
      try {
        const { port } = redirector.address() as AddressInfo;
        assert.equal((await connectorFetch(`http://localhost:${port}/`)).status, 302);
      } finally {
        redirector.close();
      }
      configureOutboundPolicy(allowAll);
      const allowed = await connectorFetch(`${byName}/receipt/customer`, post);
      assert.equal(typeof allowed.status, 'number');
      assert.equal(ams.requests, before + 2);
    });
  });
}
