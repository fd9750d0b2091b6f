import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { exportCustomers } from '../../../src/customers/customer-list.ts';
import { createCustomer } from '../../../src/customers/customers.ts';
import type { Actor } from '../../../src/kernel/actor.ts';
import { exportInvoices } from '../../../src/ledger/invoices.ts';
import { exportReceipts } from '../../../src/ledger/receipt-list.ts';
import type { DatabaseHandle } from '../../../src/platform/db/database.ts';
import type { App } from '../../../src/platform/http/types.ts';
import { databaseTargets, openTestDatabase } from '../../support/db.ts';
import { createTestAgency, type TestAgency } from '../../support/fixtures.ts';
import { type ApiClient, apiClient } from '../../support/http.ts';
import { assertResponsesMatchedDocument, buildTestApp } from '../../support/openapi.ts';

/** RFC 4180, as a spreadsheet reads it: quoted cells may hold commas, doubled quotes and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += c;
  }
  if (cell !== '' || row.length > 0) rows.push([...row, cell]);
  return rows;
}

/** Rows as objects keyed by the header row. */
function records(text: string): Record<string, string>[] {
  const [header, ...rows] = parseCsv(text);
  return rows.map((row) => Object.fromEntries(header!.map((name, i) => [name, row[i]!])));
}

async function collect<T>(pages: AsyncIterable<T[]>): Promise<T[][]> {
  const all: T[][] = [];
  for await (const page of pages) all.push(page);
  return all;
}

// 03:00 UTC on 1 March is still 28 February in Chicago, the agency's time zone.
const NOW = new Date('2026-03-01T03:00:00Z');

for (const target of databaseTargets()) {
  describe(`CSV exports on ${target}`, () => {
    let database: DatabaseHandle;
    let app: App;
    let url: string;
    let agency: TestAgency;
    let api: ApiClient;
    let limitedActor: Actor;
    let limited: ApiClient;
    const tricky = 'Smith, "Jo" & Co';
    const formula = '=HYPERLINK("http://evil.example","x")';
    const numbers: Record<string, number> = {};

    const get = async (path: string, client = api) => {
      const res = await fetch(`${url}${path}`, {
        headers:
          client === limited ? { authorization: `Bearer ${limitedKey}` } : { authorization: `Bearer ${agency.apiKey}` },
      });
      return { res, text: await res.text() };
    };
    let limitedKey = '';

    before(async () => {
      database = await openTestDatabase(target);
      agency = await createTestAgency(database.db, 'Harbor Insurance Agency');
      const other = await createTestAgency(database.db, 'Other Agency');
      await createCustomer(database.db, other.actor, { type: 'individual', name: 'Foreign Person' });
      app = await buildTestApp({ database, clock: () => NOW });
      url = await app.listen({ port: 0, host: '127.0.0.1' });
      api = apiClient(url, agency.apiKey);
      for (const [shortName, division] of [
        ['OPER', 'Main'],
        ['NORTH', 'North'],
      ]) {
        const bank = await api.post('/api/v1/banks', { shortName, name: shortName, division });
        assert.equal(bank.status, 201, JSON.stringify(bank.body));
      }
      for (const name of [tricky, formula, 'Plain Person']) {
        const res = await api.post('/api/v1/customers', { type: 'individual', name });
        assert.equal(res.status, 201, JSON.stringify(res.body));
        numbers[name] = res.body.customerNumber;
      }
      const invoice = await api.post('/api/v1/invoices', {
        customerNumber: numbers[tricky],
        dueDate: '2026-12-01',
        amount: 12345.67,
      });
      assert.equal(invoice.status, 201, JSON.stringify(invoice.body));
      for (const bankShortName of ['OPER', 'NORTH']) {
        const receipt = await api.post('/api/v1/receipt/customer', {
          customerNumber: numbers['Plain Person'],
          invoiceInformations: [{ paymentAmount: 0.05 }],
          receiptAmount: 0.05,
          receiptDate: '2026-02-27',
          receiptDateTimeZone: 'America/Chicago',
          bankShortName,
          paymentCheckType: 'H',
          payerCheckNumber: '-77',
        });
        assert.equal(receipt.status, 201, JSON.stringify(receipt.body));
      }
      const key = await api.post('/api/v1/api-keys', { name: 'north desk', role: 'agent', banks: ['OPER'] });
      assert.equal(key.status, 201, JSON.stringify(key.body));
      limitedKey = key.body.key;
      limited = apiClient(url, limitedKey);
      limitedActor = { ...agency.actor, role: 'agent', banks: ['OPER'], divisions: ['Main'] };
    });
    after(async () => {
      await app.close();
      await database.close();
      assertResponsesMatchedDocument(app);
    });

    it('exports customers: a header, one row each, quoting and formula neutralising, no other agency', async () => {
      const { res, text } = await get('/api/v1/customers/export.csv');
      assert.equal(res.status, 200, text);
      assert.equal(res.headers.get('content-type'), 'text/csv; charset=utf-8');
      assert.equal(res.headers.get('content-disposition'), 'attachment; filename="customers-2026-02-28.csv"');
      assert.ok(text.startsWith('customerNumber,type,name,email,phone,'), text);
      assert.ok(text.includes('"Smith, ""Jo"" & Co"'), text);
      const rows = records(text);
      assert.deepEqual(
        rows.map((r) => r.name),
        [tricky, `'${formula}`, 'Plain Person'],
      );
      assert.equal(rows[0]!.customerNumber, String(numbers[tricky]));
      assert.match(rows[0]!.createdAt!, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      assert.ok(!text.includes('Foreign Person'));
    });

    it("applies the list's search to the customer export", async () => {
      const { text } = await get(`/api/v1/customers/export.csv?search=${encodeURIComponent('Plain')}`);
      assert.deepEqual(
        records(text).map((r) => r.name),
        ['Plain Person'],
      );
    });

    it('exports invoices with amounts and balances as dollars from cents', async () => {
      const { res, text } = await get('/api/v1/invoices/export.csv');
      assert.equal(res.status, 200, text);
      assert.equal(res.headers.get('content-disposition'), 'attachment; filename="invoices-2026-02-28.csv"');
      const rows = records(text);
      assert.equal(rows.length, 1);
      assert.equal(rows[0]!.customerNumber, String(numbers[tricky]));
      assert.equal(rows[0]!.amount, '12345.67');
      assert.equal(rows[0]!.balance, '12345.67');
      assert.equal(rows[0]!.dueDate, '2026-12-01');
      assert.equal(rows[0]!.status, 'open');
    });

    it("exports receipts; a caller limited to a bank gets only that bank's", async () => {
      const all = await get('/api/v1/receipts/export.csv');
      assert.equal(all.res.status, 200, all.text);
      assert.equal(all.res.headers.get('content-disposition'), 'attachment; filename="receipts-2026-02-28.csv"');
      const rows = records(all.text);
      assert.deepEqual(
        rows.map((r) => r.bankShortName),
        ['OPER', 'NORTH'],
      );
      assert.equal(rows[0]!.amount, '0.05');
      assert.equal(rows[0]!.receiptDate, '2026-02-27');
      // A check number typed as "-77" is text that a spreadsheet would calculate: neutralised.
      assert.equal(rows[0]!.payerCheckNumber, "'-77");
      const mine = await get('/api/v1/receipts/export.csv', limited);
      assert.equal(mine.res.status, 200, mine.text);
      assert.deepEqual(
        records(mine.text).map((r) => r.bankShortName),
        ['OPER'],
      );
      // The same grant limits one receipt and a customer's list: another bank's is not there.
      const north = rows.find((r) => r.bankShortName === 'NORTH')!;
      const oper = rows.find((r) => r.bankShortName === 'OPER')!;
      assert.equal((await api.get(`/api/v1/receipts/${north.receiptNumber}`)).status, 200);
      assert.equal((await limited.get(`/api/v1/receipts/${north.receiptNumber}`)).status, 404);
      assert.equal((await limited.get(`/api/v1/receipts/${oper.receiptNumber}`)).status, 200);
      for (const row of [north, oper]) {
        const list = await limited.get(`/api/v1/customers/${row.customerNumber}/receipts`);
        assert.equal(list.status, 200, JSON.stringify(list.body));
        const banks = (list.body as { data: { bankShortName: string }[] }).data.map((r) => r.bankShortName);
        assert.ok(
          banks.every((bank) => bank === 'OPER'),
          `${row.customerNumber}: ${banks}`,
        );
      }
    });

    it('exports payments (none yet: the header only) and refuses an unknown customer filter', async () => {
      const { res, text } = await get('/api/v1/payments/export.csv');
      assert.equal(res.status, 200, text);
      assert.equal(res.headers.get('content-disposition'), 'attachment; filename="payments-2026-02-28.csv"');
      assert.equal(
        text,
        'id,createdAt,customerNumber,type,channel,amount,currency,state,attempts,retryPlan,bankShortName,receiptNumber,failureCode,failureMessage\r\n',
      );
      const unknown = await api.get('/api/v1/payments/export.csv?customerNumber=999999');
      assert.equal(unknown.status, 404, JSON.stringify(unknown.body));
    });

    it('refuses every export without authentication (401)', async () => {
      for (const list of ['customers', 'invoices', 'receipts', 'payments']) {
        const res = await apiClient(url).get(`/api/v1/${list}/export.csv`);
        assert.equal(res.status, 401, list);
        assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
      }
    });

    it('reads in keyset pages: every row once, in order, across pages', async () => {
      const customerPages = await collect(exportCustomers(database.db, agency.actor, {}, 2));
      assert.deepEqual(
        customerPages.map((page) => page.map((c) => c.name)),
        [[tricky, formula], ['Plain Person']],
      );
      // A full last page ends with one more (empty) read, not a repeated row.
      const exact = await collect(exportCustomers(database.db, agency.actor, {}, 3));
      assert.deepEqual(
        exact.map((page) => page.length),
        [3],
      );
      const receiptPages = await collect(exportReceipts(database.db, agency.actor, {}, 1));
      assert.deepEqual(
        receiptPages.map((page) => page.map((r) => r.bankShortName)),
        [['OPER'], ['NORTH']],
      );
      const limitedPages = await collect(exportReceipts(database.db, limitedActor, {}, 1));
      assert.deepEqual(
        limitedPages.map((page) => page.map((r) => r.bankShortName)),
        [['OPER']],
      );
      const invoicePages = await collect(exportInvoices(database.db, agency.actor, 1));
      assert.equal(invoicePages.flat().length, 1);
    });
  });
}
