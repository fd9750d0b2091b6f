import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideInvoice, type LocalPolicyRef } from '../../../src/sync/rules/opening-ar.ts';
import type { ExternalInvoice } from '../../../src/sync/rules/records.ts';

const policy: LocalPolicyRef = { id: 'policy-1', customerId: 'customer-1', planId: null };
const invoice = (changes: Partial<ExternalInvoice> = {}): ExternalInvoice => ({
  externalId: '90001',
  policyNumber: 'P-1',
  dueDate: '2026-10-01',
  amount: '300.00',
  openBalance: '120.50',
  ...changes,
});
const facts = (changes: Partial<Parameters<typeof decideInvoice>[2]> = {}) => ({
  customerId: 'customer-1',
  matches: [] as string[],
  policy,
  ...changes,
});

describe('what an AMS invoice becomes (opening AR)', () => {
  it('links the one local invoice it matches, whatever its open balance', () => {
    assert.deepEqual(decideInvoice('ams', invoice(), facts({ matches: ['local-1'] })), {
      kind: 'link',
      localId: 'local-1',
    });
    assert.deepEqual(decideInvoice('ams', invoice({ openBalance: '0' }), facts({ matches: ['local-1'] })), {
      kind: 'link',
      localId: 'local-1',
    });
  });

  it('sends several matches to review and creates nothing', () => {
    const decision = decideInvoice('ams', invoice(), facts({ matches: ['a', 'b'] }));
    assert.equal(decision.kind, 'skip');
    assert.equal(decision.kind === 'skip' && decision.action, 'review');
  });

  it('opens AR for the open balance of an unmatched invoice under a policy of its customer', () => {
    const decision = decideInvoice('ams', invoice(), facts());
    assert.equal(decision.kind, 'create');
    if (decision.kind !== 'create') return;
    assert.equal(decision.amountCents, 30_000n);
    assert.equal(decision.openBalanceCents, 12_050n);
    assert.equal(decision.dueDate, '2026-10-01');
    assert.equal(decision.policy, policy);
    assert.match(decision.message, /\$120\.50 open of \$300\.00 billed in the AMS \(AMS invoice 90001\)/);
    // Wholly open: the open balance is the amount.
    const whole = decideInvoice('ams', invoice({ openBalance: '300' }), facts());
    assert.equal(whole.kind === 'create' && whole.openBalanceCents, 30_000n);
  });

  const skips: [string, ExternalInvoice, Partial<Parameters<typeof decideInvoice>[2]>, string, RegExp][] = [
    [
      'no open balance carried (the mapping names none): link only',
      invoice({ openBalance: null }),
      {},
      'unmatched',
      /^no local invoices of policy P-1 due 2026-10-01 for 300\.00$/,
    ],
    [
      'paid in full: nothing owed',
      invoice({ openBalance: '0.00' }),
      {},
      'skipped',
      /paid in full in the AMS: nothing is owed/,
    ],
    ['no policy here', invoice(), { policy: undefined }, 'unmatched', /its policy P-1 is not known here/],
    [
      'no policy number',
      invoice({ policyNumber: null }),
      { policy: undefined },
      'unmatched',
      /its policy \(none\) is not known here/,
    ],
    [
      "the policy is another customer's",
      invoice(),
      { customerId: 'customer-2' },
      'conflict',
      /belongs to another customer/,
    ],
    ['an amount that is not one', invoice({ amount: 'lots' }), {}, 'invalid', /the amount "lots" is not an amount/],
    ['a negative amount', invoice({ amount: '-5' }), {}, 'invalid', /the amount "-5" is not an amount/],
    [
      'an open balance that is not an amount',
      invoice({ openBalance: '1.234' }),
      {},
      'invalid',
      /the open balance "1\.234" is not an amount/,
    ],
    [
      'an open balance above the amount',
      invoice({ openBalance: '300.01' }),
      {},
      'invalid',
      /greater than the amount 300\.00/,
    ],
    [
      'a due date that is not a date',
      invoice({ dueDate: '2026-02-30' }),
      {},
      'invalid',
      /the due date "2026-02-30" is not a date/,
    ],
    ['no due date', invoice({ dueDate: null }), {}, 'invalid', /the due date null is not a date/],
  ];
  for (const [what, item, changes, action, message] of skips) {
    it(`skips, logged ${action}: ${what}`, () => {
      const decision = decideInvoice('ams', item, facts(changes));
      assert.equal(
        decision.kind,
        'skip',
        JSON.stringify(decision, (_k, v) => (typeof v === 'bigint' ? `${v}` : v)),
      );
      if (decision.kind !== 'skip') return;
      assert.equal(decision.action, action);
      assert.match(decision.message, message);
    });
  }

  it("opens AR only from the AMS: another system's invoice is linked or left alone", () => {
    const decision = decideInvoice('benefits', invoice(), facts());
    assert.equal(decision.kind === 'skip' && decision.action, 'unmatched');
  });
});
