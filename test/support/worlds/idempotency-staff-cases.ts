// Idempotency-Key route cases for the staff API (customers to sync reviews): how to make one
// first request of each route, and another valid body to reuse its key with.
import assert from 'node:assert/strict';
import { CARD_SUCCEEDS } from '../../../src/payments/processors/sandbox/test-numbers.ts';
import { tokenizeCard } from '../payments.ts';
import { autopayRouteCases } from './idempotency-autopay-cases.ts';
import { paymentRouteCases } from './idempotency-payment-cases.ts';
import {
  api,
  customer,
  ok,
  operator,
  paymentRequest,
  policy,
  portalFor,
  type RouteCase,
  receipt,
  review,
  sandbox,
} from './idempotency-world.ts';

/** Names that must differ per call (bank short names, plan and key names). */
let seq = 0;

/** A console user invited now (no password yet), for the routes that act on one. */
async function invitee(): Promise<string> {
  const res = await api.post('/api/v1/users', { email: `user-${++seq}@idem.example`, name: 'Una User', role: 'agent' });
  ok(res, 201);
  return res.body.id;
}

export const staffRouteCases: Record<string, RouteCase> = {
  ...autopayRouteCases,
  ...paymentRouteCases,
  // The operator's: its keys are its own, apart from every agency's. A password is sent, so the
  // answer holds none (a generated one is answered once and never replayed).
  '/api/v1/operator/agencies': {
    status: 201,
    make: async () => {
      const slug = `idem-agency-${++seq}`;
      const body = {
        name: `Idem Agency ${seq}`,
        slug,
        timeZone: 'America/New_York',
        backupEmail: `office@${slug}.example`,
        staffEmail: `owner@${slug}.example`,
        staffName: 'Olive Owner',
        staffPassword: 'a-chosen-password',
      };
      return { client: operator, path: '/api/v1/operator/agencies', body, other: { ...body, name: 'Other Name' } };
    },
  },
  // The fee rule table is the deployment's, edited by the operator.
  '/api/v1/operator/fee-rules': {
    status: 200,
    make: async () => {
      const body = {
        id: `idem-rule-${++seq}`,
        scope: 'ZZ',
        funding: 'credit',
        allowed: true,
        maxPercent: '2.00',
        source: 'Test statute § 1',
        sourceUrl: null,
      };
      return { client: operator, path: '/api/v1/operator/fee-rules', body, other: { ...body, maxPercent: '1.00' } };
    },
  },
  '/api/v1/customers': {
    status: 201,
    make: async () => {
      const name = `New ${++seq}`;
      return {
        client: api,
        path: '/api/v1/customers',
        body: { type: 'individual', name },
        other: { type: 'group', name },
      };
    },
  },
  '/api/v1/customers/{customerNumber}/contacts': {
    status: 201,
    make: async () => {
      const c = await customer();
      return {
        client: api,
        path: `/api/v1/customers/${c.customerNumber}/contacts`,
        body: { name: 'Ann' },
        other: { name: 'Bob' },
      };
    },
  },
  '/api/v1/customers/{customerNumber}/payment-methods': {
    status: 201,
    make: async () => {
      const c = await customer();
      const token = await tokenizeCard(sandbox, CARD_SUCCEEDS);
      return {
        client: api,
        path: `/api/v1/customers/${c.customerNumber}/payment-methods`,
        body: { token },
        other: { token, isDefault: true },
      };
    },
  },
  '/api/v1/customers/{customerNumber}/autopay': {
    status: 200,
    make: async () => {
      const c = await customer();
      return {
        client: api,
        path: `/api/v1/customers/${c.customerNumber}/autopay`,
        body: { paymentMethodId: c.methodId },
        other: {},
      };
    },
  },
  '/api/v1/customers/{customerNumber}/on-account/apply': {
    status: 201,
    make: async () => {
      const c = await customer();
      await receipt(c); // $50 On Account
      return {
        client: api,
        path: `/api/v1/customers/${c.customerNumber}/on-account/apply`,
        body: { invoiceNumber: c.invoiceNumber, amount: 20 },
        other: { invoiceNumber: c.invoiceNumber, amount: 30 },
      };
    },
  },
  '/api/v1/customers/{customerNumber}/sync': {
    status: 202,
    make: async () => {
      const c = await customer();
      return {
        client: api,
        path: `/api/v1/customers/${c.customerNumber}/sync`,
        body: { systems: ['ams'] },
        other: {},
      };
    },
  },
  '/api/v1/installment-plans': {
    status: 201,
    make: async () => {
      const name = `Plan ${++seq}`;
      return {
        client: api,
        path: '/api/v1/installment-plans',
        body: { name, installments: 4, frequency: 'quarterly' },
        other: { name, installments: 2, frequency: 'quarterly' },
      };
    },
  },
  '/api/v1/banks': {
    status: 201,
    make: async () => {
      const shortName = `B${++seq}`;
      return {
        client: api,
        path: '/api/v1/banks',
        body: { shortName, name: 'Bank', division: 'Main' },
        other: { shortName, name: 'Other bank', division: 'Main' },
      };
    },
  },
  '/api/v1/emails/test': {
    status: 201,
    make: async () => ({
      client: api,
      path: '/api/v1/emails/test',
      body: { to: `test${++seq}@harbor.example` },
      other: { to: `other${seq}@harbor.example` },
    }),
  },
  '/api/v1/users': {
    status: 201,
    make: async () => {
      const email = `invitee-${++seq}@idem.example`;
      return {
        client: api,
        path: '/api/v1/users',
        body: { email, name: 'Ivy Invitee', role: 'agent' },
        other: { email, name: 'Ivy Invitee', role: 'staff' },
      };
    },
  },
  '/api/v1/users/{id}/deactivate': {
    status: 200,
    make: async () => ({ client: api, path: `/api/v1/users/${await invitee()}/deactivate`, other: {} }),
  },
  '/api/v1/users/{id}/password-reset': {
    status: 202,
    make: async () => ({ client: api, path: `/api/v1/users/${await invitee()}/password-reset`, other: {} }),
  },
  '/api/v1/api-keys': {
    status: 201,
    make: async () => {
      const name = `key ${++seq}`;
      return {
        client: api,
        path: '/api/v1/api-keys',
        body: { name, role: 'agent' },
        other: { name, role: 'staff' },
      };
    },
  },
  '/api/v1/invoices': {
    status: 201,
    make: async () => {
      const c = await customer();
      const body = { customerNumber: c.customerNumber, dueDate: '2026-12-01', amount: 100 };
      return { client: api, path: '/api/v1/invoices', body, other: { ...body, amount: 200 } };
    },
  },
  '/api/v1/payment-requests': {
    status: 201,
    make: async () => {
      const c = await customer();
      const body = { customerNumber: c.customerNumber, contactId: c.contactId, amount: 100, dueDate: '2099-12-01' };
      return { client: api, path: '/api/v1/payment-requests', body, other: { ...body, amount: 200 } };
    },
  },
  '/api/v1/payment-requests/{id}/cancel': {
    status: 200,
    make: async () => {
      const id = await paymentRequest(await customer());
      return { client: api, path: `/api/v1/payment-requests/${id}/cancel`, body: {}, other: { reason: 'changed' } };
    },
  },
  '/api/v1/payment-requests/{id}/finalize': {
    status: 200,
    make: async () => {
      const c = await customer();
      const id = await paymentRequest(c);
      const portal = await portalFor(c);
      ok(await portal.post(`/api/v1/portal/payment-requests/${id}/pay`, { paymentMethodId: c.methodId }), 201);
      return {
        client: api,
        path: `/api/v1/payment-requests/${id}/finalize`,
        body: { bankShortName: 'OPER' },
        other: { bankShortName: 'OPER', description: 'other' },
      };
    },
  },
  '/api/v1/retry-plans': {
    status: 201,
    make: async () => {
      const name = `Retry ${++seq}`;
      return {
        client: api,
        path: '/api/v1/retry-plans',
        body: { name, delayDays: [1, 2] },
        other: { name, delayDays: [3] },
      };
    },
  },
  '/api/v1/policies': {
    status: 201,
    make: async () => {
      const c = await customer();
      const body = {
        customerNumber: c.customerNumber,
        policyNumber: `NEW-${c.n}`,
        lineOfBusiness: 'Auto',
        effectiveDate: '2026-01-01',
        expirationDate: '2027-01-01',
        premium: 1000,
      };
      return { client: api, path: '/api/v1/policies', body, other: { ...body, premium: 2000 } };
    },
  },
  '/api/v1/policies/{policyNumber}/transitions': {
    status: 200,
    make: async () => {
      const p = await policy(await customer());
      return {
        client: api,
        path: `/api/v1/policies/${p}/transitions`,
        body: { to: 'cancellation_pending', reason: 'non_pay' },
        other: { to: 'canceled', reason: 'non_pay' },
      };
    },
  },
  '/api/v1/policies/{policyNumber}/tags': {
    status: 200,
    make: async () => {
      const p = await policy(await customer());
      return { client: api, path: `/api/v1/policies/${p}/tags`, body: { tag: 'vip' }, other: { tag: 'gold' } };
    },
  },
  '/api/v1/policies/{policyNumber}/bill': {
    status: 201,
    make: async () => {
      const p = await policy(await customer(), { installmentPlan: 'Quarterly' });
      return { client: api, path: `/api/v1/policies/${p}/bill`, other: {} };
    },
  },
  '/api/v1/receipt/customer': {
    status: 201,
    make: async () => {
      const c = await customer();
      const body = {
        customerNumber: c.customerNumber,
        invoiceInformations: [{ invoiceNumber: String(c.invoiceNumber), paymentAmount: 10 }],
        receiptAmount: 10,
        receiptDate: '2026-11-21',
        receiptDateTimeZone: 'America/Chicago',
        bankShortName: 'OPER',
        paymentCheckType: 'H',
      };
      return { client: api, path: '/api/v1/receipt/customer', body, other: { ...body, receiptDescription: 'x' } };
    },
  },
  '/api/v1/receipts/{receiptNumber}/reversal': {
    status: 200,
    make: async () => {
      const c = await customer();
      const r = await receipt(c, c.invoiceNumber);
      return {
        client: api,
        path: `/api/v1/receipts/${r.receiptNumber}/reversal`,
        body: { reason: 'entered_in_error' },
        other: { reason: 'nsf' },
      };
    },
  },
  '/api/v1/sync/runs': {
    status: 200,
    make: async () => ({
      client: api,
      path: '/api/v1/sync/runs',
      body: { system: 'ams' },
      other: { system: 'crm' },
    }),
  },
  '/api/v1/sync/reviews/{reviewId}/accept': {
    status: 200,
    make: async () => ({ client: api, path: `/api/v1/sync/reviews/${await review()}/accept`, other: {} }),
  },
  '/api/v1/sync/reviews/{reviewId}/reject': {
    status: 200,
    make: async () => ({ client: api, path: `/api/v1/sync/reviews/${await review()}/reject`, other: {} }),
  },
  '/api/v1/sync/reviews/{reviewId}/merge': {
    status: 200,
    make: async () => {
      const [a, b] = [await customer(), await customer()];
      return {
        client: api,
        path: `/api/v1/sync/reviews/${await review()}/merge`,
        body: { customerNumber: a.customerNumber },
        other: { customerNumber: b.customerNumber },
      };
    },
  },
  '/api/v1/imports': {
    status: 201,
    make: async () => {
      const n = ++seq;
      const csv = (name: string) => `externalId,name\nIDEM-${n},${name}\n`;
      return {
        client: api,
        path: '/api/v1/imports',
        body: { kind: 'customers', csv: csv(`Idem ${n}`) },
        other: { kind: 'customers', csv: csv(`Other ${n}`) },
      };
    },
  },
  '/api/v1/imports/{id}/commit': {
    status: 200,
    make: async () => {
      const n = ++seq;
      const upload = await api.post('/api/v1/imports', {
        kind: 'customers',
        csv: `externalId,name\nCOMMIT-${n},Commit ${n}\n`,
      });
      assert.equal(upload.status, 201, JSON.stringify(upload.body));
      return { client: api, path: `/api/v1/imports/${upload.body.id}/commit`, other: {} };
    },
  },
};
