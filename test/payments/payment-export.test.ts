// GET /api/v1/payments/export.csv over real payments (the other exports: test/platform/http/csv-exports.test.ts).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CARD_SUCCEEDS } from '../../src/payments/processors/sandbox/test-numbers.ts';
import { exportPayments } from '../../src/payments/views.ts';
import { databaseTargets } from '../support/db.ts';
import { createTestAgency } from '../support/fixtures.ts';
import { type PaymentsWorld, paymentSteps, startPaymentsWorld } from '../support/payments.ts';

async function collect<T>(pages: AsyncIterable<T[]>): Promise<T[][]> {
  const all: T[][] = [];
  for await (const page of pages) all.push(page);
  return all;
}

/** The export's rows keyed by its header (no quoted cells in these). */
function records(text: string): Record<string, string>[] {
  const [header, ...rows] = text
    .trimEnd()
    .split('\r\n')
    .map((line) => line.split(','));
  return rows.map((row) => Object.fromEntries(header!.map((name, i) => [name, row[i]!])));
}

for (const target of databaseTargets()) {
  describe(`payments CSV export on ${target}`, () => {
    let world: PaymentsWorld;
    let customerNumber: number;
    let first: number;
    const ids: string[] = [];
    const { openInvoice, saveCard, pay } = paymentSteps(() => ({ world, customerNumber }));
    const csv = async (path: string) => {
      const res = await fetch(`${world.url}${path}`, { headers: { authorization: `Bearer ${world.agency.apiKey}` } });
      return { res, text: await res.text() };
    };

    before(async () => {
      world = await startPaymentsWorld(target);
      for (const [name, amount] of [
        ['Jane Smith', 12345.67],
        ['Ann Other', 0.05],
      ] as const) {
        customerNumber = (await world.api.post('/api/v1/customers', { type: 'individual', name })).body.customerNumber;
        first ??= customerNumber;
        const { invoiceNumber } = await openInvoice(amount);
        ids.push(await pay(await saveCard(CARD_SUCCEEDS), invoiceNumber, amount));
      }
    });
    after(async () => world.close());

    it('exports one row per payment, amounts as dollars from cents', async () => {
      const { res, text } = await csv('/api/v1/payments/export.csv');
      assert.equal(res.status, 200, text);
      assert.equal(res.headers.get('content-type'), 'text/csv; charset=utf-8');
      assert.match(
        res.headers.get('content-disposition') ?? '',
        /^attachment; filename="payments-\d{4}-\d{2}-\d{2}\.csv"$/,
      );
      const rows = records(text);
      assert.deepEqual(rows.map((r) => r.id).sort(), [...ids].sort());
      const byId = new Map(rows.map((r) => [r.id, r]));
      assert.equal(byId.get(ids[0]!)!.amount, '12345.67');
      assert.equal(byId.get(ids[1]!)!.amount, '0.05');
      assert.equal(byId.get(ids[0]!)!.customerNumber, String(first));
      assert.equal(byId.get(ids[0]!)!.bankShortName, 'OPER');
    });

    it("applies the list's customer and state filters", async () => {
      const mine = records((await csv(`/api/v1/payments/export.csv?customerNumber=${first}`)).text);
      assert.deepEqual(
        mine.map((r) => r.id),
        [ids[0]],
      );
      const state = mine[0]!.state!;
      const inState = records((await csv(`/api/v1/payments/export.csv?state=${state}`)).text);
      assert.ok(inState.some((r) => r.id === ids[0]));
      assert.ok(inState.every((r) => r.state === state));
      const bad = await world.api.get('/api/v1/payments/export.csv?state=nonsense');
      assert.equal(bad.status, 400);
    });

    it("reads in keyset pages, and never another agency's payments", async () => {
      const pages = await collect(exportPayments(world.database.db, world.agency.actor, {}, 1));
      assert.deepEqual(
        pages.map((page) => page.length),
        [1, 1],
      );
      assert.deepEqual(
        pages.flat().map((p) => p.id),
        [...ids].sort(),
      );
      const other = await createTestAgency(world.database.db, 'Other Agency');
      assert.deepEqual(await collect(exportPayments(world.database.db, other.actor, {})), []);
    });
  });
}
