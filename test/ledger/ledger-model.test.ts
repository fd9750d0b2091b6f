import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { startSandbox } from '../../src/payments/processors/sandbox/server.ts';
import type { DatabaseHandle } from '../../src/platform/db/database.ts';
import { databaseTargets, openTestDatabase } from '../support/db.ts';
import { opArbitrary, SECRET } from './ledger-model-ops.ts';
import { runModel } from './ledger-model-run.ts';

/**
 * The model of the ledger with the processor: any sequence of receipts, reversals, On Account
 * applications, card and ACH payments through the sandbox (declined, lost response, settled,
 * returned), janitor passes, refunds, chargebacks and late returns keeps, after every step, per
 * agency: debits = credits; every invoice's balance = amount − applied ≥ 0 (applied from the
 * receipt records, not the AR lines); cash charged at the processor = cash in the ledger; the
 * convenience fee income = the fees kept. `withFee` turns on both fees: the NSF fee a reversal
 * invoices and a 2 % convenience fee on every payment (issue 20.3).
 */
for (const target of databaseTargets()) {
  describe(`ledger model with the processor on ${target}`, () => {
    let database: DatabaseHandle;
    before(async () => {
      database = await openTestDatabase(target);
    });
    after(async () => database.close());

    it('holds for any sequence of operations (property)', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(opArbitrary, { minLength: 1, maxLength: 16 }), fc.boolean(), async (ops, withFee) => {
          const sandbox = await startSandbox({ webhookSecret: SECRET });
          try {
            await runModel(database.db, sandbox, ops, withFee);
          } finally {
            await sandbox.close();
          }
        }),
        // Fixed seed: the same runs every time; the step count bounds the time (~10-20 s per database).
        {
          seed: 20261203,
          numRuns: target === 'pglite' ? 12 : 10,
          // Each fault at least once, whatever the random runs draw.
          examples: [
            [
              [
                { kind: 'pay', customer: 0, invoice: 1, fraction: 0.5, extra: 2_500, instrument: 'card' },
                { kind: 'refund', pick: 0, fraction: 0.5 },
                { kind: 'chargeback', pick: 0 },
              ],
              false,
            ],
            [
              [
                { kind: 'pay', customer: 1, invoice: 0, fraction: 1, extra: 0, instrument: 'card' },
                { kind: 'refund', pick: 0, fraction: 1 },
                { kind: 'chargeback', pick: 0 },
              ],
              false,
            ],
            [
              [
                { kind: 'pay', customer: 0, invoice: 0, fraction: 1, extra: 0, instrument: 'lostResponse' },
                { kind: 'pay', customer: 0, invoice: 0, fraction: 1, extra: 0, instrument: 'card' },
                { kind: 'janitor' },
                { kind: 'pay', customer: 1, invoice: 1, fraction: 1, extra: 0, instrument: 'softDecline' },
                { kind: 'pay', customer: 1, invoice: 2, fraction: 1, extra: 0, instrument: 'hardDecline' },
                { kind: 'janitor' },
                { kind: 'runDue' },
              ],
              false,
            ],
            [
              [
                { kind: 'pay', customer: 0, invoice: 0, fraction: 0.6, extra: 0, instrument: 'achSettles' },
                { kind: 'pay', customer: 1, invoice: 0, fraction: 1, extra: 0, instrument: 'achReturns' },
                { kind: 'receipt', customer: 0, items: [{ invoice: 0, cents: 25_000 }] },
                { kind: 'settleAch' },
                { kind: 'runDue' },
                { kind: 'settleAch' },
                { kind: 'lateReturn', pick: 0 },
                { kind: 'redeliver', pick: 0 },
              ],
              true,
            ],
          ],
        },
      );
    });
  });
}
