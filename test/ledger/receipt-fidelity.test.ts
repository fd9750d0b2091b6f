import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import type { DatabaseHandle } from '../../src/platform/db/database.ts';
import type { App } from '../../src/platform/http/types.ts';
import { databaseTargets, openTestDatabase } from '../support/db.ts';
import { createTestAgency, type TestAgency } from '../support/fixtures.ts';
import { type ApiClient, apiClient } from '../support/http.ts';
import { assertResponsesMatchedDocument, buildTestApp } from '../support/openapi.ts';

// Issue 16 item 7: AMS360's POST /receipt/customer as its documentation (seed 001) writes it. The
// server's clock is fixed, so the receipt date window never depends on the day the test runs.
const NOW = new Date('2026-11-21T18:00:00Z');

for (const target of databaseTargets()) {
  describe(`AMS360 receipt fidelity (seed 001) on ${target}`, () => {
    let database: DatabaseHandle;
    let agency: TestAgency;
    let app: App;
    let api: ApiClient;
    let customer: number;
    let invoice: number;

    const receipts = async () =>
      Number(
        (
          await sql<{ n: bigint }>`SELECT count(*) AS n FROM receipts WHERE agency_id = ${agency.id}`.execute(
            database.db,
          )
        ).rows[0]!.n,
      );
    const camel = (overrides: Record<string, unknown> = {}) => ({
      customerNumber: customer,
      invoiceInformations: [{ paymentAmount: 10 }],
      receiptAmount: 10,
      receiptDate: '2026-11-21',
      receiptDateTimeZone: 'America/Chicago',
      bankShortName: 'OPER',
      paymentCheckType: 'A',
      ...overrides,
    });
    /** Posts what must be refused and checks the problem names the fields and nothing was written. */
    const refused = async (body: unknown, status: number, paths: string[], detail?: RegExp) => {
      const before = await receipts();
      const res = await api.post('/api/v1/receipt/customer', body);
      assert.equal(res.status, status, JSON.stringify(res.body));
      assert.match(res.headers.get('content-type') ?? '', /application\/problem\+json/);
      assert.deepEqual(
        res.body.errors.map((e: { path: string }) => e.path),
        paths,
        JSON.stringify(res.body),
      );
      if (detail) assert.match(res.body.detail, detail);
      assert.equal(await receipts(), before, 'nothing written');
      return res.body;
    };

    before(async () => {
      database = await openTestDatabase(target);
      agency = await createTestAgency(database.db, 'Fidelity Agency');
      app = await buildTestApp({ database, clock: () => NOW });
      api = apiClient(await app.listen({ port: 0, host: '127.0.0.1' }), agency.apiKey);
      assert.equal(
        (await api.post('/api/v1/banks', { shortName: 'OPER', name: 'Operating', division: 'Main' })).status,
        201,
      );
      customer = (await api.post('/api/v1/customers', { type: 'individual', name: 'Jane Smith' })).body.customerNumber;
      invoice = (await api.post('/api/v1/invoices', { customerNumber: customer, dueDate: '2026-12-01', amount: 500 }))
        .body.invoiceNumber;
    });
    after(async () => {
      await app?.close();
      await database?.close();
      if (app) assertResponsesMatchedDocument(app);
    });

    it('takes the fields spelled as AMS360 documents them (PascalCase), items included', async () => {
      const res = await api.post('/api/v1/receipt/customer', {
        CustomerNumber: customer,
        InvoiceInformations: [
          { InvoiceNumber: `${invoice}-1`, PaymentAmount: 40, InvoicePaymentDescription: 'May premium' },
          { PaymentAmount: 2.5 },
        ],
        ReceiptAmount: 42.5,
        ReceiptDate: '2026-11-20T10:15:00',
        ReceiptDateTimeZone: 'Central Standard Time',
        BankShortName: 'OPER',
        ReceiptDescription: 'Paid through the vendor',
        PaymentCheckType: 'Check',
        PayerBankAccountNumber: '000123456789',
        PayerCheckNumber: '1043',
      });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.equal(res.body.customerNumber, customer);
      assert.equal(res.body.receiptAmount, 42.5);
      assert.equal(res.body.receiptDate, '2026-11-20');
      assert.equal(res.body.receiptDateTimeZone, 'America/Chicago');
      assert.equal(res.body.receiptDescription, 'Paid through the vendor');
      assert.equal(res.body.paymentCheckType, 'Check');
      assert.equal(res.body.payerBankAccountLast4, '6789');
      assert.equal(res.body.payerCheckNumber, '1043');
      assert.deepEqual(
        res.body.applications.map((a: Record<string, unknown>) => [
          a.invoiceNumber,
          a.appliedAmount,
          a.onAccountAmount,
        ]),
        [
          [invoice, 40, 0],
          [null, 0, 2.5],
        ],
      );
      assert.equal(res.body.applications[0].invoicePaymentDescription, 'May premium');
      assert.equal((await api.get(`/api/v1/invoices/${invoice}`)).body.balance, 460);
    });

    it('takes the two spellings mixed across fields and items', async () => {
      const res = await api.post('/api/v1/receipt/customer', {
        CustomerNumber: customer,
        invoiceInformations: [{ InvoiceNumber: invoice, paymentAmount: 1 }],
        receiptAmount: 1,
        ReceiptDate: '2026-11-21',
        receiptDateTimeZone: 'America/Chicago',
        BankShortName: 'OPER',
        paymentCheckType: 'E',
      });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.equal(res.body.applications[0].invoiceNumber, invoice);
    });

    it('refuses a field sent in both spellings, naming both, at the top and in an item', async () => {
      await refused(camel({ ReceiptAmount: 10 }), 400, ['receiptAmount', 'ReceiptAmount'], /same field/);
      await refused(camel({ invoiceInformations: [{ paymentAmount: 10, PaymentAmount: 10 }] }), 400, [
        'invoiceInformations/0/paymentAmount',
        'invoiceInformations/0/PaymentAmount',
      ]);
    });

    it('still refuses a PascalCase name that is no field of the request', async () => {
      await refused({ ...camel(), CustomerName: 'Jane' }, 400, ['CustomerName'], /not a known field/);
    });

    it('accepts every Windows zone ID through the CLDR mapping: "SE Asia Standard Time" is Bangkok', async () => {
      const res = await api.post(
        '/api/v1/receipt/customer',
        camel({ receiptDate: '2026-11-20T18:30:00Z', receiptDateTimeZone: 'SE Asia Standard Time' }),
      );
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.equal(res.body.receiptDateTimeZone, 'Asia/Bangkok');
      // 18:30 UTC is 01:30 the next day in Bangkok (UTC+7): the date is Bangkok's.
      assert.equal(res.body.receiptDate, '2026-11-21');
    });

    it('reads EST as US Eastern time (New York, with daylight saving), not the fixed UTC−5 of Panama', async () => {
      // 04:30 UTC on 1 July is 00:30 in New York (EDT, UTC−4) but 23:30 the day before in Panama.
      const res = await api.post(
        '/api/v1/receipt/customer',
        camel({ receiptDate: '2026-07-01T04:30:00Z', receiptDateTimeZone: 'EST' }),
      );
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.equal(res.body.receiptDateTimeZone, 'America/New_York');
      assert.equal(res.body.receiptDate, '2026-07-01');
    });

    it('still refuses a zone nobody knows', async () => {
      await refused(camel({ receiptDateTimeZone: 'Mars Standard Time' }), 400, ['receiptDateTimeZone']);
    });

    it('generates an empty or blank item description and receipt description like missing ones', async () => {
      const res = await api.post(
        '/api/v1/receipt/customer',
        camel({
          invoiceInformations: [
            { invoiceNumber: invoice, paymentAmount: 6, invoicePaymentDescription: '' },
            { paymentAmount: 4, invoicePaymentDescription: '   ' },
          ],
          receiptDescription: '',
        }),
      );
      assert.equal(res.status, 201, JSON.stringify(res.body));
      const missing = await api.post(
        '/api/v1/receipt/customer',
        camel({ invoiceInformations: [{ invoiceNumber: invoice, paymentAmount: 6 }, { paymentAmount: 4 }] }),
      );
      assert.equal(missing.status, 201, JSON.stringify(missing.body));
      const descriptions = (r: typeof res) =>
        r.body.applications.map((a: { invoicePaymentDescription: string }) => a.invoicePaymentDescription);
      assert.deepEqual(descriptions(res), descriptions(missing));
      assert.ok(descriptions(res).every((d: string) => d.length > 0));
      assert.equal(res.body.receiptDescription, missing.body.receiptDescription);
      assert.ok(res.body.receiptDescription.length > 0);
    });

    it('ignores the check fields, whatever they hold, unless the type is Check', async () => {
      for (const type of ['A', 'CreditCard', 'D', 'EFT']) {
        const res = await api.post(
          '/api/v1/receipt/customer',
          camel({
            paymentCheckType: type,
            payerBankAccountNumber: { not: 'a string' },
            payerCheckNumber: 'x'.repeat(300),
          }),
        );
        assert.equal(res.status, 201, `${type}: ${JSON.stringify(res.body)}`);
        assert.equal(res.body.payerBankAccountLast4, null);
        assert.equal(res.body.payerCheckNumber, null);
      }
    });

    it('validates the check fields of a Check, naming the field', async () => {
      await refused(
        camel({ paymentCheckType: 'H', payerCheckNumber: '1'.repeat(21) }),
        400,
        ['payerCheckNumber'],
        /at most 20/,
      );
      await refused(camel({ paymentCheckType: 'Check', payerBankAccountNumber: ['1'] }), 400, [
        'payerBankAccountNumber',
      ]);
      const res = await api.post('/api/v1/receipt/customer', camel({ paymentCheckType: 'H', payerCheckNumber: 1043 }));
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.equal(res.body.payerCheckNumber, '1043');
    });

    it('refuses receipt dates more than 5 years back or 7 days ahead of today in the receipt zone', async () => {
      // Today is 2026-11-21 in Chicago: the window is 2021-11-21 … 2026-11-28.
      for (const date of ['2021-11-21', '2026-11-28']) {
        const res = await api.post('/api/v1/receipt/customer', camel({ receiptDate: date }));
        assert.equal(res.status, 201, `${date}: ${JSON.stringify(res.body)}`);
      }
      for (const date of ['2021-11-20', '2026-11-29', '1926-11-21', '2062-11-21']) {
        const body = await refused(camel({ receiptDate: date }), 400, ['receiptDate'], /outside the accepted window/);
        assert.match(body.errors[0].message, /between 2021-11-21 and 2026-11-28/);
      }
      // Today is measured in the receipt's zone: at 18:00 UTC it is already the 22nd in Tokyo.
      const tokyo = await api.post(
        '/api/v1/receipt/customer',
        camel({ receiptDate: '2026-11-29', receiptDateTimeZone: 'Tokyo Standard Time' }),
      );
      assert.equal(tokyo.status, 201, JSON.stringify(tokyo.body));
    });

    it("keeps each rule of AMS360's request in the PascalCase spelling too", async () => {
      const pascal = (overrides: Record<string, unknown> = {}) => ({
        CustomerNumber: customer,
        InvoiceInformations: [{ PaymentAmount: 5 }],
        ReceiptAmount: 5,
        ReceiptDate: '2026-11-21',
        ReceiptDateTimeZone: 'Central Standard Time',
        BankShortName: 'OPER',
        PaymentCheckType: 'D',
        ...overrides,
      });
      // "it must contain at least one item"
      await refused(pascal({ InvoiceInformations: [] }), 400, ['invoiceInformations']);
      // "the amount may not be zero or negative"; a paymentAmount "must be greater than zero"
      await refused(pascal({ ReceiptAmount: 0, InvoiceInformations: [{ PaymentAmount: 0 }] }), 400, [
        'invoiceInformations/0/paymentAmount',
        'receiptAmount',
      ]);
      await refused(pascal({ ReceiptAmount: -5 }), 400, ['receiptAmount']);
      // The customer number is the customer's: an unknown one is refused.
      await refused(pascal({ CustomerNumber: 999_999 }), 422, ['customerNumber']);
      // "If the invoice being paid has already been paid in full, the entire payment amount for the
      // invoice will be applied to On Account."
      const paidOff = (
        await api.post('/api/v1/invoices', { customerNumber: customer, dueDate: '2026-12-01', amount: 5 })
      ).body.invoiceNumber;
      const first = await api.post(
        '/api/v1/receipt/customer',
        pascal({ InvoiceInformations: [{ InvoiceNumber: paidOff, PaymentAmount: 5 }] }),
      );
      assert.equal(first.status, 201, JSON.stringify(first.body));
      const second = await api.post(
        '/api/v1/receipt/customer',
        pascal({ InvoiceInformations: [{ InvoiceNumber: `${paidOff}-2`, PaymentAmount: 5 }] }),
      );
      assert.equal(second.status, 201, JSON.stringify(second.body));
      assert.deepEqual(
        [second.body.applications[0].appliedAmount, second.body.applications[0].onAccountAmount],
        [0, 5],
      );
      assert.equal(second.body.paymentCheckType, 'DebitCard');
    });

    it('replays a PascalCase receipt sent again with its Idempotency-Key', async () => {
      const body = {
        CustomerNumber: customer,
        InvoiceInformations: [{ PaymentAmount: 3 }],
        ReceiptAmount: 3,
        ReceiptDate: '2026-11-21',
        ReceiptDateTimeZone: 'Eastern Standard Time',
        BankShortName: 'OPER',
        PaymentCheckType: 'R',
      };
      const first = await api.post('/api/v1/receipt/customer', body, { 'idempotency-key': 'pascal-1' });
      assert.equal(first.status, 201, JSON.stringify(first.body));
      const count = await receipts();
      const again = await api.post('/api/v1/receipt/customer', body, { 'idempotency-key': 'pascal-1' });
      assert.equal(again.status, 201);
      assert.equal(again.headers.get('idempotent-replayed'), 'true');
      assert.equal(again.body.receiptNumber, first.body.receiptNumber);
      assert.equal(await receipts(), count);
    });
  });
}
