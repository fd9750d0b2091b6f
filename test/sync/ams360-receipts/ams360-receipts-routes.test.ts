import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createApiKey } from '../../../src/agency/api-keys.ts';
import { createBank } from '../../../src/agency/banks.ts';
import { sendDueAmsReceipts } from '../../../src/sync/ams360-receipts/sender.ts';
import { databaseTargets } from '../../support/db.ts';
import { type AmsReceiptDouble, startAmsReceiptDouble } from '../../support/doubles/ams360-receipt-double.ts';
import { type ApiClient, apiClient } from '../../support/http.ts';
import { startTestServer, type TestServer } from '../../support/server.ts';

const PATH = '/api/v1/connectors/ams360-receipts';
const SECRET = 'Bearer ams-secret-value-123';

for (const target of databaseTargets()) {
  describe(`AMS360 receipt connector API (${target})`, () => {
    let server: TestServer;
    let api: ApiClient;
    let ams: AmsReceiptDouble;

    before(async () => {
      server = await startTestServer({ target, web: false });
      api = apiClient(server.url, server.agency.apiKey);
      ams = await startAmsReceiptDouble({ authHeader: { name: 'Authorization', value: SECRET } });
      await createBank(server.database.db, server.agency.actor, {
        shortName: 'OPER',
        name: 'Operating',
        division: 'Main',
      });
    });
    after(async () => {
      await ams?.stop();
      await server?.close();
    });

    it('is not found before it is configured, and refuses a bad configuration naming the field', async () => {
      const none = await api.get(PATH);
      assert.equal(none.status, 404);
      assert.equal(none.headers.get('content-type')?.startsWith('application/problem+json'), true);

      const badUrl = await api.put(PATH, { baseUrl: 'ftp://ams.example' });
      assert.equal(badUrl.status, 400);
      assert.equal(badUrl.body.errors[0].path, 'baseUrl');
      const unknownField = await api.put(PATH, { baseUrl: ams.url, retries: 3 });
      assert.equal(unknownField.status, 400);
      assert.match(JSON.stringify(unknownField.body.errors), /retries/);
      const badHeader = await api.put(PATH, { baseUrl: ams.url, authHeader: { name: 'Bad Header', value: 'x' } });
      assert.equal(badHeader.status, 400);
      assert.equal(badHeader.body.errors[0].path, 'authHeader/name');
      assert.equal((await api.get(PATH)).status, 404, 'nothing was written');
    });

    it('stores the configuration without ever showing the auth header value back', async () => {
      const saved = await api.put(PATH, {
        baseUrl: `${ams.url}/`,
        authHeader: { name: 'Authorization', value: SECRET },
        sources: ['payment', 'autopay', 'api'],
        timeoutMs: 2_000,
      });
      assert.equal(saved.status, 200);
      assert.equal(saved.body.baseUrl, ams.url);
      assert.equal(saved.body.authHeaderName, 'Authorization');
      assert.equal(saved.body.authHeaderSet, true);
      assert.deepEqual(saved.body.sources, ['payment', 'autopay', 'api']);
      const read = await api.get(PATH);
      assert.equal(read.status, 200);
      assert.ok(!JSON.stringify(read.body).includes('ams-secret'), 'the secret is never returned');
      assert.ok(!JSON.stringify(saved.body).includes('ams-secret'));
    });

    it('is for staff only', async () => {
      const agentKey = await createApiKey(server.database.db, server.agency.actor, { name: 'agent', role: 'agent' });
      const agent = apiClient(server.url, agentKey.key);
      assert.equal((await agent.get(PATH)).status, 403);
      assert.equal((await agent.put(PATH, { baseUrl: ams.url })).status, 403);
      assert.equal((await agent.get(`${PATH}/exports`)).status, 403);
    });

    it('lists exports and retries a failed one (Idempotency-Key honoured), sending it once', async () => {
      const receipt = await api.post('/api/v1/receipt/customer', {
        customerNumber: server.seeded.customerNumber,
        invoiceInformations: [{ invoiceNumber: server.seeded.invoiceNumber, paymentAmount: 100.5 }],
        receiptAmount: 100.5,
        receiptDate: '2026-11-20',
        receiptDateTimeZone: 'Central Standard Time',
        bankShortName: 'OPER',
        paymentCheckType: 'H',
        payerCheckNumber: '5521',
      });
      assert.equal(receipt.status, 201, JSON.stringify(receipt.body));
      const receiptNumber = receipt.body.receiptNumber as number;
      const listed = await api.get(`${PATH}/exports?receiptNumber=${receiptNumber}`);
      assert.equal(listed.status, 200);
      assert.equal(listed.body.data.length, 1);
      const exported = listed.body.data[0];
      assert.equal(exported.status, 'pending');
      assert.equal(exported.reference, `PP-${receiptNumber}`);

      ams.injectFaults('reject');
      await sendDueAmsReceipts(server.database.db);
      const failed = (await api.get(`${PATH}/exports?status=failed`)).body.data;
      assert.equal(failed.length, 1);
      assert.equal(failed[0].lastHttpStatus, 422);

      const retryPath = `${PATH}/exports/${exported.id}/retry`;
      const first = await api.post(retryPath, undefined, { 'idempotency-key': 'retry-export-1' });
      assert.equal(first.status, 200, JSON.stringify(first.body));
      assert.equal(first.body.status, 'pending');
      const replay = await api.post(retryPath, undefined, { 'idempotency-key': 'retry-export-1' });
      assert.equal(replay.status, 200);
      assert.equal(replay.headers.get('idempotent-replayed'), 'true');
      const notFailed = await api.post(retryPath);
      assert.equal(notFailed.status, 409);
      assert.equal((await api.post(`${PATH}/exports/not-an-id/retry`)).status, 404);

      await sendDueAmsReceipts(server.database.db);
      const sent = (await api.get(`${PATH}/exports?receiptNumber=${receiptNumber}`)).body.data[0];
      assert.equal(sent.status, 'sent');
      assert.equal(ams.countFor(`PP-${receiptNumber}`), 1);
      const [received] = ams.receipts();
      assert.equal(received?.body.paymentCheckType, 'Check');
      assert.equal(received?.body.payerCheckNumber, '5521');
    });
  });
}
