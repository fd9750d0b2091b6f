import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DatabaseHandle } from '../../src/platform/db/database.ts';
import type { App } from '../../src/platform/http/types.ts';
import { databaseTargets, openTestDatabase } from '../support/db.ts';
import { createTestAgency, type TestAgency } from '../support/fixtures.ts';
import { type ApiClient, apiClient } from '../support/http.ts';
import { assertResponsesMatchedDocument, buildTestApp } from '../support/openapi.ts';

const NOW = new Date('2026-03-10T15:00:00Z');

type Page = {
  data: { receiptNumber: number; amount: number; bankShortName: string; receiptDate: string; status: string }[];
  totals: { count: number; amount: number };
  nextBefore: number | null;
};

for (const target of databaseTargets()) {
  describe(`receipts list on ${target}`, () => {
    let database: DatabaseHandle;
    let app: App;
    let agency: TestAgency;
    let api: ApiClient;
    let limited: ApiClient;
    let other: ApiClient;
    const customers: number[] = [];
    const receipts: number[] = [];

    before(async () => {
      database = await openTestDatabase(target);
      agency = await createTestAgency(database.db, 'Harbor Insurance Agency');
      const foreign = await createTestAgency(database.db, 'Other Agency');
      app = await buildTestApp({ database, clock: () => NOW });
      const url = await app.listen({ port: 0, host: '127.0.0.1' });
      api = apiClient(url, agency.apiKey);
      other = apiClient(url, foreign.apiKey);
      for (const [shortName, division] of [
        ['OPER', 'Main'],
        ['NORTH', 'North'],
      ]) {
        assert.equal((await api.post('/api/v1/banks', { shortName, name: shortName, division })).status, 201);
      }
      for (const name of ['Ann Able', 'Bob Baker']) {
        const res = await api.post('/api/v1/customers', { type: 'individual', name });
        assert.equal(res.status, 201, JSON.stringify(res.body));
        customers.push(res.body.customerNumber);
      }
      // Six receipts: dates 1..6 March, alternating banks and customers, cash and checks.
      for (let i = 0; i < 6; i++) {
        const res = await api.post('/api/v1/receipt/customer', {
          customerNumber: customers[i % 2],
          invoiceInformations: [{ paymentAmount: 10 + i }],
          receiptAmount: 10 + i,
          receiptDate: `2026-03-0${i + 1}`,
          receiptDateTimeZone: 'America/Chicago',
          bankShortName: i % 2 === 0 ? 'OPER' : 'NORTH',
          paymentCheckType: i < 3 ? 'A' : 'H',
        });
        assert.equal(res.status, 201, JSON.stringify(res.body));
        receipts.push(res.body.receiptNumber ?? res.body.receipt?.receiptNumber);
      }
      const reversal = await api.post(`/api/v1/receipts/${receipts[5]}/reversal`, { reason: 'nsf' });
      assert.equal(reversal.status, 200, JSON.stringify(reversal.body));
      const key = await api.post('/api/v1/api-keys', { name: 'north desk', role: 'agent', banks: ['NORTH'] });
      assert.equal(key.status, 201, JSON.stringify(key.body));
      limited = apiClient(url, key.body.key);
    });
    after(async () => {
      await app?.close();
      await database?.close();
      if (app) assertResponsesMatchedDocument(app);
    });

    const list = async (query: string, client = api): Promise<Page> => {
      const res = await client.get(`/api/v1/receipts${query}`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body as Page;
    };

    it('lists newest first in keyset pages, with the totals of the whole filter on every page', async () => {
      const first = await list('?limit=4');
      assert.deepEqual(
        first.data.map((r) => r.receiptNumber),
        [...receipts].reverse().slice(0, 4),
      );
      assert.deepEqual(first.totals, { count: 6, amount: 75 });
      assert.equal(first.nextBefore, receipts[2]);
      const second = await list(`?limit=4&before=${first.nextBefore}`);
      assert.deepEqual(
        second.data.map((r) => r.receiptNumber),
        [receipts[1], receipts[0]],
      );
      assert.equal(second.nextBefore, null);
      assert.deepEqual(second.totals, first.totals);
    });

    it('filters by date, bank, type, customer and status', async () => {
      const march2to4 = await list('?from=2026-03-02&to=2026-03-04');
      assert.deepEqual(march2to4.totals, { count: 3, amount: 36 });
      const north = await list('?bankShortName=NORTH');
      assert.ok(north.data.every((r) => r.bankShortName === 'NORTH'));
      assert.deepEqual(north.totals, { count: 3, amount: 11 + 13 + 15 });
      assert.deepEqual((await list('?paymentCheckType=Check')).totals, { count: 3, amount: 13 + 14 + 15 });
      assert.deepEqual((await list(`?customerNumber=${customers[0]}`)).totals, { count: 3, amount: 10 + 12 + 14 });
      const reversed = await list('?status=reversed');
      assert.deepEqual(
        reversed.data.map((r) => [r.receiptNumber, r.status]),
        [[receipts[5], 'reversed']],
      );
      assert.equal((await list('?status=posted')).totals.count, 5);
    });

    it("shows a caller limited to a bank only that bank's receipts, and another agency none", async () => {
      const mine = await list('', limited);
      assert.deepEqual(mine.totals, { count: 3, amount: 11 + 13 + 15 });
      assert.deepEqual((await list('?bankShortName=OPER', limited)).totals, { count: 0, amount: 0 });
      assert.deepEqual((await list('', other)).totals, { count: 0, amount: 0 });
    });

    it('names a bad filter and exports what the filter finds', async () => {
      const bad = await api.get('/api/v1/receipts?from=2026-02-30&paymentCheckType=Barter');
      assert.equal(bad.status, 400, JSON.stringify(bad.body));
      const paths = (bad.body.errors as { path: string }[]).map((e) => e.path).sort();
      assert.deepEqual(paths, ['querystring/from', 'querystring/paymentCheckType']);
      const unknown = await api.get('/api/v1/receipts?customerNumber=999999');
      assert.equal(unknown.status, 404, JSON.stringify(unknown.body));
      const csv = await app.inject({
        method: 'GET',
        url: '/api/v1/receipts/export.csv?bankShortName=OPER&status=posted',
        headers: { authorization: `Bearer ${agency.apiKey}` },
      });
      assert.equal(csv.statusCode, 200, csv.body);
      const lines = csv.body.trim().split('\r\n');
      assert.equal(lines.length, 1 + 3, csv.body);
      assert.ok(
        lines.slice(1).every((line) => line.includes(',OPER,')),
        csv.body,
      );
    });
    it("shows a receipt's and an invoice's journal entries, each balanced, debits and credits apart", async () => {
      type Ledger = {
        data: {
          kind: string;
          lines: {
            account: string;
            debit: number | null;
            credit: number | null;
            bankShortName: string | null;
            invoiceNumber: number | null;
          }[];
        }[];
      };
      const balanced = (ledger: Ledger) => {
        for (const entry of ledger.data) {
          const debit = entry.lines.reduce((sum, line) => sum + (line.debit ?? 0), 0);
          const credit = entry.lines.reduce((sum, line) => sum + (line.credit ?? 0), 0);
          assert.ok(debit > 0 && Math.abs(debit - credit) < 0.001, JSON.stringify(entry));
          for (const line of entry.lines)
            assert.ok((line.debit === null) !== (line.credit === null), JSON.stringify(line));
        }
      };
      const reversed = await api.get(`/api/v1/receipts/${receipts[5]}/ledger`);
      assert.equal(reversed.status, 200, JSON.stringify(reversed.body));
      const ledger = reversed.body as Ledger;
      assert.equal(ledger.data.length, 2, JSON.stringify(ledger));
      balanced(ledger);
      const cash = (i: number) => ledger.data[i]!.lines.find((line) => line.account === 'cash')!;
      assert.deepEqual([cash(0).debit, cash(0).bankShortName], [15, 'NORTH']);
      assert.deepEqual([cash(1).credit, cash(1).bankShortName], [15, 'NORTH']);
      assert.equal((await limited.get(`/api/v1/receipts/${receipts[5]}/ledger`)).status, 200);
      assert.equal((await limited.get(`/api/v1/receipts/${receipts[4]}/ledger`)).status, 404);
      assert.equal((await other.get(`/api/v1/receipts/${receipts[5]}/ledger`)).status, 404);

      const invoice = await api.post('/api/v1/invoices', {
        customerNumber: customers[1],
        dueDate: '2026-04-01',
        amount: 100,
      });
      assert.equal(invoice.status, 201, JSON.stringify(invoice.body));
      const paid = await api.post('/api/v1/receipt/customer', {
        customerNumber: customers[1],
        invoiceInformations: [{ invoiceNumber: invoice.body.invoiceNumber, paymentAmount: 40 }],
        receiptAmount: 40,
        receiptDate: '2026-03-09',
        receiptDateTimeZone: 'America/Chicago',
        bankShortName: 'OPER',
        paymentCheckType: 'A',
      });
      assert.equal(paid.status, 201, JSON.stringify(paid.body));
      const invoiceLedger = await api.get(`/api/v1/invoices/${invoice.body.invoiceNumber}/ledger`);
      assert.equal(invoiceLedger.status, 200, JSON.stringify(invoiceLedger.body));
      const entries = (invoiceLedger.body as Ledger).data;
      assert.equal(entries.length, 2, JSON.stringify(entries));
      balanced(invoiceLedger.body as Ledger);
      const ar = entries.map((entry) =>
        entry.lines.find(
          (line) => line.account === 'accounts_receivable' && line.invoiceNumber === invoice.body.invoiceNumber,
        ),
      );
      assert.deepEqual(
        ar.map((line) => [line?.debit, line?.credit]),
        [
          [100, null],
          [null, 40],
        ],
      );
      assert.equal((await other.get(`/api/v1/invoices/${invoice.body.invoiceNumber}/ledger`)).status, 404);
    });
  });
}
