import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { databaseTargets } from '../support/db.ts';
import { type ApiClient, apiClient } from '../support/http.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

for (const target of databaseTargets()) {
  describe(`POST /api/v1/receipt/customer on ${target}`, () => {
    let server: TestServer;
    let api: ApiClient;
    let customer: number;
    let other: number;

    const invoiceFor = async (customerNumber: number, amount: number) => {
      const res = await api.post('/api/v1/invoices', { customerNumber, dueDate: '2026-12-01', amount });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return res.body.invoiceNumber as number;
    };
    const balanceOf = async (invoiceNumber: number) =>
      (await api.get(`/api/v1/invoices/${invoiceNumber}`)).body.balance;
    const account = async (customerNumber: number) =>
      (await api.get(`/api/v1/customers/${customerNumber}/account`)).body;
    const entryLines = async (receiptId: string) =>
      (
        await sql<{ account: string; amount: bigint; invoice: number | null }>`
          SELECT l.account, l.amount_cents AS amount, i.invoice_number AS invoice
          FROM receipts r JOIN journal_lines l ON l.entry_id = r.journal_entry_id
          LEFT JOIN invoices i ON i.id = l.invoice_id
          WHERE r.id = ${receiptId} ORDER BY l.id`.execute(server.database.db)
      ).rows.map((r) => [r.account, Number(r.amount), r.invoice]);
    const counts = async () => {
      const row = await sql<{ receipts: bigint; lines: bigint; entries: bigint }>`
        SELECT (SELECT count(*) FROM receipts) AS receipts, (SELECT count(*) FROM journal_lines) AS lines,
               (SELECT count(*) FROM journal_entries) AS entries`.execute(server.database.db);
      return row.rows[0];
    };
    const receipt = (overrides: Record<string, unknown> = {}) => ({
      customerNumber: customer,
      invoiceInformations: [{ paymentAmount: 10 }],
      receiptAmount: 10,
      receiptDate: '2026-11-21',
      receiptDateTimeZone: 'America/Chicago',
      bankShortName: 'OPER',
      paymentCheckType: 'H',
      ...overrides,
    });

    before(async () => {
      server = await startTestServer({ target, web: false });
      api = apiClient(server.url, server.agency.apiKey);
      await api.post('/api/v1/banks', { shortName: 'OPER', name: 'Operating', division: 'Main' });
      await api.post('/api/v1/banks', { shortName: 'NORTH', name: 'North Deposits', division: 'North' });
      customer = (await api.post('/api/v1/customers', { type: 'individual', name: 'Jane Smith' })).body.customerNumber;
      other = (await api.post('/api/v1/customers', { type: 'individual', name: 'Other Person' })).body.customerNumber;
    });
    after(async () => server.close());

    it('applies a check to two invoices with one journal entry and logs an activity', async () => {
      const a = await invoiceFor(customer, 100);
      const b = await invoiceFor(customer, 50.5);
      const res = await api.post(
        '/api/v1/receipt/customer',
        receipt({
          invoiceInformations: [
            { invoiceNumber: a, paymentAmount: 100 },
            { invoiceNumber: `${b}-1`, paymentAmount: 20.25, invoicePaymentDescription: 'partial' },
          ],
          receiptAmount: 120.25,
          payerCheckNumber: '1043',
          payerBankAccountNumber: '000123456789',
        }),
      );
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.equal(res.body.paymentCheckType, 'Check');
      assert.equal(res.body.receiptDescription, 'Check #1043 from Jane Smith');
      assert.equal(res.body.payerBankAccountLast4, '6789');
      assert.equal(res.body.payerCheckNumber, '1043');
      assert.equal(res.body.onAccountAmount, 0);
      assert.deepEqual(
        res.body.applications.map((x: any) => [x.invoiceNumber, x.appliedAmount, x.invoicePaymentDescription]),
        [
          [a, 100, `Payment on invoice ${a}`],
          [b, 20.25, 'partial'],
        ],
      );
      assert.equal(await balanceOf(a), 0);
      assert.equal(await balanceOf(b), 30.25);
      assert.deepEqual(await entryLines(res.body.receiptId), [
        ['cash', 12025, null],
        ['accounts_receivable', -10000, a],
        ['accounts_receivable', -2025, b],
      ]);
      const activities = await sql<{
        summary: string;
      }>`SELECT summary FROM activities WHERE kind = 'receipt_posted'`.execute(server.database.db);
      assert.ok(activities.rows.some((r) => r.summary.includes(`Receipt ${res.body.receiptNumber}: $120.25 by Check`)));
      const read = await api.get(`/api/v1/receipts/${res.body.receiptNumber}`);
      assert.deepEqual(read.body, res.body);
    });

    it('sends an excess and an invoice-less item On Account, saying so', async () => {
      const c = await invoiceFor(customer, 40);
      const before = (await account(customer)).onAccount;
      const res = await api.post(
        '/api/v1/receipt/customer',
        receipt({
          invoiceInformations: [{ invoiceNumber: c, paymentAmount: 55 }, { paymentAmount: 5 }],
          receiptAmount: 60,
          paymentCheckType: 'creditcard',
        }),
      );
      assert.equal(res.status, 201);
      assert.equal(res.body.onAccountAmount, 20);
      assert.equal(res.body.applications[0].appliedAmount, 40);
      assert.equal(res.body.applications[0].onAccountAmount, 15);
      assert.match(res.body.applications[0].note, /\$15\.00 went On Account/);
      assert.equal(res.body.applications[1].invoiceNumber, null);
      assert.equal(res.body.receiptDescription, `Credit card payment for invoice ${c}`);
      assert.equal(res.body.payerCheckNumber, null);
      assert.equal(await balanceOf(c), 0);
      assert.equal((await account(customer)).onAccount, before + 20);
      assert.deepEqual(await entryLines(res.body.receiptId), [
        ['cash', 6000, null],
        ['accounts_receivable', -4000, c],
        ['on_account', -2000, null],
      ]);
    });

    it('puts a payment on an already paid invoice On Account, and applies two items for one invoice in order', async () => {
      const d = await invoiceFor(customer, 30);
      const res = await api.post(
        '/api/v1/receipt/customer',
        receipt({
          invoiceInformations: [
            { invoiceNumber: d, paymentAmount: 20 },
            { invoiceNumber: d, paymentAmount: 20 },
          ],
          receiptAmount: 40,
          paymentCheckType: 'Cash',
          payerCheckNumber: '999',
        }),
      );
      assert.deepEqual(
        res.body.applications.map((x: any) => [x.appliedAmount, x.onAccountAmount]),
        [
          [20, 0],
          [10, 10],
        ],
      );
      assert.equal(res.body.payerCheckNumber, null, 'check details are ignored for cash');
      const paid = await api.post(
        '/api/v1/receipt/customer',
        receipt({ invoiceInformations: [{ invoiceNumber: d, paymentAmount: 7 }], receiptAmount: 7 }),
      );
      assert.equal(paid.body.applications[0].appliedAmount, 0);
      assert.equal(paid.body.onAccountAmount, 7);
      assert.match(paid.body.applications[0].note, /already paid in full/);
    });

    it('truncates receipt dates in the request time zone and stores the IANA name', async () => {
      const res = await api.post(
        '/api/v1/receipt/customer',
        receipt({ receiptDate: '2026-11-21T03:30:00Z', receiptDateTimeZone: 'Central Standard Time' }),
      );
      assert.equal(res.body.receiptDate, '2026-11-20');
      assert.equal(res.body.receiptDateTimeZone, 'America/Chicago');
      const local = await api.post('/api/v1/receipt/customer', receipt({ receiptDate: '2026-11-21T23:59:00' }));
      assert.equal(local.body.receiptDate, '2026-11-21');
    });

    it('refuses bad input with the documented status, naming the field, and writes nothing', async () => {
      const e = await invoiceFor(other, 10);
      const cases: [string, Record<string, unknown>, number, string][] = [
        ['missing customerNumber', { customerNumber: undefined }, 400, 'customerNumber'],
        ['empty invoiceInformations', { invoiceInformations: [] }, 400, 'invoiceInformations'],
        [
          'zero amount',
          { invoiceInformations: [{ paymentAmount: 0 }], receiptAmount: 0 },
          400,
          'invoiceInformations/0/paymentAmount',
        ],
        [
          'negative amount',
          { invoiceInformations: [{ paymentAmount: -5 }], receiptAmount: -5 },
          400,
          'invoiceInformations/0/paymentAmount',
        ],
        [
          'three decimals',
          { invoiceInformations: [{ paymentAmount: 10.005 }], receiptAmount: 10.005 },
          400,
          'receiptAmount',
        ],
        ['sum mismatch', { receiptAmount: 10.01 }, 422, 'receiptAmount'],
        ['unknown type', { paymentCheckType: 'Bitcoin' }, 400, 'paymentCheckType'],
        ['unknown bank', { bankShortName: 'NOPE' }, 422, 'bankShortName'],
        [
          'invoice of another customer',
          { invoiceInformations: [{ invoiceNumber: e, paymentAmount: 10 }] },
          422,
          'invoiceInformations/0/invoiceNumber',
        ],
        [
          'unknown invoice',
          { invoiceInformations: [{ invoiceNumber: 999999, paymentAmount: 10 }] },
          422,
          'invoiceInformations/0/invoiceNumber',
        ],
        [
          'malformed invoice number',
          { invoiceInformations: [{ invoiceNumber: '12x', paymentAmount: 10 }] },
          400,
          'invoiceInformations/0/invoiceNumber',
        ],
        ['malformed date', { receiptDate: '11/21/2026' }, 400, 'receiptDate'],
        ['unknown zone', { receiptDateTimeZone: 'Mars Standard Time' }, 400, 'receiptDateTimeZone'],
        ['unknown customer', { customerNumber: 424242 }, 422, 'customerNumber'],
        ['unknown field', { tip: 5 }, 400, 'tip'],
      ];
      const before = await counts();
      for (const [name, overrides, status, path] of cases) {
        const res = await api.post('/api/v1/receipt/customer', receipt(overrides));
        assert.equal(res.status, status, `${name}: ${JSON.stringify(res.body)}`);
        assert.match(res.headers.get('content-type') ?? '', /problem\+json/, name);
        assert.ok(
          res.body.errors.some((x: { path: string }) => x.path === path),
          `${name}: ${JSON.stringify(res.body.errors)}`,
        );
      }
      const mismatch = await api.post('/api/v1/receipt/customer', receipt({ receiptAmount: 10.01 }));
      assert.match(mismatch.body.detail, /\$10\.01.*\$10\.00/);
      assert.deepEqual(await counts(), before);
    });

    it('limits a key with a bank list to those banks and their divisions (403), whatever its role', async () => {
      const key = await api.post('/api/v1/api-keys', { name: 'lockbox', role: 'staff', banks: ['OPER'] });
      const limited = apiClient(server.url, key.body.key);
      const ok = await limited.post('/api/v1/receipt/customer', receipt());
      assert.equal(ok.status, 201);
      const denied = await limited.post('/api/v1/receipt/customer', receipt({ bankShortName: 'NORTH' }));
      assert.equal(denied.status, 403);
      assert.equal(denied.body.errors[0].path, 'bankShortName');
      // Moving a bank into a division the key was not granted takes the access away.
      await sql`UPDATE banks SET division_id = (SELECT division_id FROM banks WHERE short_name = 'NORTH')
        WHERE short_name = 'OPER'`.execute(server.database.db);
      const moved = await limited.post('/api/v1/receipt/customer', receipt());
      assert.equal(moved.status, 403, JSON.stringify(moved.body));
      assert.match(moved.body.detail, /division/);
      await sql`UPDATE banks SET division_id = (SELECT id FROM bank_divisions WHERE name = 'Main')
        WHERE short_name = 'OPER'`.execute(server.database.db);
    });

    it('creates one receipt when a POST is replayed with the same Idempotency-Key', async () => {
      const before = await counts();
      const body = receipt({ receiptDescription: 'lockbox batch 77' });
      const first = await api.post('/api/v1/receipt/customer', body, { 'idempotency-key': 'lockbox-77' });
      const second = await api.post('/api/v1/receipt/customer', body, { 'idempotency-key': 'lockbox-77' });
      assert.equal(first.status, 201);
      assert.equal(second.headers.get('idempotent-replayed'), 'true');
      assert.equal(second.body.receiptNumber, first.body.receiptNumber);
      const after = await counts();
      assert.equal(after!.receipts, before!.receipts + 1n);
    });

    it('reverses a receipt once: invoices reopen, On Account shrinks, the receipt shows reversed', async () => {
      const f = await invoiceFor(customer, 80);
      const accountBefore = await account(customer);
      const posted = await api.post(
        '/api/v1/receipt/customer',
        receipt({ invoiceInformations: [{ invoiceNumber: f, paymentAmount: 90 }], receiptAmount: 90 }),
      );
      assert.equal(await balanceOf(f), 0);
      const reversed = await api.post(`/api/v1/receipts/${posted.body.receiptNumber}/reversal`, {
        reason: 'entered_in_error',
        note: 'wrong customer',
      });
      assert.equal(reversed.status, 200, JSON.stringify(reversed.body));
      assert.equal(reversed.body.status, 'reversed');
      assert.equal(reversed.body.reversal.reason, 'entered_in_error');
      assert.equal(await balanceOf(f), 80);
      const accountAfter = await account(customer);
      assert.equal(accountAfter.onAccount, accountBefore.onAccount);
      assert.equal(accountAfter.arBalance, accountBefore.arBalance);
      const lines = await sql<{ account: string; amount: bigint }>`
        SELECT l.account, l.amount_cents AS amount FROM journal_entries e JOIN journal_lines l ON l.entry_id = e.id
        WHERE e.kind = 'receipt_reversal' AND e.source_id = ${posted.body.receiptId} ORDER BY l.id`.execute(
        server.database.db,
      );
      assert.deepEqual(
        lines.rows.map((r) => [r.account, Number(r.amount)]),
        [
          ['cash', -9000],
          ['accounts_receivable', 8000],
          ['on_account', 1000],
        ],
      );
      const again = await api.post(`/api/v1/receipts/${posted.body.receiptNumber}/reversal`, { reason: 'nsf' });
      assert.equal(again.status, 409);
      assert.equal((await api.post('/api/v1/receipts/999999/reversal', { reason: 'nsf' })).status, 404);
    });

    it('on NSF logs an activity and bills the agency NSF fee when set', async () => {
      const patched = await api.patch('/api/v1/settings/payments', { nsfFee: 25 });
      assert.equal(patched.status, 200, JSON.stringify(patched.body));
      const g = await invoiceFor(customer, 60);
      const posted = await api.post(
        '/api/v1/receipt/customer',
        receipt({
          invoiceInformations: [{ invoiceNumber: g, paymentAmount: 60 }],
          receiptAmount: 60,
          paymentCheckType: 'E',
        }),
      );
      const reversed = await api.post(`/api/v1/receipts/${posted.body.receiptNumber}/reversal`, { reason: 'nsf' });
      assert.equal(reversed.status, 200);
      const feeNumber = reversed.body.reversal.feeInvoiceNumber;
      assert.ok(feeNumber);
      const fee = await api.get(`/api/v1/invoices/${feeNumber}`);
      assert.equal(fee.body.amount, 25);
      assert.equal(fee.body.customerNumber, customer);
      assert.equal(await balanceOf(g), 60);
      const activity = await sql<{
        summary: string;
      }>`SELECT summary FROM activities WHERE kind = 'receipt_reversed_nsf'`.execute(server.database.db);
      assert.match(activity.rows[0]!.summary, /returned NSF: \$60\.00 reversed; NSF fee \$25\.00 billed/);
      await api.patch('/api/v1/settings/payments', { nsfFee: null });
    });

    it('applies On Account credit to an open invoice without new cash', async () => {
      const customerNumber = (await api.post('/api/v1/customers', { type: 'group', name: 'Credit Co' })).body
        .customerNumber;
      const h = await invoiceFor(customerNumber, 70);
      await api.post(
        '/api/v1/receipt/customer',
        receipt({ customerNumber, receiptAmount: 50, invoiceInformations: [{ paymentAmount: 50 }] }),
      );
      const tooMuch = await api.post(`/api/v1/customers/${customerNumber}/on-account/apply`, {
        invoiceNumber: h,
        amount: 60,
      });
      assert.equal(tooMuch.status, 422);
      assert.equal(tooMuch.body.errors[0].path, 'amount');
      const applied = await api.post(`/api/v1/customers/${customerNumber}/on-account/apply`, {
        invoiceNumber: h,
        amount: 45,
      });
      assert.equal(applied.status, 201, JSON.stringify(applied.body));
      assert.deepEqual(applied.body, {
        customerNumber,
        invoiceNumber: h,
        appliedAmount: 45,
        invoiceBalance: 25,
        onAccount: 5,
      });
      const acct = await account(customerNumber);
      assert.equal(acct.onAccount, 5);
      assert.equal(acct.arBalance, 25);
      const wrong = await api.post(`/api/v1/customers/${customerNumber}/on-account/apply`, {
        invoiceNumber: server.seeded.invoiceNumber,
        amount: 1,
      });
      assert.equal(wrong.status, 422);
      assert.equal(wrong.body.errors[0].path, 'invoiceNumber');
    });

    it('never applies more than the balance when two receipts for one invoice arrive at once', async () => {
      const i = await invoiceFor(customer, 100);
      const results = await Promise.all(
        Array.from({ length: 6 }, () =>
          api.post(
            '/api/v1/receipt/customer',
            receipt({ invoiceInformations: [{ invoiceNumber: i, paymentAmount: 60 }], receiptAmount: 60 }),
          ),
        ),
      );
      assert.ok(results.every((r) => r.status === 201));
      const applied = results.reduce((t, r) => t + r.body.applications[0].appliedAmount, 0);
      const onAccount = results.reduce((t, r) => t + r.body.onAccountAmount, 0);
      assert.equal(applied, 100);
      assert.equal(onAccount, 260);
      assert.equal(await balanceOf(i), 0);
    });

    it('lists a customer’s receipts and lets agents post but not reverse', async () => {
      const list = await api.get(`/api/v1/customers/${customer}/receipts`);
      assert.ok(list.body.data.length >= 5);
      assert.ok(list.body.data[0].receiptNumber > list.body.data[1].receiptNumber);
      const key = await api.post('/api/v1/api-keys', { name: 'agent', role: 'agent' });
      const agent = apiClient(server.url, key.body.key);
      const posted = await agent.post('/api/v1/receipt/customer', receipt());
      assert.equal(posted.status, 201);
      assert.equal(
        (await agent.post(`/api/v1/receipts/${posted.body.receiptNumber}/reversal`, { reason: 'nsf' })).status,
        403,
      );
    });
  });
}
