// My Payments' words for payment and request states (issue 16, item 9): a declined payment reads
// "Declined" whatever state the decline left it in, never "Cancelled"; no engine state name shows.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { paymentStatusWords, requestStatusWords } from '../../src/web/portal/payment-words.ts';

const card = (state: string, declined = false) => ({ state, declined, type: 'card' as const });

test('payments: declined wherever the decline left them, and plain words for every state', () => {
  for (const state of ['cancelled', 'failed', 'requested'])
    assert.equal(paymentStatusWords(card(state, true)), 'Declined');
  assert.equal(paymentStatusWords(card('cancelled')), 'Cancelled');
  assert.equal(paymentStatusWords(card('posted')), 'Paid');
  assert.equal(paymentStatusWords(card('requested')), 'Scheduled');
  assert.equal(paymentStatusWords(card('executing')), 'Processing');
  assert.match(paymentStatusWords({ state: 'executing', declined: false, type: 'ach' }), /^Processing \(bank/);
  assert.equal(paymentStatusWords(card('failed')), 'Did not go through');
  assert.match(paymentStatusWords(card('reversed')), /^Reversed/);
  for (const state of [
    'draft',
    'validated',
    'requested',
    'executing',
    'posted',
    'failed',
    'cancelled',
    'reversed',
    'new',
  ]) {
    const words = paymentStatusWords(card(state));
    assert.doesNotMatch(words, /_|^[a-z]/, `${state} → ${words}`);
  }
});

test('requests: what the client can do about them', () => {
  assert.equal(requestStatusWords('requested'), 'Waiting for your payment');
  assert.match(requestStatusWords('expired'), /^Expired: ask your agency/);
  assert.equal(requestStatusWords('cancelled'), 'Cancelled by your agency');
  assert.equal(requestStatusWords('finalized'), 'Paid');
});
