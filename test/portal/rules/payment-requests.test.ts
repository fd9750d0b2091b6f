import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkoutLimits, checkoutRefusal } from '../../../src/eligibility/rules/checkout-limits.ts';
import { describeMethod, escapeHtml, paymentRequestEmail } from '../../../src/email/rules/templates.ts';
import {
  paymentRequestExpiresOn,
  readPaymentRequestState,
  refusalFor,
} from '../../../src/portal/rules/payment-requests.ts';

describe('payment request states', () => {
  it('expires the day after due date + expiry days, and only a request still waiting for payment', () => {
    const expiresOn = paymentRequestExpiresOn('2026-01-31', 30);
    assert.equal(expiresOn, '2026-03-02');
    assert.equal(readPaymentRequestState('requested', expiresOn, '2026-03-02'), 'requested');
    assert.equal(readPaymentRequestState('requested', expiresOn, '2026-03-03'), 'expired');
    for (const stored of ['paid', 'finalized', 'cancelled'] as const) {
      assert.equal(readPaymentRequestState(stored, expiresOn, '2030-01-01'), stored);
    }
    assert.equal(paymentRequestExpiresOn('2026-05-01', 0), '2026-05-01');
  });

  it('allows paying only a requested request, finalizing only a paid one, cancelling an unpaid one', () => {
    assert.equal(refusalFor('pay', 'requested'), null);
    assert.equal(refusalFor('pay', 'expired'), 'the payment request has expired');
    assert.equal(refusalFor('pay', 'paid'), 'the payment request is already paid');
    assert.equal(refusalFor('finalize', 'paid'), null);
    assert.equal(refusalFor('finalize', 'requested'), 'the payment request is requested; it cannot be finalized');
    assert.equal(refusalFor('cancel', 'expired'), null);
    assert.equal(refusalFor('cancel', 'paid'), 'the payment request is paid; it cannot be cancelled');
  });
});

describe('e-mail templates', () => {
  it('escapes everything that goes into HTML', () => {
    assert.equal(
      escapeHtml(`<a href="x">Tom & 'Jerry'</a>`),
      '&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;',
    );
    const mail = paymentRequestEmail({
      agencyName: 'A <b>bold</b> agency',
      contactName: '<script>alert(1)</script>',
      amountCents: 12_345n,
      dueDate: '2026-12-01',
      note: 'Down "payment"',
      link: 'https://pay.example/portal/enroll?agency=a&token=t',
      enrolled: false,
    });
    assert.ok(!mail.html.includes('<script>'));
    assert.ok(!mail.html.includes('<b>bold</b>'));
    assert.ok(mail.html.includes('href="https://pay.example/portal/enroll?agency=a&amp;token=t"'));
    assert.ok(mail.text.includes('https://pay.example/portal/enroll?agency=a&token=t'));
    assert.ok(mail.text.includes('$123.45'));
    assert.equal(mail.subject, 'A <b>bold</b> agency: payment of $123.45 requested');
  });

  it('keeps subjects on one line', () => {
    const mail = paymentRequestEmail({
      agencyName: 'Evil\r\nBcc: victim@example.com',
      contactName: 'X',
      amountCents: 100n,
      dueDate: '2026-12-01',
      note: null,
      link: 'https://x.example',
      enrolled: true,
    });
    assert.ok(!/[\r\n]/.test(mail.subject));
  });

  it('never shows more than the last 4 digits of a card or account', () => {
    assert.equal(describeMethod({ type: 'card', brand: 'visa', last4: '4242' }), 'Visa ending in 4242');
    assert.equal(describeMethod({ type: 'card', brand: null, last4: '4111111111111111' }), 'Card ending in 1111');
    assert.equal(describeMethod({ type: 'ach', last4: '000123456789' }), 'Bank account ending in 6789');
  });
});

describe('portal checkout limits', () => {
  const invoices = [
    { balanceCents: 10_000n, dueDate: '2026-01-01' },
    { balanceCents: 5_000n, dueDate: '2026-02-01' },
    { balanceCents: 0n, dueDate: '2025-12-01' },
  ];

  it('are the currently due and the payoff amounts of the whole account, only when enforced', () => {
    assert.deepEqual(checkoutLimits(invoices, '2026-01-15', true), {
      enforced: true,
      minimumCents: 10_000n,
      maximumCents: 15_000n,
    });
    assert.deepEqual(checkoutLimits(invoices, '2026-01-15', false), {
      enforced: false,
      minimumCents: null,
      maximumCents: null,
    });
  });

  it('refuse above the payoff, and below the currently due when paying the account as a whole', () => {
    const limits = checkoutLimits(invoices, '2026-01-15', true);
    assert.match(checkoutRefusal(limits, 15_001n, { minimum: true })!, /up to the payoff amount, \$150\.00/);
    assert.equal(checkoutRefusal(limits, 15_000n, { minimum: true }), null);
    assert.match(checkoutRefusal(limits, 9_999n, { minimum: true })!, /at least the currently due amount, \$100\.00/);
    assert.equal(checkoutRefusal(limits, 9_999n, { minimum: false }), null);
    assert.equal(checkoutRefusal(checkoutLimits(invoices, '2026-01-15', false), 99_999_999n, { minimum: true }), null);
  });
});
