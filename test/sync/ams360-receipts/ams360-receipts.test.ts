import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { postCustomerReceipt } from '../../../src/ledger/receipt-posting.ts';
import { reverseReceipt } from '../../../src/ledger/receipt-reversals.ts';
import { inTransaction } from '../../../src/platform/db/transaction.ts';
import { saveAmsReceiptConnector } from '../../../src/sync/ams360-receipts/connector.ts';
import { listAmsReceiptExports, retryAmsReceiptExport } from '../../../src/sync/ams360-receipts/exports.ts';
import { sendDueAmsReceipts } from '../../../src/sync/ams360-receipts/sender.ts';
import { databaseTargets } from '../../support/db.ts';
import type { ReceiptFault } from '../../support/doubles/ams360-receipt-double.ts';
import { startAmsReceiptDouble } from '../../support/doubles/ams360-receipt-double.ts';
import {
  AMS_AUTH,
  type AmsReceiptWorld,
  exportStatuses,
  postedPayment,
  postPaymentReceipts,
  startAmsReceiptWorld,
} from '../../support/worlds/ams-receipts.ts';

const HOUR = 3_600_000;

for (const target of databaseTargets()) {
  describe(`AMS360 receipt connector (${target})`, () => {
    let world: AmsReceiptWorld;
    // The sender's clock: each retry round moves it past the backoff.
    let clock = 0;
    const current = () => new Date(Math.max(clock, Date.now()));
    const later = () => {
      clock = current().getTime() + 3 * HOUR;
      return current();
    };
    const exportOf = async (receiptNumber: number) => {
      const [view] = await listAmsReceiptExports(world.database.db, world.agency.actor, { receiptNumber });
      assert.ok(view, `receipt ${receiptNumber} has an export`);
      return view;
    };

    before(async () => {
      world = await startAmsReceiptWorld(target);
    });
    after(async () => {
      await world?.close();
    });

    it('sends a posted payment to the AMS once, as an AMS360 receipt with our reference', async () => {
      const payment = await postedPayment(world, 12_345n);
      const queued = await exportOf(payment.receiptNumber);
      assert.equal(queued.status, 'pending');

      const report = await sendDueAmsReceipts(world.database.db, { now: current() });
      assert.deepEqual(report, { claimed: 1, sent: 1, retrying: 0, failed: 0, parked: 0 });
      const [received] = world.ams.receipts().filter((r) => r.reference === payment.reference);
      assert.ok(received);
      assert.equal(received.idempotencyKey?.startsWith('policypay-receipt-'), true);
      const items = received.body.invoiceInformations as { invoiceNumber?: number; paymentAmount: number }[];
      assert.deepEqual(
        items.map((item) => [item.invoiceNumber, item.paymentAmount]),
        [[payment.invoiceNumber, 123.45]],
      );
      assert.equal(received.body.customerNumber, world.customerNumber);
      assert.equal(received.body.receiptAmount, 123.45);
      assert.equal(received.body.bankShortName, 'OPER');
      assert.equal(received.body.paymentCheckType, 'CreditCard');
      assert.equal(received.body.receiptDateTimeZone, 'Central Standard Time');
      assert.match(String(received.body.receiptDescription), new RegExp(`^${payment.reference} Card payment`));

      const sent = await exportOf(payment.receiptNumber);
      assert.equal(sent.status, 'sent');
      assert.equal(sent.amsReceiptId, received.amsReceiptId);
      assert.equal(sent.attempts, 1);
      // Nothing more to send.
      assert.equal((await sendDueAmsReceipts(world.database.db, { now: later() })).claimed, 0);
      assert.equal(world.ams.countFor(payment.reference), 1);
    });

    const faults: ReceiptFault[] = ['500', 'record-then-500', 'hang', 'record-then-hang', 'drop', 'record-then-drop'];
    for (const fault of faults) {
      it(`delivers the receipt exactly once when the AMS meets fault "${fault}"`, async () => {
        const payment = await postedPayment(world);
        const requestsBefore = world.ams.requests;
        world.ams.injectFaults(fault);
        const first = await sendDueAmsReceipts(world.database.db, { now: current() });
        assert.deepEqual(first, { claimed: 1, sent: 0, retrying: 1, failed: 0, parked: 0 });
        const waiting = await exportOf(payment.receiptNumber);
        assert.equal(waiting.status, 'pending');
        assert.ok(waiting.lastError, 'the failed attempt is shown');
        // The retry is not due before its backoff.
        assert.equal((await sendDueAmsReceipts(world.database.db, { now: current() })).claimed, 0);

        const second = await sendDueAmsReceipts(world.database.db, { now: later() });
        assert.equal(second.sent, 1);
        assert.equal(world.ams.requests - requestsBefore, 2);
        assert.equal(world.ams.countFor(payment.reference), 1);
        const sent = await exportOf(payment.receiptNumber);
        assert.equal(sent.status, 'sent');
        assert.equal(sent.attempts, 2);
      });
    }

    it('delivers the receipt exactly once when the AMS dies mid-request and comes back later', async () => {
      const payment = await postedPayment(world);
      world.ams.injectFaults('die');
      assert.equal((await sendDueAmsReceipts(world.database.db, { now: current() })).retrying, 1);
      assert.equal(world.ams.running, false);
      // Still down: connection refused is retried too.
      assert.equal((await sendDueAmsReceipts(world.database.db, { now: later() })).retrying, 1);
      await world.ams.restart();
      assert.equal((await sendDueAmsReceipts(world.database.db, { now: later() })).sent, 1);
      assert.equal(world.ams.countFor(payment.reference), 1);
      assert.equal((await exportOf(payment.receiptNumber)).attempts, 3);
    });

    it('takes the AMS answering "duplicate reference" to a repeated request as sent', async () => {
      const strict = await startAmsReceiptDouble({ authHeader: AMS_AUTH, repeatedKey: 'duplicate' });
      const actor = world.agency.actor;
      await saveAmsReceiptConnector(world.database.db, actor, { baseUrl: strict.url });
      try {
        const payment = await postedPayment(world);
        strict.injectFaults('record-then-drop');
        assert.equal((await sendDueAmsReceipts(world.database.db, { now: current() })).retrying, 1);
        assert.equal((await sendDueAmsReceipts(world.database.db, { now: later() })).sent, 1);
        assert.equal(strict.countFor(payment.reference), 1);
        const sent = await exportOf(payment.receiptNumber);
        assert.equal(sent.status, 'sent');
        assert.match(sent.lastError ?? '', /already had/);
      } finally {
        await saveAmsReceiptConnector(world.database.db, actor, { baseUrl: world.ams.url });
        await strict.stop();
      }
    });

    it('with an AMS that de-duplicates nothing, looks the reference up before a repeated attempt', async () => {
      const naive = await startAmsReceiptDouble({ authHeader: AMS_AUTH, repeatedKey: 'ignore' });
      const actor = world.agency.actor;
      try {
        // Without the lookup, a lost response becomes a duplicate at such an AMS: why the option exists.
        await saveAmsReceiptConnector(world.database.db, actor, { baseUrl: naive.url, lookupByReference: false });
        const blind = await postedPayment(world);
        naive.injectFaults('record-then-drop');
        await sendDueAmsReceipts(world.database.db, { now: current() });
        await sendDueAmsReceipts(world.database.db, { now: later() });
        assert.equal(naive.countFor(blind.reference), 2);

        await saveAmsReceiptConnector(world.database.db, actor, { baseUrl: naive.url, lookupByReference: true });
        const lost = await postedPayment(world);
        naive.injectFaults('record-then-drop');
        assert.equal((await sendDueAmsReceipts(world.database.db, { now: current() })).retrying, 1);
        const requests = naive.requests;
        assert.equal((await sendDueAmsReceipts(world.database.db, { now: later() })).sent, 1);
        assert.equal(naive.requests, requests, 'found by the lookup: not posted again');
        assert.equal(naive.countFor(lost.reference), 1);
        const found = await exportOf(lost.receiptNumber);
        assert.match(found.lastError ?? '', /found at the AMS by reference/);
        assert.equal(found.amsReceiptId, naive.receipts().find((r) => r.reference === lost.reference)?.amsReceiptId);

        // Given up after unknown outcomes, then retried by staff: the first attempt again looks first.
        const gaveUp = await postedPayment(world);
        naive.injectFaults('record-then-500');
        await sendDueAmsReceipts(world.database.db, { now: current() });
        const [stuck] = await listAmsReceiptExports(world.database.db, actor, { receiptNumber: gaveUp.receiptNumber });
        await sql`UPDATE ams_receipt_exports SET status = 'failed', next_attempt_at = NULL WHERE id = ${stuck!.id}`.execute(
          world.database.db,
        );
        await retryAmsReceiptExport(world.database.db, actor, stuck!.id);
        assert.equal((await sendDueAmsReceipts(world.database.db, { now: later() })).sent, 1);
        assert.equal(naive.countFor(gaveUp.reference), 1);

        // Never arrived (dropped before recording): the lookup finds nothing, so it is posted.
        const dropped = await postedPayment(world);
        naive.injectFaults('drop');
        await sendDueAmsReceipts(world.database.db, { now: current() });
        assert.equal((await sendDueAmsReceipts(world.database.db, { now: later() })).sent, 1);
        assert.equal(naive.countFor(dropped.reference), 1);
      } finally {
        await saveAmsReceiptConnector(world.database.db, actor, { baseUrl: world.ams.url, lookupByReference: false });
        await naive.stop();
      }
    });

    it('marks a receipt the AMS refuses (4xx) failed with the problem, stops, and a staff retry sends it once', async () => {
      const payment = await postedPayment(world);
      world.ams.injectFaults('reject');
      assert.equal((await sendDueAmsReceipts(world.database.db, { now: current() })).failed, 1);
      const failed = await exportOf(payment.receiptNumber);
      assert.equal(failed.status, 'failed');
      assert.equal(failed.lastHttpStatus, 422);
      assert.match(failed.lastError ?? '', /bankShortName unknown bank/);
      assert.match(failed.manualAction ?? '', /retry/);
      const activities = await world.database.db
        .selectFrom('activities')
        .select(['kind', 'summary'])
        .where('kind', '=', 'ams_receipt_export_failed')
        .execute();
      assert.ok(
        activities.some((a) => a.summary.includes(payment.reference) && a.summary.includes('HTTP 422')),
        JSON.stringify(activities),
      );
      const requests = world.ams.requests;
      assert.equal((await sendDueAmsReceipts(world.database.db, { now: later() })).claimed, 0);
      assert.equal(world.ams.requests, requests, 'a failed export is not retried on its own');

      const retried = await retryAmsReceiptExport(world.database.db, world.agency.actor, failed.id);
      assert.equal(retried.status, 'pending');
      assert.equal((await sendDueAmsReceipts(world.database.db, { now: later() })).sent, 1);
      assert.equal(world.ams.countFor(payment.reference), 1);
      await assert.rejects(
        retryAmsReceiptExport(world.database.db, world.agency.actor, failed.id),
        /only a failed export/,
      );
    });

    it('fails at once when the AMS refuses our credentials', async () => {
      const actor = world.agency.actor;
      await saveAmsReceiptConnector(world.database.db, actor, {
        baseUrl: world.ams.url,
        authHeader: { name: 'Authorization', value: 'Bearer wrong' },
      });
      try {
        const payment = await postedPayment(world);
        assert.equal((await sendDueAmsReceipts(world.database.db, { now: current() })).failed, 1);
        const failed = await exportOf(payment.receiptNumber);
        assert.equal(failed.lastHttpStatus, 401);
        assert.equal(world.ams.countFor(payment.reference), 0);
        await saveAmsReceiptConnector(world.database.db, actor, { baseUrl: world.ams.url, authHeader: AMS_AUTH });
        await retryAmsReceiptExport(world.database.db, actor, failed.id);
        assert.equal((await sendDueAmsReceipts(world.database.db, { now: later() })).sent, 1);
        assert.equal(world.ams.countFor(payment.reference), 1);
      } finally {
        await saveAmsReceiptConnector(world.database.db, actor, { baseUrl: world.ams.url, authHeader: AMS_AUTH });
      }
    });

    it('writes the export only when the receipt transaction commits, and only for exported sources', async () => {
      const db = world.database.db;
      const before = await listAmsReceiptExports(db, world.agency.actor, { limit: 500 });
      const request = {
        customerNumber: world.customerNumber,
        items: [{ amountCents: 500n }],
        receiptAmountCents: 500n,
        receiptDate: '2026-11-20',
        receiptDateTimeZone: 'America/Chicago',
        bankShortName: 'OPER',
        paymentCheckType: 'Cash',
      };
      let posted = 0;
      await assert.rejects(
        inTransaction(db, async (tx) => {
          posted = (await postCustomerReceipt(tx, world.agency.actor, request, { source: 'payment' })).receiptNumber;
          throw new Error('the payment transaction fails after the receipt');
        }),
        /fails after the receipt/,
      );
      assert.ok(posted > 0);
      const receipts = await db.selectFrom('receipts').select('id').where('receipt_number', '=', posted).execute();
      assert.equal(receipts.length, 0, 'the receipt rolled back');
      assert.equal((await listAmsReceiptExports(db, world.agency.actor, { limit: 500 })).length, before.length);

      // Receipts that came in through the receipt API are not exported unless the agency says so.
      const fromApi = await postCustomerReceipt(db, world.agency.actor, request);
      assert.deepEqual(
        await listAmsReceiptExports(db, world.agency.actor, { receiptNumber: fromApi.receiptNumber }),
        [],
      );
      // A disabled connector exports nothing.
      await saveAmsReceiptConnector(db, world.agency.actor, { baseUrl: world.ams.url, enabled: false });
      const [reference] = await postPaymentReceipts(world, 1);
      await saveAmsReceiptConnector(db, world.agency.actor, { baseUrl: world.ams.url, enabled: true });
      assert.deepEqual(
        await listAmsReceiptExports(db, world.agency.actor, { receiptNumber: Number(reference!.slice(3)) }),
        [],
      );
      // Committed: exactly one export.
      const [committed] = await postPaymentReceipts(world, 1);
      assert.equal(
        (await listAmsReceiptExports(db, world.agency.actor, { receiptNumber: Number(committed!.slice(3)) })).length,
        1,
      );
      await sendDueAmsReceipts(db, { now: later() });
    });

    it('parks exports while the connector is disabled and sends them once it is back', async () => {
      const db = world.database.db;
      const [reference] = await postPaymentReceipts(world, 1);
      await saveAmsReceiptConnector(db, world.agency.actor, { baseUrl: world.ams.url, enabled: false });
      assert.equal((await sendDueAmsReceipts(db, { now: current() })).parked, 1);
      await saveAmsReceiptConnector(db, world.agency.actor, { baseUrl: world.ams.url, enabled: true });
      assert.equal((await sendDueAmsReceipts(db, { now: later() })).sent, 1);
      assert.equal(world.ams.countFor(reference!), 1);
      assert.equal((await exportOf(Number(reference!.slice(3)))).attempts, 1, 'parking is not an attempt');
    });

    it('asks for a manual reversal in AMS360 when a sent receipt is reversed', async () => {
      const payment = await postedPayment(world);
      await sendDueAmsReceipts(world.database.db, { now: current() });
      await reverseReceipt(world.database.db, world.agency.actor, payment.receiptNumber, { reason: 'chargeback' });
      const view = await exportOf(payment.receiptNumber);
      assert.equal(view.status, 'sent');
      assert.equal(view.reversal?.reason, 'chargeback');
      assert.equal(
        view.manualAction,
        `Reverse receipt ${payment.reference} in AMS360 (reversed in policypay: chargeback)`,
      );
      assert.equal(world.ams.countFor(payment.reference), 1);
    });

    it('two senders at once, with random faults, still deliver every receipt exactly once', async () => {
      const db = world.database.db;
      const references = await postPaymentReceipts(world, 30);
      world.ams.setRandomFaults({
        rate: 0.4,
        faults: ['500', 'record-then-500', 'drop', 'record-then-drop', 'hang', 'record-then-hang'],
      });
      try {
        for (let round = 0; round < 40; round++) {
          const now = later();
          await Promise.all([sendDueAmsReceipts(db, { now, limit: 10 }), sendDueAmsReceipts(db, { now, limit: 10 })]);
          const open = await exportStatuses(world.database);
          if (!open.pending && !open.sending) break;
        }
      } finally {
        world.ams.setRandomFaults(undefined);
      }
      const statuses = await exportStatuses(world.database);
      assert.equal(statuses.pending ?? 0, 0, JSON.stringify(statuses));
      assert.equal(statuses.sending ?? 0, 0, JSON.stringify(statuses));
      for (const reference of references) assert.equal(world.ams.countFor(reference), 1, reference);
      // The AMS holds exactly one receipt per reference across the whole file.
      const all = world.ams.receipts().map((r) => r.reference);
      assert.equal(new Set(all).size, all.length);
    });
  });
}
