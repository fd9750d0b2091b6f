import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { databaseTargets } from '../../support/db.ts';
import { createTestAgency, type TestAgency } from '../../support/fixtures.ts';
import { apiClient } from '../../support/http.ts';
import { startTestServer, type TestServer } from '../../support/server.ts';

for (const target of databaseTargets()) {
  describe(`tenant isolation on ${target}`, () => {
    let server: TestServer;
    let other: TestAgency;

    before(async () => {
      server = await startTestServer({ target, web: false });
      other = await createTestAgency(server.database.db, 'Other Agency');
      const mine = apiClient(server.url, server.agency.apiKey);
      await mine.post('/api/v1/policies', {
        customerNumber: server.seeded.customerNumber,
        policyNumber: 'AUTO-1',
        lineOfBusiness: 'Auto',
        effectiveDate: '2026-01-01',
        expirationDate: '2026-07-01',
        premium: 600,
      });
    });
    after(async () => server.close());

    it("cannot see another agency's customers, policies, invoices or accounts (404)", async () => {
      const theirs = apiClient(server.url, other.apiKey);
      const { customerNumber, invoiceNumber } = server.seeded;
      for (const path of [
        `/api/v1/customers/${customerNumber}`,
        `/api/v1/customers/${customerNumber}/account`,
        `/api/v1/customers/${customerNumber}/contacts`,
        '/api/v1/policies/AUTO-1',
        `/api/v1/invoices/${invoiceNumber}`,
      ]) {
        const res = await theirs.get(path);
        assert.equal(res.status, 404, path);
        assert.equal(res.body.status, 404);
      }
      const list = await theirs.get('/api/v1/customers');
      assert.deepEqual(list.body.data, []);
    });

    it("cannot write to another agency's records", async () => {
      const theirs = apiClient(server.url, other.apiKey);
      const { customerNumber, invoiceNumber } = server.seeded;
      assert.equal((await theirs.post('/api/v1/policies/AUTO-1/transitions', { to: 'expired' })).status, 404);
      assert.equal(
        (await theirs.post(`/api/v1/customers/${customerNumber}/contacts`, { name: 'Mallory' })).status,
        404,
      );
      assert.equal((await theirs.patch(`/api/v1/invoices/${invoiceNumber}`, { suppressAutopay: true })).status, 404);
      const invoice = await theirs.post('/api/v1/invoices', {
        customerNumber,
        dueDate: '2026-12-01',
        amount: 5,
      });
      assert.equal(invoice.status, 422);
      const mine = apiClient(server.url, server.agency.apiKey);
      assert.equal((await mine.get('/api/v1/policies/AUTO-1')).body.status, 'unsubmitted');
      assert.equal((await mine.get(`/api/v1/invoices/${invoiceNumber}`)).body.suppressAutopay, false);
    });

    it('lets both agencies use the same numbers independently', async () => {
      const theirs = apiClient(server.url, other.apiKey);
      const created = await theirs.post('/api/v1/customers', {
        customerNumber: server.seeded.customerNumber,
        type: 'individual',
        name: 'Their own customer',
      });
      assert.equal(created.status, 201);
      const mine = apiClient(server.url, server.agency.apiKey);
      assert.equal((await mine.get(`/api/v1/customers/${server.seeded.customerNumber}`)).body.name, 'Jane Smith');
    });
  });
}
