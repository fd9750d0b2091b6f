// GET /api/v1/reports/*: AR aging (from the invoice balances the database keeps), collections per
// day, the daily deposit report, on both databases, with a fixed clock; the CSV of each; access.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import type { CalendarDate } from '../../src/kernel/calendar.ts';
import type { DatabaseHandle } from '../../src/platform/db/database.ts';
import type { App } from '../../src/platform/http/types.ts';
import { arAging, customerRows as arCustomerRows, foldAgingDeltas } from '../../src/reports/aging.ts';
import { addAging, agingTotal } from '../../src/reports/rules/aging.ts';
import { databaseTargets, openTestDatabase } from '../support/db.ts';
import { createTestAgency, type TestAgency } from '../support/fixtures.ts';
import { type ApiClient, apiClient } from '../support/http.ts';
import { assertResponsesMatchedDocument, buildTestApp } from '../support/openapi.ts';

// The invoices are billed on 20 February 2026; the receipts come in March, and the reports are
// read on 10 March (the agency is in America/Chicago).
const BILLED = new Date('2026-02-20T15:00:00Z');
const NOW = new Date('2026-03-10T15:00:00Z');

for (const target of databaseTargets()) {
  describe(`reports on ${target}`, () => {
    let database: DatabaseHandle;
    let app: App;
    let agency: TestAgency;
    let now = BILLED;
    let api: ApiClient;
    let limited: ApiClient;
    let other: ApiClient;
    const customers: number[] = [];
    const invoices: Record<string, number> = {};
    const receipts: number[] = [];

    before(async () => {
      database = await openTestDatabase(target);
      agency = await createTestAgency(database.db, 'Harbor Insurance Agency');
      const foreign = await createTestAgency(database.db, 'Other Agency');
      app = await buildTestApp({ database, clock: () => now });
      const url = await app.listen({ port: 0, host: '127.0.0.1' });
      api = apiClient(url, agency.apiKey);
      other = apiClient(url, foreign.apiKey);
      for (const [shortName, division] of [
        ['OPER', 'Main'],
        ['NORTH', 'North'],
      ]) {
        assert.equal((await api.post('/api/v1/banks', { shortName, name: `${shortName} Bank`, division })).status, 201);
      }
      for (const name of ['Ann Able', 'Bob Baker', 'Cy Paid']) {
        const res = await api.post('/api/v1/customers', { type: 'individual', name });
        assert.equal(res.status, 201, JSON.stringify(res.body));
        customers.push(res.body.customerNumber);
      }
      // On 10 March: current (due later, and due today), 9, 68, 37 and 129 days past due.
      const bills: [string, number, string, number][] = [
        ['annCurrent', 0, '2026-03-20', 100],
        ['annToday', 0, '2026-03-10', 0.01],
        ['ann9', 0, '2026-03-01', 50],
        ['ann68', 0, '2026-01-01', 30],
        ['bob37', 1, '2026-02-01', 40],
        ['bob129', 1, '2025-11-01', 500],
        ['cyPaid', 2, '2026-02-15', 75],
      ];
      for (const [key, customer, dueDate, amount] of bills) {
        const res = await api.post('/api/v1/invoices', { customerNumber: customers[customer], dueDate, amount });
        assert.equal(res.status, 201, JSON.stringify(res.body));
        invoices[key] = res.body.invoiceNumber;
      }
      now = NOW;
      // Receipts: part of Ann's 9-day invoice on 2 March (OPER, check), Bob's 90+ in part on
      // 8 March (NORTH, cash), Cy's in full on 9 March (OPER, EFT), and one reversed (NSF).
      const posts: [number, number | null, number, string, string, string][] = [
        [0, invoices.ann9!, 20, '2026-03-02', 'OPER', 'H'],
        [1, invoices.bob129!, 125.5, '2026-03-08', 'NORTH', 'A'],
        [2, invoices.cyPaid!, 75, '2026-03-09', 'OPER', 'E'],
        [0, null, 10, '2026-03-09', 'NORTH', 'A'],
      ];
      for (const [customer, invoiceNumber, amount, date, bank, type] of posts) {
        const res = await api.post('/api/v1/receipt/customer', {
          customerNumber: customers[customer],
          invoiceInformations: [{ invoiceNumber, paymentAmount: amount }],
          receiptAmount: amount,
          receiptDate: date,
          receiptDateTimeZone: 'America/Chicago',
          bankShortName: bank,
          paymentCheckType: type,
          ...(type === 'H' ? { payerCheckNumber: '1001' } : {}),
        });
        assert.equal(res.status, 201, JSON.stringify(res.body));
        receipts.push(res.body.receiptNumber);
      }
      const reversal = await api.post(`/api/v1/receipts/${receipts[3]}/reversal`, { reason: 'nsf' });
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

    const get = async (path: string, client = api) => {
      const res = await client.get(path);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body;
    };
    const csv = async (url: string) => {
      const res = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${agency.apiKey}` } });
      assert.equal(res.statusCode, 200, res.body);
      assert.match(String(res.headers['content-type']), /^text\/csv/);
      return res.body
        .trim()
        .split('\r\n')
        .map((line) => line.split(','));
    };

    it('keeps each invoice balance equal to the sum of its ledger lines', async () => {
      const rows = await sql<{ invoice_id: string; kept: string; ledger: string }>`
        SELECT b.invoice_id, b.balance_cents::text AS kept, sum(l.amount_cents)::text AS ledger
          FROM invoice_balances b
          JOIN journal_lines l ON l.invoice_id = b.invoice_id AND l.account = 'accounts_receivable'
         GROUP BY b.invoice_id, b.balance_cents`.execute(database.db);
      assert.ok(rows.rows.length >= 7);
      for (const row of rows.rows) assert.equal(row.kept, row.ledger, row.invoice_id);
    });

    it('ages open balances by days past due on the agency today, in total and by customer, most owed first', async () => {
      const report = await get('/api/v1/reports/ar-aging');
      assert.equal(report.asOf, '2026-03-10');
      assert.deepEqual(report.totals, {
        current: 100.01,
        '1-30': 30,
        '31-60': 40,
        '61-90': 30,
        '90+': 374.5,
        total: 574.51,
      });
      assert.equal(report.customerCount, 2);
      assert.deepEqual(
        report.customers.map((c: { customerNumber: number; total: number }) => [c.customerNumber, c.total]),
        [
          [customers[1], 414.5],
          [customers[0], 160.01],
        ],
      );
      assert.equal(report.customers[1].customerName, 'Ann Able');
      const top = await get('/api/v1/reports/ar-aging?limit=1');
      assert.equal(top.customers.length, 1);
      assert.equal(top.customerCount, 2);
    });

    it('ages as of an earlier date: receipts dated after it are taken back', async () => {
      // On 5 March: Bob's receipt (8 March) and Cy's (9 March) had not come in, and each invoice
      // was 5 days less past due (Ann's 68-day one was 63, Bob's 37-day one 32).
      const report = await get('/api/v1/reports/ar-aging?asOf=2026-03-05');
      assert.deepEqual(report.totals, {
        current: 100.01,
        '1-30': 30 + 75,
        '31-60': 40,
        '61-90': 30,
        '90+': 500,
        total: 775.01,
      });
      assert.equal(report.customerCount, 3);
      // Before the invoices were billed, nobody owed anything.
      const before = await get('/api/v1/reports/ar-aging?asOf=2026-02-19');
      assert.deepEqual([before.totals.total, before.customerCount], [0, 0]);
    });

    it('reads the page from summaries as the CSV reads every invoice, on every date, before and after the deltas are folded', async () => {
      // The page's top customers come from customer_ar_balances (with those changed after the date
      // read wherever they stand); the CSV adds up every open invoice. Limit 1 makes a customer
      // whose balance changed after the date the one to displace or be displaced.
      const dates = ['2026-02-19', '2026-03-01', '2026-03-02', '2026-03-05', '2026-03-08', '2026-03-09', '2026-03-10'];
      const pages = async () => {
        const seen: unknown[] = [];
        for (const asOf of dates) {
          const everyone = (await arCustomerRows(database.db, agency.actor.agencyId, asOf as CalendarDate))
            .map((c) => ({ number: c.customerNumber, total: agingTotal(c.amounts), amounts: c.amounts }))
            .sort((a, b) => (a.total === b.total ? a.number - b.number : a.total < b.total ? 1 : -1));
          for (const limit of [1, 2, 3]) {
            const report = await arAging(database.db, agency.actor, asOf as CalendarDate, limit);
            assert.equal(report.customerCount, everyone.length, `${asOf} count`);
            assert.deepEqual(
              report.customers.map((c) => ({
                number: c.customerNumber,
                total: agingTotal(c.amounts),
                amounts: c.amounts,
              })),
              everyone.slice(0, limit),
              `${asOf} top ${limit}`,
            );
            assert.deepEqual(report.totals, addAging(everyone.map((c) => c.amounts)), `${asOf} totals`);
            seen.push(report);
          }
        }
        return seen;
      };
      const before = await pages();
      assert.ok((await foldAgingDeltas(database.db)).folded > 0, 'the receipts left deltas to fold');
      assert.equal((await foldAgingDeltas(database.db)).folded, 0, 'a second fold finds none');
      assert.deepEqual(await pages(), before);
    });

    it('exports AR aging as CSV, every customer by number and a total row', async () => {
      const rows = await csv('/api/v1/reports/ar-aging/export.csv?asOf=2026-03-10');
      assert.deepEqual(rows[0], [
        'customerNumber',
        'customerName',
        'current',
        '1-30',
        '31-60',
        '61-90',
        '90+',
        'total',
      ]);
      assert.deepEqual(rows.slice(1), [
        [String(customers[0]), 'Ann Able', '100.01', '30.00', '0.00', '30.00', '0.00', '160.01'],
        [String(customers[1]), 'Bob Baker', '0.00', '0.00', '40.00', '0.00', '374.50', '414.50'],
        ['TOTAL', '', '100.01', '30.00', '40.00', '30.00', '374.50', '574.51'],
      ]);
    });

    it('adds collections per day by channel and method, leaving the reversed receipt out', async () => {
      const report = await get('/api/v1/reports/collections?from=2026-03-01&to=2026-03-10');
      assert.equal(report.days.length, 10);
      const day = (date: string) => report.days.find((d: { date: string }) => d.date === date);
      assert.deepEqual(day('2026-03-02'), {
        date: '2026-03-02',
        count: 1,
        total: 20,
        byChannel: { agent_sweep: 0, secure_checkout: 0, autopay: 0, manual: 20 },
        byMethod: { Cash: 0, Check: 20, EFT: 0 },
      });
      assert.equal(day('2026-03-09').total, 75);
      assert.deepEqual(report.totals.byMethod, { Cash: 125.5, Check: 20, EFT: 75 });
      assert.equal(report.totals.total, 220.5);
      assert.equal(report.totals.count, 3);
      const north = await get('/api/v1/reports/collections?from=2026-03-01&to=2026-03-10', limited);
      assert.equal(north.totals.total, 125.5);
      const rows = await csv('/api/v1/reports/collections/export.csv?from=2026-03-01&to=2026-03-10');
      assert.equal(rows.length, 1 + 10 + 1);
      assert.deepEqual(rows.at(-1)!.slice(0, 3), ['TOTAL', '3', '220.50']);
      // The default range: the 30 days ending the agency's today.
      const recent = await get('/api/v1/reports/collections');
      assert.deepEqual([recent.from, recent.to], ['2026-02-09', '2026-03-10']);
    });

    it('lists the deposits per bank and day with their totals; a bank-limited caller sees its bank only', async () => {
      const report = await get('/api/v1/reports/deposits?from=2026-03-01&to=2026-03-10');
      assert.equal(report.total, 230.5);
      assert.deepEqual(
        report.banks.map((b: { bankShortName: string; total: number; days: { date: string; total: number }[] }) => [
          b.bankShortName,
          b.total,
          b.days.map((d) => [d.date, d.total]),
        ]),
        [
          [
            'NORTH',
            135.5,
            [
              ['2026-03-08', 125.5],
              ['2026-03-09', 10],
            ],
          ],
          [
            'OPER',
            95,
            [
              ['2026-03-02', 20],
              ['2026-03-09', 75],
            ],
          ],
        ],
      );
      const nsf = report.banks[0].days[1].receipts[0];
      assert.deepEqual([nsf.receiptNumber, nsf.status, nsf.customerName], [receipts[3], 'reversed', 'Ann Able']);
      assert.equal(report.banks[1].days[0].receipts[0].payerCheckNumber, '1001');

      const north = await get('/api/v1/reports/deposits?from=2026-03-01&to=2026-03-10', limited);
      assert.deepEqual(
        north.banks.map((b: { bankShortName: string }) => b.bankShortName),
        ['NORTH'],
      );
      const onlyOper = await get('/api/v1/reports/deposits?from=2026-03-01&to=2026-03-10&bankShortName=OPER');
      assert.equal(onlyOper.total, 95);
      // By default, today's deposits: none on 10 March.
      assert.deepEqual(await get('/api/v1/reports/deposits'), {
        from: '2026-03-10',
        to: '2026-03-10',
        count: 0,
        total: 0,
        banks: [],
      });

      const rows = await csv('/api/v1/reports/deposits/export.csv?from=2026-03-01&to=2026-03-10&bankShortName=OPER');
      assert.deepEqual(
        rows.slice(1).map((r) => [r[2], r[3], r[4], r[10]]),
        [
          ['2026-03-02', 'receipt', String(receipts[0]), '20.00'],
          ['2026-03-02', 'day total', '', '20.00'],
          ['2026-03-09', 'receipt', String(receipts[2]), '75.00'],
          ['2026-03-09', 'day total', '', '75.00'],
          ['', 'bank total', '', '95.00'],
        ],
      );
    });

    it('names a bad range, and shows another agency nothing', async () => {
      const backwards = await api.get('/api/v1/reports/collections?from=2026-03-10&to=2026-03-01');
      assert.equal(backwards.status, 400, JSON.stringify(backwards.body));
      assert.deepEqual(
        backwards.body.errors.map((e: { path: string }) => e.path),
        ['querystring/from'],
      );
      const tooLong = await api.get('/api/v1/reports/deposits?from=2026-01-01&to=2026-03-10');
      assert.equal(tooLong.status, 400, JSON.stringify(tooLong.body));
      const badDate = await api.get('/api/v1/reports/ar-aging?asOf=2026-02-30');
      assert.equal(badDate.status, 400, JSON.stringify(badDate.body));
      const theirs = await get('/api/v1/reports/ar-aging', other);
      assert.equal(theirs.customerCount, 0);
      assert.equal((await get('/api/v1/reports/deposits?from=2026-03-01&to=2026-03-10', other)).count, 0);
    });
  });
}
