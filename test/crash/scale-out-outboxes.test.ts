import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { type Sandbox, startSandbox } from '../../src/payments/processors/sandbox/server.ts';
import { AmsDouble } from '../../src/sync/doubles/ams-double.ts';
import { amsDoubleMapping } from '../../src/sync/doubles/mappings.ts';
import { type AmsReceiptDouble, startAmsReceiptDouble } from '../support/doubles/ams360-receipt-double.ts';
import { apiClient } from '../support/http.ts';
import { startSmtpServer, type TestSmtpServer, waitFor } from '../support/mail.ts';
import {
  freePort,
  migrate,
  type PolicypayProcess,
  startPolicypayProcess,
} from '../support/processes/policypay-process.ts';
import { TEST_CONNECTOR_TIMING } from '../support/sync.ts';

const API_KEY = 'pp_test_scale_out_outboxes_key';
const EACH = 4;

// The scale-out topology: two API processes (`serve --no-workers`) and two worker processes on one
// PostgreSQL database. Whichever API process writes an outbox row (an e-mail, an AMS360 receipt
// export, a sync push), the workers send it, once. PGlite is one process's database, so this runs
// on PostgreSQL only.
describe('outboxes in the scale-out topology (2 API + 2 worker processes)', {
  skip: process.env.TEST_DATABASE_URL
    ? false
    : 'needs PostgreSQL (TEST_DATABASE_URL): several processes share the database',
}, () => {
  const adminUrl = process.env.TEST_DATABASE_URL!;
  const name = `policypay_scale_${randomBytes(5).toString('hex')}`;
  const processes: PolicypayProcess[] = [];
  let smtp: TestSmtpServer;
  let sandbox: Sandbox;
  let amsReceipts: AmsReceiptDouble;
  let ams: AmsDouble;
  let apis: ReturnType<typeof apiClient>[];
  let databaseUrl: string;

  const admin = async (text: string) => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      await client.query(text);
    } finally {
      await client.end();
    }
  };

  before(async () => {
    await admin(`CREATE DATABASE ${name}`);
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    databaseUrl = url.toString();
    smtp = await startSmtpServer();
    const secret = `whsec_scale_${randomBytes(8).toString('hex')}`;
    const ports = [await freePort(), await freePort()];
    sandbox = await startSandbox({
      port: 0,
      webhookSecret: secret,
      webhookUrl: `http://127.0.0.1:${ports[0]}/api/v1/webhooks/sandbox`,
    });
    amsReceipts = await startAmsReceiptDouble({});
    ams = new AmsDouble();
    await ams.start();
    const env = {
      DATABASE_URL: url.toString(),
      SMTP_URL: smtp.url,
      POLICYPAY_SANDBOX_URL: sandbox.url,
      POLICYPAY_SANDBOX_WEBHOOK_SECRET: secret,
      POLICYPAY_DEMO_API_KEY: API_KEY,
      HOST: '127.0.0.1',
      // Sweeps every few seconds, so that the test sees one pick up a row no job was sent for.
      SWEEP_CRON: '*/5 * * * * *',
    };
    // Migrated here first, so that the four processes can start at once; the first API process
    // loads the demo agency.
    await migrate(url.toString());
    const started = await Promise.allSettled([
      ...ports.map((port, i) =>
        startPolicypayProcess({
          args: ['serve', '--no-workers', '--port', String(port), ...(i > 0 ? ['--no-demo'] : [])],
          env: { ...env, POLICYPAY_PUBLIC_URL: `http://127.0.0.1:${port}` },
          ready: /policypay is ready/,
        }),
      ),
      startPolicypayProcess({ args: ['worker'], env, ready: /workers running/ }),
      startPolicypayProcess({ args: ['worker'], env, ready: /workers running/ }),
    ]);
    for (const result of started) if (result.status === 'fulfilled') processes.push(result.value);
    const failed = started.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    apis = ports.map((port) => apiClient(`http://127.0.0.1:${port}`, API_KEY));
  });
  after(async () => {
    for (const child of processes) await child.close();
    await smtp?.close();
    await sandbox?.close();
    await amsReceipts?.stop();
    await ams?.stop();
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  });

  it('sends every e-mail, AMS360 receipt and sync push written by either API process, once', async () => {
    const [first, second] = apis as [ReturnType<typeof apiClient>, ReturnType<typeof apiClient>];
    const connector = await first.put('/api/v1/connectors/ams360-receipts', {
      baseUrl: amsReceipts.url,
      sources: ['api'],
    });
    assert.equal(connector.status, 200, JSON.stringify(connector.body));
    const sync = await second.put('/api/v1/sync/connectors/ams', {
      kind: 'rest',
      mapping: amsDoubleMapping(ams.server.url, TEST_CONNECTOR_TIMING),
    });
    assert.equal(sync.status, 200, JSON.stringify(sync.body));
    // With an AMS synced, a receipt goes out only with the customer's AMS number (issue 16.5):
    // customer 1001 is pushed to the AMS first, so its receipts below are sent, not held.
    const linked = await first.post('/api/v1/customers/1001/sync', { systems: ['ams'] });
    assert.equal(linked.status, 202, JSON.stringify(linked.body));
    await waitFor(
      'customer 1001 linked to its AMS record',
      async () => {
        const view = await first.get('/api/v1/customers/1001/sync');
        return view.body.badges?.some(
          (b: { system: string; status: string }) => b.system === 'ams' && b.status === 'synced',
        );
      },
      90_000,
    );
    const contacts = await first.get('/api/v1/customers/1001/contacts');
    assert.equal(contacts.status, 200, JSON.stringify(contacts.body));
    const contactId = contacts.body.data[0].id as string;

    const notes: string[] = [];
    const references: string[] = [];
    const customers: string[] = [];
    for (let i = 0; i < EACH * 2; i++) {
      const api = i % 2 === 0 ? first : second;
      // An e-mail: the payment request's message to the contact.
      const note = `scale-out ${i}`;
      const requested = await api.post('/api/v1/payment-requests', {
        customerNumber: 1001,
        contactId,
        amount: 20 + i,
        dueDate: '2099-11-01',
        note,
      });
      assert.equal(requested.status, 201, JSON.stringify(requested.body));
      notes.push(note);
      // An AMS360 receipt export: a receipt posted through the API.
      const receipt = await api.post('/api/v1/receipt/customer', {
        customerNumber: 1001,
        invoiceInformations: [{ paymentAmount: 5 + i }],
        receiptAmount: 5 + i,
        receiptDate: '2026-11-20',
        receiptDateTimeZone: 'America/Chicago',
        bankShortName: 'OPER',
        paymentCheckType: 'H',
      });
      assert.equal(receipt.status, 201, JSON.stringify(receipt.body));
      references.push(`PP-${receipt.body.receiptNumber}`);
      // A sync push: a new customer sent to the AMS.
      const customerName = `Scale Out ${i} ${randomBytes(3).toString('hex')}`;
      const customer = await api.post('/api/v1/customers', { type: 'individual', name: customerName });
      assert.equal(customer.status, 201, JSON.stringify(customer.body));
      const push = await api.post(`/api/v1/customers/${customer.body.customerNumber}/sync`, { systems: ['ams'] });
      assert.equal(push.status, 202, JSON.stringify(push.body));
      customers.push(customerName);
    }

    const mailsWith = (note: string) =>
      smtp.messages.filter((m) => new RegExp(`Note: ${note}\\r?\\n`).test(m.decoded)).length;
    await waitFor('every e-mail', () => notes.every((note) => mailsWith(note) > 0), 60_000);
    await waitFor(
      'every receipt at the AMS',
      () => references.every((reference) => amsReceipts.countFor(reference) > 0),
      90_000,
    );
    const pushedNamed = (customerName: string) =>
      ams.customers.all().filter((record) => record.data.customerName === customerName).length;
    await waitFor('every customer at the AMS', () => customers.every((c) => pushedNamed(c) > 0), 90_000);

    // An e-mail row alone, as a process whose job was lost (or an older policypay) leaves it: a
    // worker's sweep sends it.
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    try {
      await db.query(
        `INSERT INTO emails (agency_id, kind, to_address, subject, text_body, html_body)
         SELECT id, 'test', 'orphan@example.com', 'Orphan', 'Note: orphan\n', '<p>orphan</p>' FROM agencies WHERE slug = 'demo'`,
      );
    } finally {
      await db.end();
    }
    await waitFor('the swept e-mail', () => smtp.messages.some((m) => m.subject === 'Orphan'), 120_000);

    for (const note of notes) assert.equal(mailsWith(note), 1, note);
    assert.equal(smtp.messages.filter((m) => m.subject === 'Orphan').length, 1);
    for (const reference of references) assert.equal(amsReceipts.countFor(reference), 1, reference);
    for (const customerName of customers) assert.equal(pushedNamed(customerName), 1, customerName);
    for (const child of processes) assert.ok(child.alive(), child.output());
  });
});
