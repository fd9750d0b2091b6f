// Pure rules behind issue 16 items 2, 4 and 9: the finalize proposal, the search terms, the words.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { activityWords, actorName, labelledEmails } from '../../../src/customers/rules/activity-words.ts';
import { customerSearchTerms } from '../../../src/customers/rules/customer-search.ts';
import { proposeFinalizeApplications } from '../../../src/portal/rules/finalize-applications.ts';

describe('the finalize proposal', () => {
  const open = [
    { invoiceNumber: 7, balanceCents: 50_000n, dueDate: '2027-03-01' },
    { invoiceNumber: 5, balanceCents: 30_000n, dueDate: '2027-01-01' },
    { invoiceNumber: 6, balanceCents: 10_000n, dueDate: '2027-01-01' },
  ];
  it('fills open invoices oldest due first (ties by number) when the request named none; the rest On Account', () => {
    assert.deepEqual(proposeFinalizeApplications(45_000n, [], open), {
      applications: [
        { invoiceNumber: 5, amountCents: 30_000n },
        { invoiceNumber: 6, amountCents: 10_000n },
        { invoiceNumber: 7, amountCents: 5_000n },
      ],
      onAccountCents: 0n,
    });
    assert.deepEqual(proposeFinalizeApplications(100_000n, [], open).onAccountCents, 10_000n);
    assert.deepEqual(proposeFinalizeApplications(100n, [], []), { applications: [], onAccountCents: 100n });
  });
  it("takes the request's invoices up to their open balance; what they cannot take goes On Account", () => {
    assert.deepEqual(
      proposeFinalizeApplications(
        60_000n,
        [
          { invoiceNumber: 7, amountCents: 20_000n },
          { invoiceNumber: 6, amountCents: 25_000n }, // only $100 open
          { invoiceNumber: 9, amountCents: 5_000n }, // paid since: not open
        ],
        open,
      ),
      {
        applications: [
          { invoiceNumber: 7, amountCents: 20_000n },
          { invoiceNumber: 6, amountCents: 10_000n },
        ],
        onAccountCents: 30_000n,
      },
    );
  });
});

describe('customer search terms', () => {
  it('reads numbers, phones and text', () => {
    assert.deepEqual(customerSearchTerms(' 1001 '), { pattern: '%1001%', number: 1001, phoneDigits: ['1001'] });
    assert.equal(customerSearchTerms('#1001').number, 1001);
    assert.equal(customerSearchTerms('99999999999').number, null, 'above int4');
    assert.equal(customerSearchTerms('0').number, null);
    assert.deepEqual(customerSearchTerms('+1 (312) 555-1074').phoneDigits, ['13125551074', '3125551074']);
    assert.deepEqual(customerSearchTerms('312.555.1074').phoneDigits, ['3125551074']);
    assert.deepEqual(customerSearchTerms('HO-240013').phoneDigits, [], 'a policy number is no phone');
    assert.deepEqual(customerSearchTerms('123').phoneDigits, [], 'too short for a phone');
    assert.equal(customerSearchTerms('50%_off\\').pattern, '%50\\%\\_off\\\\%');
  });
});

describe('activity words', () => {
  const names = new Map([
    ['dana@demo.example', 'Dana Price'],
    ['jane@client.example', 'Jane Client'],
  ]);
  it('names actors', () => {
    assert.equal(actorName('user:Dana@demo.example', names), 'Dana Price');
    assert.equal(actorName('client:jane@client.example', names), 'Jane Client');
    assert.equal(actorName('user:gone@demo.example', names), 'gone@demo.example');
    assert.equal(actorName('api_key:ams sync', names), 'API key "ams sync"');
    assert.equal(actorName('worker:payments', names), 'the payment processor');
    assert.equal(actorName('something-else', names), 'something-else');
  });
  it('turns texts into words, old ones included', () => {
    assert.deepEqual(labelledEmails('Payment requested by user:dana@demo.example: $1.00'), ['dana@demo.example']);
    assert.equal(
      activityWords('Payment requested by user:dana@demo.example: $250.00 due 2027-01-01', names),
      'Payment requested by Dana Price: $250.00 due 2027-01-01',
    );
    assert.equal(
      activityWords('Card payment of $250.00 requested by user:dana@demo.example', names),
      'Card payment of $250.00 requested by Dana Price',
    );
    assert.equal(activityWords('Payment of card requested', names), 'Card payment requested');
    assert.equal(
      activityWords('Receipt 12: $250.00 by CreditCard deposited to OPER', names),
      'Receipt 12: $250.00 by credit card deposited to OPER',
    );
    assert.equal(
      activityWords('Payment request for $5.00 cancelled by user:dana@demo.example.', names),
      'Payment request for $5.00 cancelled by Dana Price.',
    );
  });
});
