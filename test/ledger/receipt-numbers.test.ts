import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { numberSequence } from '../../src/customers/counters.ts';
import { databaseTargets } from '../support/db.ts';
import { type ApiClient, apiClient } from '../support/http.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

// Receipt numbers come from a per-agency sequence taken inside the receipt's write statement
// (customers/counters.ts): unique, increasing, nothing locked until commit.
for (const target of databaseTargets()) {
  describe(`receipt numbers on ${target}`, () => {
    let server: TestServer;
    let api: ApiClient;
    let customer: number;
    const invoices: number[] = [];

    const receipt = (overrides: Record<string, unknown> = {}) => ({
      customerNumber: customer,
      invoiceInformations: [{ paymentAmount: 10 }],
      receiptAmount: 10,
      receiptDate: '2026-11-21',
      receiptDateTimeZone: 'Central Standard Time',
      bankShortName: 'OPER',
      paymentCheckType: 'H',
      ...overrides,
    });
    const post = async (overrides: Record<string, unknown> = {}) => {
      const res = await api.post('/api/v1/receipt/customer', receipt(overrides));
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return res.body;
    };
    const highest = async () => {
      const { rows } = await sql<{ max: number | null }>`SELECT max(receipt_number) AS max FROM receipts`.execute(
        server.database.db,
      );
      return rows[0]?.max ?? 0;
    };

    before(async () => {
      server = await startTestServer({ target, web: false });
      api = apiClient(server.url, server.agency.apiKey);
      await api.post('/api/v1/banks', { shortName: 'OPER', name: 'Operating', division: 'Main' });
      customer = (await api.post('/api/v1/customers', { type: 'individual', name: 'Jane Smith' })).body.customerNumber;
      for (let i = 0; i < 2; i++) {
        const res = await api.post('/api/v1/invoices', {
          customerNumber: customer,
          dueDate: '2026-12-01',
          amount: 500,
        });
        assert.equal(res.status, 201, JSON.stringify(res.body));
        invoices.push(res.body.invoiceNumber);
      }
    });
    after(async () => server.close());

    it('gives 20 concurrent receipts unique, consecutive numbers, and the next one a higher number', async () => {
      const first = await post();
      const start = first.receiptNumber as number;
      const posted = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          post({
            invoiceInformations: [{ invoiceNumber: invoices[i % 2], paymentAmount: 1.25 }, { paymentAmount: 2.5 }],
            receiptAmount: 3.75,
          }),
        ),
      );
      const numbers = posted.map((r) => r.receiptNumber as number).sort((a, b) => a - b);
      assert.deepEqual(
        numbers,
        Array.from({ length: 20 }, (_, i) => start + 1 + i),
      );
      const next = await post();
      assert.equal(next.receiptNumber, start + 21);

      // Every text that names the number was finished in the same statement, with that number.
      const { rows } = await sql<{ number: number; entry: string; summary: string; activity: number; audit: number }>`
        SELECT r.receipt_number AS number, e.description AS entry, a.summary,
               (a.data ->> 'receiptNumber')::int AS activity, (l.data ->> 'receiptNumber')::int AS audit
          FROM receipts r
          JOIN journal_entries e ON e.id = r.journal_entry_id
          JOIN activities a ON a.kind = 'receipt_posted' AND (a.data ->> 'receiptNumber')::int = r.receipt_number
          JOIN audit_log l ON l.action = 'receipt.posted' AND l.entity_id = r.id::text
         ORDER BY r.receipt_number`.execute(server.database.db);
      assert.equal(rows.length, 22);
      for (const row of rows) {
        assert.match(row.entry, new RegExp(`^Receipt ${row.number}: `));
        assert.match(row.summary, new RegExp(`^Receipt ${row.number}: \\$[0-9.,]+ by Check deposited to OPER$`));
        assert.equal(row.activity, row.number);
        assert.equal(row.audit, row.number);
      }
    });

    it('burns no number on a refused receipt', async () => {
      const before = await post();
      const refused = await api.post(
        '/api/v1/receipt/customer',
        receipt({ invoiceInformations: [{ invoiceNumber: 999_999, paymentAmount: 10 }] }),
      );
      assert.equal(refused.status, 422);
      const unknownBank = await api.post('/api/v1/receipt/customer', receipt({ bankShortName: 'NOPE' }));
      assert.equal(unknownBank.status, 422);
      const next = await post();
      assert.equal(next.receiptNumber, before.receiptNumber + 1);
    });

    it('answers the POST with the receipt exactly as stored', async () => {
      const posted = await post({
        invoiceInformations: [
          { invoiceNumber: invoices[0], paymentAmount: 1_000, invoicePaymentDescription: 'more than owed' },
          { paymentAmount: 0.5 },
        ],
        receiptAmount: 1_000.5,
        payerCheckNumber: '77',
        payerBankAccountNumber: '12-3456-789',
      });
      const stored = await api.get(`/api/v1/receipts/${posted.receiptNumber}`);
      assert.equal(stored.status, 200);
      assert.deepEqual(posted, stored.body);
      assert.match(posted.applications[0].note, /went On Account/);
    });

    it('carries on after the highest number when the agency has no sequence yet (numbers from before it)', async () => {
      const sequence = numberSequence(server.agency.id, 'receipt');
      await sql.raw(`DROP SEQUENCE ${sequence}`).execute(server.database.db);
      const max = await highest();
      const next = await post();
      assert.equal(next.receiptNumber, max + 1);
      const { rows } = await sql<{ exists: boolean }>`SELECT to_regclass(${sequence}) IS NOT NULL AS exists`.execute(
        server.database.db,
      );
      assert.equal(rows[0]?.exists, true);
      assert.equal((await post()).receiptNumber, max + 2);
    });

    it('numbers a new agency from 1, also when its first receipts arrive at once (the sequence is created once)', async () => {
      const { createTestAgency } = await import('../support/fixtures.ts');
      const other = await createTestAgency(server.database.db, 'Other Agency');
      const otherApi = apiClient(server.url, other.apiKey);
      await otherApi.post('/api/v1/banks', { shortName: 'OPER', name: 'Operating', division: 'Main' });
      // One customer per receipt: receipts of one customer queue on its lock, these must not.
      const customers: number[] = [];
      for (let i = 0; i < 10; i++) {
        const res = await otherApi.post('/api/v1/customers', { type: 'individual', name: `Ann Other ${i}` });
        customers.push(res.body.customerNumber);
      }
      const posted = await Promise.all(
        customers.map((customerNumber) => otherApi.post('/api/v1/receipt/customer', receipt({ customerNumber }))),
      );
      for (const res of posted) assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.deepEqual(
        posted.map((res) => res.body.receiptNumber as number).sort((x, y) => x - y),
        [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
      );
    });
  });
}
