import assert from 'node:assert/strict';
import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { createBank } from '../../src/agency/banks.ts';
import { createCustomer } from '../../src/customers/customers.ts';
import type { DatabaseHandle } from '../../src/platform/db/database.ts';
import { saveAmsReceiptConnector } from '../../src/sync/ams360-receipts/connector.ts';
import { sendDueAmsReceipts } from '../../src/sync/ams360-receipts/sender.ts';
import { openTestDatabase } from '../support/db.ts';
import { type AmsReceiptDouble, startAmsReceiptDouble } from '../support/doubles/ams360-receipt-double.ts';
import { createTestAgency } from '../support/fixtures.ts';
import { exportStatuses, postPaymentReceipts } from '../support/worlds/ams-receipts.ts';

const RECEIPTS = 300;

// Sender processes are killed with SIGKILL at random moments while the AMS double also drops,
// hangs and fails requests. PGlite is one process's database, so this runs on PostgreSQL.
describe('AMS360 receipt export survives SIGKILL', {
  skip: process.env.TEST_DATABASE_URL
    ? false
    : 'needs PostgreSQL (TEST_DATABASE_URL): the sender processes share the database',
}, () => {
  let database: DatabaseHandle;
  let ams: AmsReceiptDouble;

  before(async () => {
    database = await openTestDatabase('postgres');
    ams = await startAmsReceiptDouble({
      randomFaults: { rate: 0.2, faults: ['500', 'drop', 'record-then-drop', 'hang', 'record-then-hang'] },
    });
  });
  after(async () => {
    await ams?.stop();
    await database?.close();
  });

  it(`posts each of ${RECEIPTS} receipts to the AMS exactly once`, async (t) => {
    const db = database.db;
    const agency = await createTestAgency(db);
    await createBank(db, agency.actor, { shortName: 'OPER', name: 'Operating', division: 'Main' });
    const customer = await createCustomer(db, agency.actor, { type: 'individual', name: 'Crash Receipts' });
    await saveAmsReceiptConnector(db, agency.actor, { baseUrl: ams.url, timeoutMs: 300 });
    const references = await postPaymentReceipts(
      { database, agency, customerNumber: customer.customerNumber },
      RECEIPTS,
    );

    // Two senders at a time, both killed at a random moment, six times.
    const script = join(import.meta.dirname, '..', 'support', 'processes', 'ams-receipt-worker-process.ts');
    const startSender = async (): Promise<ChildProcess> => {
      const child = fork(script, [], {
        env: { ...process.env, CRASH_DATABASE_URL: process.env.TEST_DATABASE_URL!, CRASH_SCHEMA: database.searchPath! },
        stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      });
      await new Promise<void>((resolve) => child.once('message', () => resolve()));
      return child;
    };
    let kills = 0;
    for (let run = 0; run < 6; run++) {
      const children = await Promise.all([startSender(), startSender()]);
      await new Promise((resolve) => setTimeout(resolve, 150 + Math.floor(Math.random() * 500)));
      for (const child of children) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await exited;
        kills++;
      }
    }
    assert.equal(kills, 12);
    const afterKills = await exportStatuses(database);
    const sentBeforeRecovery = ams.receipts().length;

    // Recovery: a sender in this process, on a clock that moves past every backoff and lease.
    let later = Date.now();
    for (let round = 0; round < 60; round++) {
      later += 3 * 3_600_000;
      await sendDueAmsReceipts(db, { now: new Date(later), limit: 500, concurrency: 8 });
      const open = await exportStatuses(database);
      if (!open.pending && !open.sending) break;
    }

    const statuses = await exportStatuses(database);
    t.diagnostic(
      `after the kills ${JSON.stringify(afterKills)} with ${sentBeforeRecovery} receipts at the AMS; ` +
        `finally ${JSON.stringify(statuses)}; ${ams.requests} requests to the AMS`,
    );
    assert.deepEqual(statuses, { sent: RECEIPTS });
    for (const reference of references) assert.equal(ams.countFor(reference), 1, reference);
    assert.equal(ams.receipts().length, RECEIPTS);
    // Every export's AMS id is the one the AMS gave that reference.
    const rows = await sql<{
      reference: string;
      ams_receipt_id: string | null;
    }>`SELECT reference, ams_receipt_id FROM ams_receipt_exports`.execute(db);
    const byReference = new Map(ams.receipts().map((r) => [r.reference, r.amsReceiptId]));
    for (const row of rows.rows) assert.equal(row.ams_receipt_id, byReference.get(row.reference));
    assert.ok(ams.requests > RECEIPTS, 'faults and kills made the senders retry');
  });
});
