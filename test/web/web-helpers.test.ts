// Pure helpers of the web UI: amount parsing, money and label formatting, portal routes, and how
// problem+json field errors map onto form fields.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiError } from '../../src/web/console/api/api.ts';
import { formatMoney, humanize, parseAmountInput, requestStateLabel } from '../../src/web/console/shared/format.ts';
import { fieldErrorsOf } from '../../src/web/console/shared/problem-fields.ts';
import { isPublic, matchPortalRoute } from '../../src/web/portal/routes.ts';

test('parseAmountInput accepts positive dollar amounts with at most 2 decimals', () => {
  assert.equal(parseAmountInput('125'), 125);
  assert.equal(parseAmountInput(' $1,234.5 '), 1234.5);
  assert.equal(parseAmountInput('0.01'), 0.01);
  for (const bad of ['', '0', '0.00', '-5', '1.234', '1e3', 'abc', '12.', '.5', '123456789012']) {
    assert.equal(parseAmountInput(bad), null, bad);
  }
});

test('money and labels', () => {
  assert.equal(formatMoney(1234.5), '$1,234.50');
  assert.equal(formatMoney(-0), '$0.00');
  assert.equal(humanize('cancellation_pending'), 'Cancellation pending');
  assert.equal(requestStateLabel('paid'), 'Paid – finalize');
  assert.equal(requestStateLabel('something_new'), 'something_new');
});

test('portal routes', () => {
  assert.deepEqual(matchPortalRoute('/portal'), { name: 'dashboard' });
  assert.deepEqual(matchPortalRoute('/portal/'), { name: 'dashboard' });
  assert.deepEqual(matchPortalRoute('/portal/enroll?agency=demo&token=abc'), {
    name: 'enroll',
    agency: 'demo',
    token: 'abc',
  });
  assert.deepEqual(matchPortalRoute('/portal/sign-in?agency=demo&token=t&request=r1'), {
    name: 'sign-in',
    agency: 'demo',
    token: 't',
    requestId: 'r1',
  });
  assert.deepEqual(matchPortalRoute('/portal/pay'), { name: 'checkout', requestId: null });
  assert.deepEqual(matchPortalRoute('/portal/pay/0b6f7c1e-93a1-4a52-b1f5-9d0e6e0f1a2b'), {
    name: 'checkout',
    requestId: '0b6f7c1e-93a1-4a52-b1f5-9d0e6e0f1a2b',
  });
  assert.deepEqual(matchPortalRoute('/portal/pay/../../api'), { name: 'not-found' });
  assert.deepEqual(matchPortalRoute('/portal/elsewhere'), { name: 'not-found' });
  assert.equal(isPublic(matchPortalRoute('/portal/sign-in')), true);
  assert.equal(isPublic(matchPortalRoute('/portal/payments')), false);
});

test('problem field errors map onto form fields by the first path segment', () => {
  const error = new ApiError({
    title: 'Invalid request',
    status: 400,
    errors: [
      { path: 'amount', message: 'must be positive' },
      { path: '/invoices/0/amount', message: 'too many decimals' },
      { path: 'body.dueDate', message: 'must be a date' },
      { path: 'amount', message: 'second message is ignored' },
    ],
  });
  assert.deepEqual(fieldErrorsOf(error), {
    amount: 'must be positive',
    invoices: 'too many decimals',
    dueDate: 'must be a date',
  });
  assert.deepEqual(fieldErrorsOf(new Error('network')), {});
});
