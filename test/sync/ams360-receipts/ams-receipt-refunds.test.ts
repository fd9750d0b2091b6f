import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { refundPayment } from '../../../src/payments/refunds.ts';
import { listAmsReceiptExports } from '../../../src/sync/ams360-receipts/exports.ts';
import { sendDueAmsReceipts } from '../../../src/sync/ams360-receipts/sender.ts';
import { netOfRefunds } from '../../../src/sync/rules/ams-receipt-export.ts';
import { databaseTargets } from '../../support/db.ts';
import { type AmsReceiptWorld, postedPayment, startAmsReceiptWorld } from '../../support/worlds/ams-receipts.ts';

describe('netOfRefunds', () => {
  it('takes refunds back On Account first, then invoices from the last, like the ledger', () => {
    const apps = [
      { invoiceId: 'a', appliedCents: 10_000n, onAccountCents: 0n },
      { invoiceId: 'b', appliedCents: 5_000n, onAccountCents: 2_000n },
    ];
    assert.deepEqual(
      netOfRefunds(apps, 3_000n).map((a) => [a.appliedCents, a.onAccountCents]),
      [
        [10_000n, 0n],
        [4_000n, 0n],
      ],
    );
    assert.deepEqual(
      netOfRefunds(apps, 0n).map((a) => a.appliedCents),
      [10_000n, 5_000n],
    );
    assert.deepEqual(
      netOfRefunds(apps, 17_000n).map((a) => a.appliedCents + a.onAccountCents),
      [0n, 0n],
    );
  });
});

// Issue 16 item 5: "the AMS360 export after a partial refund shows the full amount". What the AMS
// gets must equal what stays applied.
for (const target of databaseTargets()) {
  describe(`AMS360 export after a partial refund on ${target}`, () => {
    let world: AmsReceiptWorld;
    before(async () => {
      world = await startAmsReceiptWorld(target);
    });
    after(async () => world.close());

    it('a receipt refunded in part before it was sent goes out with what stays applied', async () => {
      const payment = await postedPayment(world, 20_000n);
      const refund = await refundPayment(world.database.db, world.processors, world.agency.actor, payment.paymentId, {
        amountCents: 5_000n,
      });
      assert.equal(refund.status, 'succeeded');
      await sendDueAmsReceipts(world.database.db);
      const sent = world.ams.receipts().find((r) => r.reference === payment.reference);
      assert.ok(sent);
      assert.equal(sent.body.receiptAmount, 150);
      assert.deepEqual(
        (sent.body.invoiceInformations as { paymentAmount: number }[]).map((i) => i.paymentAmount),
        [150],
      );
      const [view] = await listAmsReceiptExports(world.database.db, world.agency.actor, {
        receiptNumber: payment.receiptNumber,
      });
      assert.equal(view?.manualAction, null, 'nothing to do by hand: the AMS got what stays applied');
    });

    it('a refund after the receipt was sent tells staff to record it in AMS360 (its API takes no refunds)', async () => {
      const payment = await postedPayment(world, 20_000n);
      await sendDueAmsReceipts(world.database.db);
      assert.equal(world.ams.countFor(payment.reference), 1);
      await refundPayment(world.database.db, world.processors, world.agency.actor, payment.paymentId, {
        amountCents: 5_000n,
      });
      const [view] = await listAmsReceiptExports(world.database.db, world.agency.actor, {
        receiptNumber: payment.receiptNumber,
      });
      assert.equal(view?.status, 'sent');
      assert.match(view?.manualAction ?? '', /Record the refund of \$50\.00 against PP-\d+ in AMS360/);
      assert.match(view?.manualAction ?? '', /\$150\.00 stays applied/);
    });
  });
}
