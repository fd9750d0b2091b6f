import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { createBank } from '../../../src/agency/banks.ts';
import { listCustomerReceipts } from '../../../src/ledger/receipt-views.ts';
import { saveAmsReceiptConnector } from '../../../src/sync/ams360-receipts/connector.ts';
import { listAmsReceiptExports } from '../../../src/sync/ams360-receipts/exports.ts';
import { sendDueAmsReceipts } from '../../../src/sync/ams360-receipts/sender.ts';
import { databaseTargets } from '../../support/db.ts';
import { startTestServer, type TestServer } from '../../support/server.ts';
import { type AmsReceiptWorld, postedPayment, startAmsReceiptWorld } from '../../support/worlds/ams-receipts.ts';

// policypay's own POST /api/v1/receipt/customer implements AMS360's semantics and honours
// Idempotency-Key, so another policypay can stand in for the AMS: the body must pass its strict
// validation, and a repeated request must replay, not post twice.
for (const target of databaseTargets()) {
  describe(`AMS360 receipts into a policypay acting as the AMS (${target})`, () => {
    let world: AmsReceiptWorld;
    let ams: TestServer;

    before(async () => {
      // A generous timeout: a slow answer on a busy machine would be a retry, not what this test is about.
      world = await startAmsReceiptWorld(target, { timeoutMs: 30_000 });
      ams = await startTestServer({ target, web: false });
      await createBank(ams.database.db, ams.agency.actor, {
        shortName: 'OPER',
        name: 'AMS operating',
        division: 'Main',
      });
      await saveAmsReceiptConnector(world.database.db, world.agency.actor, {
        baseUrl: `${ams.url}/api/v1`,
        authHeader: { name: 'Authorization', value: `Bearer ${ams.agency.apiKey}` },
      });
    });
    after(async () => {
      await ams?.close();
      await world?.close();
    });

    it('posts the receipt there once, applied to the same invoice, even when sent twice', async () => {
      // The AMS knows the customer and the invoice by the same numbers (agencies import them).
      const payment = await postedPayment(world, 40_000n);
      // Both databases are fresh: our customer and invoice are #1 and #1, like the AMS's seeded ones.
      assert.equal(world.customerNumber, ams.seeded.customerNumber);
      assert.equal(payment.invoiceNumber, ams.seeded.invoiceNumber);

      const first = await sendDueAmsReceipts(world.database.db);
      const exports = await sql`SELECT status, attempts, last_http_status, last_error FROM ams_receipt_exports`.execute(
        world.database.db,
      );
      assert.equal(first.sent, 1, JSON.stringify({ first, exports: exports.rows }));
      // As if the answer had been lost: the same export goes again, same key and body. (A second in
      // the past: the server's now() has microseconds, the sender's JavaScript clock only
      // milliseconds, so now() itself could still be "later" than the sender's now.)
      await sql`UPDATE ams_receipt_exports SET status = 'pending', sent_at = NULL,
                next_attempt_at = now() - interval '1 second'`.execute(world.database.db);
      assert.equal((await sendDueAmsReceipts(world.database.db)).sent, 1);

      const receipts = await listCustomerReceipts(ams.database.db, ams.agency.actor, world.customerNumber);
      assert.equal(receipts.length, 1, 'one receipt at the AMS');
      const [receipt] = receipts;
      assert.equal(receipt?.amountCents, 40_000n);
      assert.equal(receipt?.paymentCheckType, 'CreditCard');
      assert.equal(receipt?.receiptDateTimeZone, 'America/Chicago');
      assert.ok(receipt?.description.startsWith(payment.reference));
      assert.deepEqual(
        receipt?.applications.map((a) => [a.invoiceNumber, a.appliedCents]),
        [[payment.invoiceNumber, 40_000n]],
      );
      const [exported] = await listAmsReceiptExports(world.database.db, world.agency.actor, {
        receiptNumber: payment.receiptNumber,
      });
      assert.equal(exported?.amsReceiptId, receipt?.id, "the AMS's receiptId is kept");
      assert.equal(exported?.attempts, 2);
    });
  });
}
