import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { receiptExamples } from '../../../src/ledger/routes/receipt-examples.ts';
import { databaseTargets } from '../../support/db.ts';
import { apiClient } from '../../support/http.ts';
import { assertResponsesMatchedDocument, buildTestApp, responseChecker } from '../../support/openapi.ts';
import { startTestServer, type TestServer } from '../../support/server.ts';

type JsonObject = Record<string, any>;
const methods = ['get', 'put', 'post', 'delete', 'patch'];

function operations(doc: JsonObject): { method: string; path: string; operation: JsonObject }[] {
  return Object.entries(doc.paths as JsonObject).flatMap(([path, item]) =>
    Object.entries(item as JsonObject)
      .filter(([method]) => methods.includes(method))
      .map(([method, operation]) => ({ method, path, operation: operation as JsonObject })),
  );
}

// The document does not depend on the database; its receipt examples are posted to both.
for (const target of databaseTargets())
  describe(`the published OpenAPI document on ${target}`, () => {
    let server: TestServer;
    let doc: JsonObject;

    before(async () => {
      server = await startTestServer({ target, web: false });
      const res = await apiClient(server.url).get('/api/openapi.json');
      assert.equal(res.status, 200);
      doc = res.body;
    });
    after(async () => server.close());

    it('is a valid OpenAPI 3.1 document (@seriousme/openapi-schema-validator) whose every $ref resolves', async () => {
      const validator = new Validator();
      const result = await validator.validate(structuredClone(doc));
      assert.equal(doc.openapi, '3.1.0');
      assert.ok(result.valid, JSON.stringify(result.errors, null, 2));
      const refs = new Set<string>();
      JSON.stringify(doc, (key, value) => {
        if (key === '$ref') refs.add(value);
        return value;
      });
      assert.ok(refs.size > 20, 'named component schemas are referenced');
      for (const ref of refs) {
        assert.match(ref, /^#\/components\/schemas\//);
        assert.ok(doc.components.schemas[ref.split('/').pop()!], `${ref} resolves`);
      }
      assert.doesNotThrow(() => validator.resolveRefs());
    });

    it('gives every operation a unique operationId and a declared tag', () => {
      const ops = operations(doc);
      assert.ok(ops.length >= 90, `${ops.length} operations`);
      const ids = new Map<string, string>();
      const declaredTags = new Set((doc.tags as { name: string }[]).map((t) => t.name));
      for (const { method, path, operation } of ops) {
        const where = `${method.toUpperCase()} ${path}`;
        assert.match(operation.operationId ?? '', /^[a-z][A-Za-z0-9]+$/, `${where} has an operationId`);
        assert.ok(!ids.has(operation.operationId), `${where} and ${ids.get(operation.operationId)} share an id`);
        ids.set(operation.operationId, where);
        assert.ok(operation.tags?.length > 0, `${where} has a tag`);
        for (const tag of operation.tags) assert.ok(declaredTags.has(tag), `${where}: tag ${tag} is declared`);
      }
      assert.equal(ids.get('postCustomerReceipt'), 'POST /api/v1/receipt/customer');
      assert.equal(ids.get('listCustomers'), 'GET /api/v1/customers');
      assert.equal(ids.get('getCustomer'), 'GET /api/v1/customers/{customerNumber}');
      assert.equal(ids.get('cancelPayment'), 'POST /api/v1/payments/{id}/cancel');
      for (const list of ['Customers', 'Invoices', 'Receipts', 'Payments']) {
        assert.equal(ids.get(`export${list}Csv`), `GET /api/v1/${list.toLowerCase()}/export.csv`);
      }
    });

    it('documents the CSV exports as text/csv, and the check accepts a streamed CSV answer', () => {
      const ok = doc.paths['/api/v1/receipts/export.csv'].get.responses['200'];
      assert.deepEqual(Object.keys(ok.content), ['text/csv']);
      assert.equal(ok.content['text/csv'].schema.type, 'string');
      const check = responseChecker(doc);
      const sent = { method: 'GET', route: '/api/v1/receipts/export.csv', status: 200, body: undefined };
      assert.deepEqual(check({ ...sent, contentType: 'text/csv; charset=utf-8' }), []);
      assert.match(check({ ...sent, contentType: 'application/json' }).join(), /"application\/json" is not documented/);
    });

    it('documents errors as problem+json with the Problem schema, for the statuses the server sends', () => {
      const problem = doc.components.schemas.Problem;
      assert.deepEqual(Object.keys(problem.properties).sort(), [
        'detail',
        'errors',
        'instance',
        'status',
        'title',
        'type',
      ]);
      for (const { method, path, operation } of operations(doc)) {
        const where = `${method.toUpperCase()} ${path}`;
        const statuses = Object.keys(operation.responses);
        assert.ok(
          statuses.some((s) => s.startsWith('2')),
          `${where} documents its success`,
        );
        assert.ok(!statuses.includes('500'), `${where}: a 500 is a defect, never a documented answer`);
        for (const status of ['400', '401', '429', '503']) assert.ok(statuses.includes(status), `${where} ${status}`);
        if (path.includes('{')) assert.ok(statuses.includes('404'), `${where} 404`);
        if (method === 'post') {
          for (const status of ['409', '413', '415', '422']) assert.ok(statuses.includes(status), `${where} ${status}`);
        }
        for (const status of statuses.filter((s) => Number(s) >= 400)) {
          assert.deepEqual(
            operation.responses[status].content,
            { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
            `${where} ${status}`,
          );
        }
      }
      const receipt = doc.paths['/api/v1/receipt/customer'].post;
      assert.ok(receipt.parameters.some((p: JsonObject) => p.in === 'header' && p.name === 'idempotency-key'));
      assert.ok(receipt.responses['403'], 'the bank and division rule is documented');
      assert.deepEqual(doc.paths['/api/v1/health'].get.security, [], 'public operations need no credential');
    });

    it("shows AMS360's receipt request and answer as examples, and they are what the server does", async () => {
      const media = doc.paths['/api/v1/receipt/customer'].post.requestBody.content['application/json'];
      assert.deepEqual(media.examples, receiptExamples.requests);
      assert.deepEqual(doc.components.schemas.CustomerReceipt.examples, [receiptExamples.response]);

      const api = apiClient(server.url, server.agency.apiKey);
      assert.equal(
        (await api.post('/api/v1/banks', { shortName: 'OPER', name: 'Operating', division: 'Main' })).status,
        201,
      );
      assert.equal(
        (await api.post('/api/v1/customers', { customerNumber: 1042, type: 'individual', name: 'Jane Smith' })).status,
        201,
      );
      for (const [invoiceNumber, amount] of [
        [20311, 250],
        [20312, 125.5],
      ] as const) {
        const invoice = await api.post('/api/v1/invoices', {
          invoiceNumber,
          customerNumber: 1042,
          dueDate: '2026-12-01',
          amount,
        });
        assert.equal(invoice.status, 201, JSON.stringify(invoice.body));
      }
      const posted = await api.post('/api/v1/receipt/customer', receiptExamples.requests.checkForTwoInvoices.value);
      assert.equal(posted.status, 201, JSON.stringify(posted.body));
      const expected = structuredClone(receiptExamples.response) as JsonObject;
      expected.applications[1].invoicePaymentDescription = posted.body.applications[1].invoicePaymentDescription;
      assert.deepEqual({ ...posted.body, receiptId: expected.receiptId, receiptNumber: 1 }, expected);
      const onAccount = await api.post('/api/v1/receipt/customer', receiptExamples.requests.cardOnAccount.value);
      assert.equal(onAccount.status, 201, JSON.stringify(onAccount.body));
      assert.equal(onAccount.body.onAccountAmount, 80);
    });

    it('checks a response for an undocumented status, a wrong content type and a body that breaks its schema', () => {
      const check = responseChecker(doc);
      const route = '/api/v1/customers/:customerNumber';
      const customer = {
        customerNumber: 1,
        type: 'individual',
        name: 'Jane',
        email: null,
        phone: null,
        address: null,
        producerUserId: null,
        csrUserId: null,
        createdAt: '2026-01-01T00:00:00.000Z',
      };
      const ok = { method: 'GET', route, status: 200, contentType: 'application/json; charset=utf-8' };
      assert.deepEqual(check({ ...ok, body: JSON.stringify(customer) }), []);
      assert.match(
        check({ ...ok, body: JSON.stringify({ ...customer, name: 7 }) }).join(),
        /body\/name must be string/,
      );
      assert.match(check({ ...ok, body: JSON.stringify({ ...customer, extra: 1 }) }).join(), /additional/);
      assert.match(check({ ...ok, status: 500, body: '{}' }).join(), /status 500 is not documented/);
      const problem = JSON.stringify({ type: 'https://x', title: 'Not found', status: 404, detail: 'no' });
      assert.deepEqual(check({ ...ok, status: 404, contentType: 'application/problem+json', body: problem }), []);
      assert.match(
        check({ ...ok, status: 404, body: problem }).join(),
        /content type "application\/json" is not documented/,
      );
      assert.match(check({ ...ok, route: '/api/v1/nowhere', body: '{}' }).join(), /not in the OpenAPI document/);
    });

    it('turns a response that breaks the document into a 500 naming the mismatch, and fails the server close', async () => {
      const app = await buildTestApp({ database: server.database });
      // Documented as 200 without a body (no response schema); answers 418 with one.
      app.get('/api/v1/drift', { config: { access: 'public' }, schema: { tags: ['test'] } }, async (_request, reply) =>
        reply.status(418).send({ teapot: true }),
      );
      const url = await app.listen({ port: 0, host: '127.0.0.1' });
      const res = await apiClient(url).get('/api/v1/drift');
      assert.equal(res.status, 500);
      assert.match(res.body.detail, /GET \/api\/v1\/drift answered 418: status 418 is not documented/);
      await app.close();
      assert.throws(() => assertResponsesMatchedDocument(app), /do not match the OpenAPI document/);
    });

    it('is what every test server is built with: no test builds an app around the check', async () => {
      const root = join(import.meta.dirname, '..', '..');
      const offenders: string[] = [];
      for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
        if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
        const file = join(entry.parentPath, entry.name);
        if (file.endsWith(join('support', 'openapi.ts'))) continue;
        if (/import\s*\{[^}]*\bbuildApp\b/.test(await readFile(file, 'utf8'))) offenders.push(relative(root, file));
      }
      assert.deepEqual(offenders, [], 'use buildTestApp (test/support/openapi.ts) instead of buildApp');
    });
  });
