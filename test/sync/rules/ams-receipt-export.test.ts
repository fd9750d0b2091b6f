import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  amsReceiptBody,
  amsReceiptIdempotencyKey,
  amsReceiptReference,
  judgeAmsAnswer,
  judgeLookupAnswer,
  MAX_EXPORT_ATTEMPTS,
  nextExportAttempt,
} from '../../../src/sync/rules/ams-receipt-export.ts';

const receipt = {
  receiptNumber: 42,
  customerNumber: 1001,
  amountCents: 15_025n,
  receiptDate: '2026-11-20',
  receiptTimeZone: 'America/Chicago',
  bankShortName: 'OPER',
  paymentCheckType: 'CreditCard' as const,
  description: 'Card payment 123',
  payerCheckNumber: null,
  items: [
    { invoiceNumber: 7, amountCents: 10_000n, description: 'Invoice 7' },
    { invoiceNumber: null, amountCents: 5_025n, description: 'On Account' },
  ],
};

describe('the AMS360 receipt body', () => {
  it('is a CustomerCashReceiptPostRequest with our reference, amounts in dollars and a Windows zone', () => {
    assert.deepEqual(amsReceiptBody(receipt), {
      customerNumber: 1001,
      invoiceInformations: [
        { invoiceNumber: 7, paymentAmount: 100, invoicePaymentDescription: 'Invoice 7' },
        { paymentAmount: 50.25, invoicePaymentDescription: 'On Account' },
      ],
      receiptAmount: 150.25,
      receiptDate: '2026-11-20',
      receiptDateTimeZone: 'Central Standard Time',
      bankShortName: 'OPER',
      receiptDescription: 'PP-42 Card payment 123',
      paymentCheckType: 'CreditCard',
    });
  });

  it('keeps the check number for checks only, an unknown zone as IANA, and descriptions within 500 characters', () => {
    const body = amsReceiptBody({
      ...receipt,
      paymentCheckType: 'Check',
      payerCheckNumber: '1234',
      receiptTimeZone: 'Antarctica/Troll',
      description: 'x'.repeat(600),
    });
    assert.equal(body.payerCheckNumber, '1234');
    assert.equal(body.receiptDateTimeZone, 'Antarctica/Troll'); // Windows has no zone for Troll
    assert.equal(body.receiptDescription.length, 500);
    assert.ok(body.receiptDescription.startsWith('PP-42 '));
    assert.equal(amsReceiptBody({ ...receipt, payerCheckNumber: '1234' }).payerCheckNumber, undefined);
  });

  it('has a reference and an idempotency key that never change for a receipt', () => {
    assert.equal(amsReceiptReference(42), 'PP-42');
    assert.equal(amsReceiptIdempotencyKey('abc'), 'policypay-receipt-abc');
  });
});

describe('reading the AMS answer', () => {
  it('takes 2xx and a duplicate-reference 409 as sent', () => {
    assert.deepEqual(judgeAmsAnswer({ kind: 'response', status: 201, body: { receiptId: 'R1' } }), {
      outcome: 'sent',
      amsReceiptId: 'R1',
      note: null,
    });
    const duplicate = judgeAmsAnswer({
      kind: 'response',
      status: 409,
      body: { code: 'duplicate_reference', title: 'Duplicate external reference', receiptId: 'R9' },
    });
    assert.equal(duplicate.outcome, 'sent');
    assert.equal(duplicate.outcome === 'sent' && duplicate.amsReceiptId, 'R9');
  });

  it('retries no answer, 5xx, 408, 429 and a 409 that is not a duplicate', () => {
    for (const answer of [
      { kind: 'no_response' as const, reason: 'timed out' },
      { kind: 'response' as const, status: 500, body: 'oops' },
      { kind: 'response' as const, status: 503, body: null },
      { kind: 'response' as const, status: 408, body: null },
      { kind: 'response' as const, status: 429, body: null },
      { kind: 'response' as const, status: 409, body: { title: 'request in progress' } },
    ]) {
      assert.equal(judgeAmsAnswer(answer).outcome, 'retry', JSON.stringify(answer));
    }
  });

  it('fails any other 4xx with the problem shown', () => {
    const verdict = judgeAmsAnswer({
      kind: 'response',
      status: 422,
      body: { title: 'Unprocessable receipt', errors: [{ path: 'bankShortName', message: 'unknown bank' }] },
    });
    assert.equal(verdict.outcome, 'failed');
    assert.match(
      verdict.outcome === 'failed' ? verdict.reason : '',
      /HTTP 422: Unprocessable receipt — bankShortName unknown bank/,
    );
    assert.equal(judgeAmsAnswer({ kind: 'response', status: 401, body: null }).outcome, 'failed');
  });
});

describe('reading a lookup by reference', () => {
  it('finds a receipt in a list, takes an empty list or 404 as absent, and anything else as unknown', () => {
    assert.deepEqual(judgeLookupAnswer({ kind: 'response', status: 200, body: { data: [{ receiptId: 'R7' }] } }), {
      found: true,
      amsReceiptId: 'R7',
    });
    assert.deepEqual(judgeLookupAnswer({ kind: 'response', status: 200, body: [{ id: 8 }] }), {
      found: true,
      amsReceiptId: '8',
    });
    assert.deepEqual(judgeLookupAnswer({ kind: 'response', status: 200, body: { data: [] } }), { found: false });
    assert.deepEqual(judgeLookupAnswer({ kind: 'response', status: 404, body: null }), { found: false });
    for (const answer of [
      { kind: 'no_response' as const, reason: 'timed out' },
      { kind: 'response' as const, status: 500, body: null },
      { kind: 'response' as const, status: 200, body: { receipts: 'none' } },
    ]) {
      assert.ok('unknown' in judgeLookupAnswer(answer), JSON.stringify(answer));
    }
  });
});

describe('retry timing', () => {
  it('backs off from seconds to hours, then gives up', () => {
    const now = new Date('2026-11-20T12:00:00Z');
    const delays = [1, 2, 3, 7, 20].map((n) => (nextExportAttempt(n, now)?.getTime() ?? 0) - now.getTime());
    assert.deepEqual(delays, [10_000, 30_000, 120_000, 7_200_000, 7_200_000]);
    assert.equal(nextExportAttempt(MAX_EXPORT_ATTEMPTS, now), null);
  });
});
