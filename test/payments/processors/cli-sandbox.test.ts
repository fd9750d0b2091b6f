import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CARD_SUCCEEDS, CARD_SUCCEEDS_AMEX } from '../../../src/payments/processors/sandbox/test-numbers.ts';
import { groupCardNumber, runSandbox } from '../../../src/platform/cli/sandbox.ts';
import { tokenizeCard } from './helpers.ts';

describe('policypay sandbox (runSandbox)', () => {
  it('prints its URL, the test numbers grouped (no card-number-like digit run) and a secret hint', async () => {
    const lines: string[] = [];
    const sandbox = await runSandbox({
      port: 0,
      webhookSecret: 'whsec_cli_secret_value',
      print: (text) => lines.push(text),
    });
    try {
      const output = lines.join('\n');
      assert.ok(output.includes(sandbox.url));
      assert.ok(output.includes('4242 4242 4242 4242'));
      assert.ok(output.includes('3782 822463 10005'));
      assert.doesNotMatch(output, /\d{13,}/);
      assert.ok(output.includes('whsec_…ue'));
      assert.ok(!output.includes('whsec_cli_secret_value'));
      // What it prints is what the tokenize endpoint takes.
      const grouped = await tokenizeCard(sandbox.url, groupCardNumber(CARD_SUCCEEDS));
      assert.equal(grouped.status, 200);
      assert.equal(grouped.body.last4, '4242');
    } finally {
      await sandbox.close();
    }
    assert.equal(groupCardNumber(CARD_SUCCEEDS_AMEX), '3782 822463 10005');
    assert.equal(groupCardNumber('4000000000000000003'), '4000 0000 0000 0000 003');
  });
});
