import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { defaultAutopayPlugin } from '../../../src/autopay/plugins/default-plugin.ts';
import { loadAutopayPlugin, parseAutopayDecision } from '../../../src/autopay/plugins/plugin.ts';
import {
  type AutopayContext,
  type AutopayInvoice,
  autopaySkipReason,
  isFinalSkip,
  nextFiringRetry,
  resolveAutopayDecision,
  skipKey,
} from '../../../src/autopay/rules/autopay.ts';

const NOW = new Date('2026-03-05T12:00:00Z');
const invoice: AutopayInvoice = {
  invoiceNumber: 1001,
  customerNumber: 7,
  policyNumber: 'AUTO-1',
  amountCents: 50_000n,
  balanceCents: 42_000n,
  currency: 'USD',
  dueDate: '2026-03-10',
  autopayTime: new Date('2026-03-05T12:00:00Z'),
};
const context: AutopayContext = {
  now: NOW,
  agency: { id: 'a', slug: 'harbor', timeZone: 'America/Chicago' },
  customer: { customerNumber: 7, name: 'Jane Smith' },
  enrollment: { paymentMethodId: 'pm-1', paymentMethodKind: 'card', enrolledAt: new Date('2026-01-01T00:00:00Z') },
  policy: { policyNumber: 'AUTO-1', status: 'active' },
};

describe('autopay decisions', () => {
  it('fills the defaults: enrolled method and its kind, open balance, requested, the invoice as target', () => {
    assert.deepEqual(resolveAutopayDecision({ payment: {} }, invoice, context), {
      kind: 'payment',
      payment: {
        type: 'card',
        amountCents: 42_000n,
        state: 'requested',
        currency: 'USD',
        paymentMethodId: 'pm-1',
        targets: [{ invoiceNumber: 1001, amountCents: 42_000n }],
        retryPlan: undefined,
        bankShortName: undefined,
        extension: {},
        nextRequestTime: null,
      },
    });
  });

  it('the default plugin charges the enrolled method for the open balance, requested', async () => {
    const decision = await defaultAutopayPlugin(invoice, context);
    const action = resolveAutopayDecision(decision, invoice, context);
    assert.equal(action.kind, 'payment');
    if (action.kind !== 'payment') return;
    assert.equal(action.payment.state, 'requested');
    assert.equal(action.payment.amountCents, 42_000n);
    assert.equal(action.payment.paymentMethodId, 'pm-1');
    assert.deepEqual(action.payment.targets, [{ invoiceNumber: 1001, amountCents: 42_000n }]);
  });

  it('targets the invoice up to its balance; more goes On Account, less pays part', () => {
    const more = resolveAutopayDecision({ payment: { amountCents: 50_000n } }, invoice, context);
    assert.ok(more.kind === 'payment');
    assert.deepEqual(more.payment.targets, [{ invoiceNumber: 1001, amountCents: 42_000n }]);
    const less = resolveAutopayDecision({ payment: { amountCents: 10_000n } }, invoice, context);
    assert.ok(less.kind === 'payment');
    assert.deepEqual(less.payment.targets, [{ invoiceNumber: 1001, amountCents: 10_000n }]);
  });

  it('treats null, an empty decision and a decision without payment as no payment', () => {
    assert.deepEqual(resolveAutopayDecision(null, invoice, context), { kind: 'no_payment' });
    assert.deepEqual(resolveAutopayDecision({}, invoice, context), { kind: 'no_payment' });
  });

  it('delays execution to a future nextRequestTime; a past one means now', () => {
    const later = new Date('2026-03-08T15:00:00Z');
    const delayed = resolveAutopayDecision({ payment: {}, nextRequestTime: later }, invoice, context);
    assert.ok(delayed.kind === 'payment');
    assert.equal(delayed.payment.nextRequestTime, later);
    const past = resolveAutopayDecision(
      { payment: {}, nextRequestTime: new Date('2026-03-01T00:00:00Z') },
      invoice,
      context,
    );
    assert.ok(past.kind === 'payment');
    assert.equal(past.payment.nextRequestTime, null);
  });

  it('refuses nextRequestTime without a payment or with a payment that is not requested', () => {
    const later = new Date('2026-03-08T15:00:00Z');
    assert.equal(resolveAutopayDecision({ nextRequestTime: later }, invoice, context).kind, 'invalid');
    for (const state of ['draft', 'validated', 'posted'] as const) {
      assert.equal(
        resolveAutopayDecision({ payment: { state }, nextRequestTime: later }, invoice, context).kind,
        'invalid',
      );
    }
  });

  it('refuses a zero amount (an invoice with no balance and no amount given)', () => {
    const paid = { ...invoice, balanceCents: 0n };
    assert.equal(resolveAutopayDecision({ payment: {} }, paid, context).kind, 'invalid');
  });
});

describe('failed firing retries', () => {
  it("waits the retry plan's delay for each failure, and stops after the last", () => {
    const failedAt = new Date('2026-03-05T12:00:00Z');
    const plan = [1, 3, 5];
    assert.deepEqual(
      [1, 2, 3, 4].map((failures) => nextFiringRetry(plan, failures, failedAt)?.toISOString() ?? null),
      ['2026-03-06T12:00:00.000Z', '2026-03-08T12:00:00.000Z', '2026-03-10T12:00:00.000Z', null],
    );
    assert.equal(nextFiringRetry([], 1, failedAt), null);
  });
});

describe('autopay skip reasons', () => {
  const ready = { balanceCents: 1n, suppressed: false, enrolled: true, methodUsable: true, paymentInProgress: false };

  it('fires only what has a balance, is not suppressed, is enrolled with a usable method and has nothing in flight', () => {
    assert.equal(autopaySkipReason(ready), null);
    assert.equal(autopaySkipReason({ ...ready, balanceCents: 0n }), 'no_balance');
    assert.equal(autopaySkipReason({ ...ready, balanceCents: -5n }), 'no_balance');
    assert.equal(autopaySkipReason({ ...ready, suppressed: true }), 'suppressed');
    assert.equal(autopaySkipReason({ ...ready, enrolled: false, methodUsable: false }), 'not_enrolled');
    assert.equal(autopaySkipReason({ ...ready, methodUsable: false }), 'payment_method_unusable');
    assert.equal(autopaySkipReason({ ...ready, paymentInProgress: true }), 'payment_in_progress');
  });

  it('reports the first reason in order: no balance, suppressed, not enrolled', () => {
    assert.equal(autopaySkipReason({ ...ready, balanceCents: 0n, suppressed: true, enrolled: false }), 'no_balance');
    assert.equal(autopaySkipReason({ ...ready, suppressed: true, enrolled: false }), 'suppressed');
  });

  it('makes a skip final once the due date has passed', () => {
    assert.equal(isFinalSkip('2026-03-10', '2026-03-05'), false);
    assert.equal(isFinalSkip('2026-03-10', '2026-03-10'), false);
    assert.equal(isFinalSkip('2026-03-10', '2026-03-11'), true);
  });

  it('counts ineligible skips by their eligibility reason', () => {
    assert.equal(skipKey('not_enrolled'), 'not_enrolled');
    assert.equal(skipKey('ineligible', 'policy_expired'), 'ineligible:policy_expired');
  });
});

describe('autopay plugin boundary', () => {
  it('accepts a well-formed decision, null and undefined', () => {
    const decision = {
      payment: {
        type: 'ach',
        amountCents: 100n,
        state: 'posted',
        targets: [{ invoiceNumber: 1, amountCents: 100n }],
        extension: { ref: 'x' },
      },
      nextRequestTime: new Date(),
    };
    assert.deepEqual(parseAutopayDecision(decision), decision);
    assert.equal(parseAutopayDecision(null), null);
    assert.equal(parseAutopayDecision(undefined), null);
  });

  it('refuses unknown fields, number amounts, non-positive amounts and bad states, naming the field', () => {
    const cases: [unknown, RegExp][] = [
      [{ payment: { amount: 100n } }, /payment/],
      [{ payment: { amountCents: 100 } }, /payment\.amountCents/],
      [{ payment: { amountCents: 0n } }, /payment\.amountCents/],
      [{ payment: { state: 'executing' } }, /payment\.state/],
      [{ nextRequestTime: '2026-03-05' }, /nextRequestTime/],
      ['yes', /decision/],
    ];
    for (const [value, pattern] of cases) {
      assert.throws(
        () => parseAutopayDecision(value),
        pattern,
        JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v)),
      );
    }
  });

  it('loads the default plugin without AUTOPAY_PLUGIN, and an agency module by path', async () => {
    assert.equal((await loadAutopayPlugin({})).plugin, defaultAutopayPlugin);
    const dir = await mkdtemp(join(tmpdir(), 'policypay-plugin-'));
    const file = join(dir, 'agency-autopay.mjs');
    await writeFile(file, 'export default async (invoice) => ({ payment: { amountCents: invoice.balanceCents } });\n');
    const loaded = await loadAutopayPlugin({ AUTOPAY_PLUGIN: file });
    assert.equal(loaded.name, file);
    assert.deepEqual(await loaded.plugin(invoice, context), { payment: { amountCents: 42_000n } });
    const named = join(dir, 'named.mjs');
    await writeFile(named, 'export const autopayPlugin = async () => null;\n');
    assert.equal(await (await loadAutopayPlugin({ AUTOPAY_PLUGIN: named })).plugin(invoice, context), null);
  });

  it('refuses a module that cannot be loaded or exports no plugin function', async () => {
    await assert.rejects(loadAutopayPlugin({ AUTOPAY_PLUGIN: '/nonexistent/plugin.mjs' }), /could not be loaded/);
    const dir = await mkdtemp(join(tmpdir(), 'policypay-plugin-'));
    const file = join(dir, 'not-a-plugin.mjs');
    await writeFile(file, 'export default 42;\n');
    await assert.rejects(loadAutopayPlugin({ AUTOPAY_PLUGIN: file }), /must export an autopay plugin function/);
    await assert.rejects(loadAutopayPlugin({ AUTOPAY_PLUGIN: 'x'.repeat(1_001) }), /too long/);
    assert.equal((await loadAutopayPlugin({ AUTOPAY_PLUGIN: '  ' })).plugin, defaultAutopayPlugin);
  });
});
