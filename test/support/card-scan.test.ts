// The leak scan the payment and portal tests run over databases, logs and e-mails: it must find a
// card number and must not flag what a database is full of (hashes, tokens, timestamps).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findCardNumbers } from './payments.ts';

test('finds card numbers of each network standing alone in text', () => {
  const cards = ['4242424242424242', '4222222222222', '5555555555554444', '2223003122003222', '378282246310005'];
  cards.push('6011111111111117', '3566002020360505', '36227206271667');
  for (const card of cards) {
    assert.deepEqual(findCardNumbers(`{"pan":"${card}"} leaked ${card}.`), [card, card], card);
  }
});

test('ignores digit runs inside hashes, wrong lengths for the prefix, failed Luhn and timestamps', () => {
  // A 13-digit run that passes Luhn with Discover's prefix (Discover issues 16–19 digits): seen once
  // in a CI run's database dump.
  assert.deepEqual(findCardNumbers('id 6469519825203 end'), []);
  assert.deepEqual(findCardNumbers('sha256 ab4242424242424242cd'), []);
  assert.deepEqual(findCardNumbers('4242424242424241'), [], 'fails Luhn');
  assert.deepEqual(findCardNumbers('"at":1763733000123 "ms":0.4242424242424242'), []);
});
