import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { createInvoice } from '../../../src/ledger/invoices.ts';
import { createPayment } from '../../../src/payments/creation/create.ts';
import { startWorkers, type Workers } from '../../../src/platform/app/workers.ts';
import { bossJobQueue } from '../../../src/platform/jobs/boss-job-queue.ts';
import { listAmsReceiptExports } from '../../../src/sync/ams360-receipts/exports.ts';
import { amsReceiptQueues } from '../../../src/sync/ams360-receipts/outbox.ts';
import { databaseTargets } from '../../support/db.ts';
import { type AmsReceiptWorld, startAmsReceiptWorld } from '../../support/worlds/ams-receipts.ts';

async function waitFor<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

for (const target of databaseTargets()) {
  describe(`AMS360 receipt jobs through pg-boss (${target})`, () => {
    let world: AmsReceiptWorld;
    let workers: Workers;
    const schema = `pgboss_${randomBytes(4).toString('hex')}`;

    before(async () => {
      world = await startAmsReceiptWorld(target, { timeoutMs: 1_000 });
      workers = await startWorkers(world.database, { schema, processors: world.processors });
    });
    after(async () => {
      await workers?.stop();
      if (target === 'postgres') await sql.raw(`DROP SCHEMA ${schema} CASCADE`).execute(world.database.db);
      await world?.close();
    });

    it('a payment executed by the workers reaches the AMS once, through the send job its receipt enqueued', async () => {
      const db = world.database.db;
      const schedules = await workers.boss.getSchedules();
      assert.ok(
        schedules.some((s) => s.name === amsReceiptQueues.sweep),
        'the sweep is scheduled',
      );

      const invoice = await createInvoice(db, world.agency.actor, {
        customerNumber: world.customerNumber,
        dueDate: '2026-12-01',
        amountCents: 54_321n,
      });
      // The first AMS request fails: the export is retried by the sender, not lost.
      world.ams.injectFaults('record-then-drop');
      const payment = await createPayment(
        db,
        world.agency.actor,
        {
          customerNumber: world.customerNumber,
          type: 'card',
          amountCents: 54_321n,
          currency: 'USD',
          paymentMethodId: world.paymentMethodId,
          targets: [{ invoiceNumber: invoice.invoiceNumber, amountCents: 54_321n }],
          channel: 'secure_checkout',
        },
        bossJobQueue(workers.boss),
      );
      const posted = await waitFor(
        'the payment to post',
        () =>
          db
            .selectFrom('payments')
            .leftJoin('receipts', 'receipts.id', 'payments.receipt_id')
            .select(['payments.state', 'receipts.receipt_number'])
            .where('payments.id', '=', payment.id)
            .executeTakeFirstOrThrow(),
        (row) => row.state === 'posted',
      );
      const reference = `PP-${posted.receipt_number}`;
      // The send job ran: the AMS got the request (and recorded it before the connection dropped).
      await waitFor(
        'the AMS to receive the receipt',
        async () => world.ams.countFor(reference),
        (n) => n === 1,
      );
      // The sender records the lost answer after the AMS recorded the receipt: wait for that too.
      const exported = await waitFor(
        'the lost answer to be recorded',
        async () => (await listAmsReceiptExports(db, world.agency.actor, { receiptNumber: posted.receipt_number! }))[0],
        (view) => view?.status === 'pending' && view.lastError !== null,
      );
      assert.ok(exported);
      assert.equal(exported.attempts, 1);
      assert.match(exported.lastError ?? '', /no answer/);
      const jobs = await sql<{ n: bigint }>`SELECT count(*) AS n FROM ${sql.table(`${schema}.job`)}
        WHERE name = ${amsReceiptQueues.send}`.execute(db);
      assert.ok(jobs.rows[0]!.n >= 1n, 'a send job was enqueued with the receipt');

      // The sweep, when the retry is due, finishes it with the same key: still one receipt.
      await sql`UPDATE ams_receipt_exports SET next_attempt_at = now() - interval '1 second' WHERE id = ${exported.id}`.execute(
        db,
      );
      await workers.boss.send(amsReceiptQueues.sweep, {});
      await waitFor(
        'the export to be sent',
        async () => (await listAmsReceiptExports(db, world.agency.actor, { id: exported.id }))[0]?.status,
        (status) => status === 'sent',
      );
      assert.equal(world.ams.countFor(reference), 1);
    });
  });
}
