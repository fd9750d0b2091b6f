import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createBank } from '../../../src/agency/banks.ts';
import { sendDueAmsReceipts } from '../../../src/sync/ams360-receipts/sender.ts';
import { amsDoubleMapping } from '../../../src/sync/doubles/mappings.ts';
import { databaseTargets } from '../../support/db.ts';
import { startAmsReceiptDouble } from '../../support/doubles/ams360-receipt-double.ts';
import {
  eventually,
  pushesSettled,
  type SyncAgency,
  type SyncWorld,
  startSyncWorld,
  syncAgency,
  TEST_CONNECTOR_TIMING,
} from '../../support/sync.ts';

// Issue 16 item 5: receipts written back to the AMS carry the AMS's numbers (seed 001's write-back
// with seed 004's cross-reference); without them a receipt waits, with its reason, and is never guessed.
for (const target of databaseTargets()) {
  describe(`AMS360 receipts carry the AMS's numbers on ${target}`, () => {
    let world: SyncWorld;
    before(async () => {
      world = await startSyncWorld(target);
    });
    after(async () => world.close());

    async function setUp(s: SyncAgency) {
      const receiptsAms = await startAmsReceiptDouble();
      await createBank(world.server.database.db, s.agency.actor, {
        shortName: 'OPER',
        name: 'Operating',
        division: 'Main',
      });
      const saved = await s.api.put('/api/v1/connectors/ams360-receipts', {
        baseUrl: receiptsAms.url,
        sources: ['api'],
      });
      assert.equal(saved.status, 200, JSON.stringify(saved.body));
      return receiptsAms;
    }
    const receipt = (customerNumber: number, items: { invoiceNumber?: number; paymentAmount: number }[]) => ({
      customerNumber,
      invoiceInformations: items,
      receiptAmount: items.reduce((sum, i) => sum + i.paymentAmount, 0),
      receiptDate: '2026-11-20',
      receiptDateTimeZone: 'America/Chicago',
      bankShortName: 'OPER',
      paymentCheckType: 'Cash',
    });
    const exportOf = async (s: SyncAgency, receiptNumber: number) =>
      (await s.api.get(`/api/v1/connectors/ams360-receipts/exports?receiptNumber=${receiptNumber}`)).body.data[0];

    it("a synced customer's receipt goes out with the AMS customer and invoice numbers; an invoice without one waits with the reason and is released when the sync links it", async () => {
      const s = await syncAgency(world);
      const receiptsAms = await setUp(s);
      try {
        const ams = s.ams.createCustomer({ customerName: 'Raven Roofing', email: 'r@raven.example' });
        const policy = s.ams.addPolicy(ams.customerId as string, { effectiveDate: '2026-01-01' }) as {
          policyNumber: string;
        };
        const number = await eventually(async () => {
          const list = await s.api.get('/api/v1/customers?search=Raven');
          return list.body.data[0]?.customerNumber as number | undefined;
        }, 'the AMS customer');
        const amsNumber = Number(ams.customerNumber);
        assert.notEqual(number, amsNumber, "policypay's number is its own");
        await eventually(async () => {
          const list = await s.api.get(`/api/v1/customers/${number}/policies`);
          return list.body.data.length === 1 || undefined;
        }, 'the AMS policy');

        // On Account: only the customer needs an AMS identity.
        const onAccount = await s.api.post('/api/v1/receipt/customer', receipt(number, [{ paymentAmount: 40 }]));
        assert.equal(onAccount.status, 201, JSON.stringify(onAccount.body));
        await sendDueAmsReceipts(world.server.database.db);
        const [first] = receiptsAms.receipts();
        assert.equal(first?.body.customerNumber, amsNumber, "the AMS's customer number, not policypay's");

        // An invoice billed in policypay that the AMS does not know yet.
        const invoice = await s.api.post('/api/v1/invoices', {
          customerNumber: number,
          policyNumber: policy.policyNumber,
          dueDate: '2026-12-01',
          amount: 250,
        });
        assert.equal(invoice.status, 201, JSON.stringify(invoice.body));
        const paid = await s.api.post(
          '/api/v1/receipt/customer',
          receipt(number, [{ invoiceNumber: invoice.body.invoiceNumber, paymentAmount: 250 }]),
        );
        assert.equal(paid.status, 201, JSON.stringify(paid.body));
        await sendDueAmsReceipts(world.server.database.db);
        assert.equal(receiptsAms.receipts().length, 1, 'not sent with a guessed invoice number');
        const held = await exportOf(s, paid.body.receiptNumber);
        assert.equal(held.status, 'held');
        assert.match(held.lastError, new RegExp(`invoice ${invoice.body.invoiceNumber} has no AMS invoice number`));
        assert.match(held.manualAction, /link the customer and invoices to the AMS/);
        const list = await s.api.get('/api/v1/connectors/ams360-receipts/exports?status=held');
        assert.equal(list.body.data.length, 1);

        // Staff retry it: still no identity → a clear conflict, nothing changes.
        const retry = await s.api.post(`/api/v1/connectors/ams360-receipts/exports/${held.id}/retry`, {});
        assert.equal(retry.status, 409);
        assert.equal(retry.headers.get('content-type'), 'application/problem+json; charset=utf-8');
        assert.match(retry.body.detail, /no AMS invoice number/);
        assert.equal((await exportOf(s, paid.body.receiptNumber)).status, 'held');

        // The AMS bills it; the next sync links it and releases the receipt.
        s.ams.addInvoice(ams.customerId as string, {
          invoiceNumber: 770_001,
          policyNumber: policy.policyNumber,
          dueDate: '2026-12-01',
          amount: 250,
        });
        await eventually(
          async () => (await exportOf(s, paid.body.receiptNumber)).status === 'pending' || undefined,
          'the release',
        );
        await sendDueAmsReceipts(world.server.database.db);
        const sent = receiptsAms.receipts().find((r) => r.reference === `PP-${paid.body.receiptNumber}`);
        assert.ok(sent, 'sent once released');
        assert.equal(sent.body.customerNumber, amsNumber);
        assert.deepEqual(
          (sent.body.invoiceInformations as { invoiceNumber?: number }[]).map((i) => i.invoiceNumber),
          [770_001],
        );
        assert.equal(receiptsAms.countFor(`PP-${paid.body.receiptNumber}`), 1);
      } finally {
        await receiptsAms.stop();
        await s.close();
      }
    });

    it('refuses bad values in the new mapping fields (invoices, premium) with a problem naming the field, and keeps the mapping', async () => {
      const s = await syncAgency(world);
      try {
        const saved = async () =>
          (await s.api.get('/api/v1/sync/connectors')).body.data.find((c: { system: string }) => c.system === 'ams');
        const before = await saved();
        const base = amsDoubleMapping(s.ams.server.url, TEST_CONNECTOR_TIMING);
        const customer = base.customer as Record<string, unknown>;
        for (const [change, field] of [
          [
            {
              invoices: {
                itemsField: 'invoices',
                idField: 'invoiceNumber',
                policyNumberField: 'policyNumber',
                dueDateField: 'dueDate',
              },
            },
            'amountField',
          ],
          [{ invoices: { ...(customer.invoices as object), amountField: 'not a path!' } }, 'amountField'],
          [{ invoices: { ...(customer.invoices as object), openBalanceField: 'open balance' } }, 'openBalanceField'],
          [{ invoices: { ...(customer.invoices as object), currency: 'USD' } }, 'currency'],
          [{ policies: { ...(customer.policies as object), premiumField: '9premium' } }, 'premiumField'],
        ] as const) {
          const bad = await s.api.put('/api/v1/sync/connectors/ams', {
            kind: 'rest',
            mapping: { ...base, customer: { ...customer, ...change } },
          });
          assert.equal(bad.status, 400, JSON.stringify(bad.body));
          assert.equal(bad.headers.get('content-type'), 'application/problem+json; charset=utf-8');
          assert.ok(JSON.stringify(bad.body.errors).includes(field), JSON.stringify(bad.body));
        }
        assert.deepEqual(await saved(), before, 'nothing written');
      } finally {
        await s.close();
      }
    });

    it('a customer of an agency that syncs with an AMS but not linked to it waits; pushing it to the AMS releases the receipt', async () => {
      const s = await syncAgency(world, { pushOnCreate: [] });
      const receiptsAms = await setUp(s);
      try {
        const created = await s.api.post('/api/v1/customers', { type: 'individual', name: 'Sparrow Local' });
        const number = created.body.customerNumber as number;
        const posted = await s.api.post('/api/v1/receipt/customer', receipt(number, [{ paymentAmount: 75 }]));
        assert.equal(posted.status, 201, JSON.stringify(posted.body));
        await sendDueAmsReceipts(world.server.database.db);
        assert.equal(receiptsAms.receipts().length, 0);
        const held = await exportOf(s, posted.body.receiptNumber);
        assert.equal(held.status, 'held');
        assert.match(held.lastError, new RegExp(`customer ${number} has no AMS customer number`));

        const push = await s.api.post(`/api/v1/customers/${number}/sync`, { systems: ['ams'] });
        assert.equal(push.status, 202);
        await pushesSettled(world, s.agency.id);
        assert.equal((await exportOf(s, posted.body.receiptNumber)).status, 'pending');
        await sendDueAmsReceipts(world.server.database.db);
        const [sent] = receiptsAms.receipts();
        assert.equal(sent?.body.customerNumber, Number(s.ams.findByName('Sparrow Local')[0]?.customerNumber));
      } finally {
        await receiptsAms.stop();
        await s.close();
      }
    });
  });
}
